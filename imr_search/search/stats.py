"""Outcome statistics: how often the denials of the matching items were overturned, by
one or two fields, each rate with its 95% Wilson interval, beside the rest of the matching
items with the difference's 95% interval (Newcombe's); how long the decisions took; and
for each group the query that finds its items."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..engine.query import read_query
from ..engine.snapshot import Snapshot, open_snapshot
from ..fields import ALIASES, BY_NAME, GROUP_FIELDS, Kind
from .counts import Z_95, OutcomeCounts, wilson_interval
from .results import (
    NO_VALUE,
    Filter,
    ParameterError,
    Provenance,
    Sort,
    filtered,
    provenance_of,
    ranked,
    shown_value,
)
from .suggest import suggestions

OTHER = "other"


# The spans `--measure days` measures: from the letter's header date to its decision date.
SPANS = {"received": "application_received", "denied": "ur_denial_date"}


@dataclass(frozen=True)
class DaySpread:
    """Days from one header date to the decision, over the letters that have both: their
    quartiles (the median in the middle), interpolated as numpy's and R's default do."""

    letters: int
    quartiles: tuple[float, float, float] | None  # None when no letter has both dates

    def to_dict(self) -> dict:
        low, median, high = self.quartiles or (None, None, None)
        return {"letters": self.letters, "q1": low, "median": median, "q3": high}


@dataclass(frozen=True)
class Group:
    values: dict[str, str]  # grouping field -> value as the letters write it, or "other"
    counts: OutcomeCounts
    rest: OutcomeCounts | None = None  # the matching items not in the group
    query: str | None = None  # the query whose items are the group's
    days: dict[str, DaySpread] | None = None  # SPANS' name -> spread, with --measure days

    @property
    def difference(self) -> tuple[float, float, float] | None:
        """The group's overturn rate less the rest's, with its 95% interval."""
        if self.rest is None:
            return None
        return newcombe_interval(
            self.counts.overturned, self.counts.items, self.rest.overturned, self.rest.items
        )

    def to_dict(self) -> dict:
        """The group's JSON form: its values, counts and rate; the rest's items, overturned
        and rate, and the difference with its interval; the query; the days measured."""
        shown = {"group": self.values, **self.counts.to_dict()}
        if self.rest is not None:
            difference, low, high = self.difference or (None, None, None)
            shown |= {
                "rest_items": self.rest.items,
                "rest_overturned": self.rest.overturned,
                "rest_rate": self.rest.rate,
                "difference": difference,
                "difference_low": low,
                "difference_high": high,
            }
        if self.query is not None:
            shown["query"] = self.query
        return shown | days_dict(self.days)


def days_dict(days: dict[str, DaySpread] | None) -> dict:
    """`--measure days`' figures as JSON: days_received, days_denied."""
    return {f"days_{span}": spread.to_dict() for span, spread in (days or {}).items()}


@dataclass(frozen=True)
class StatsResult:
    query: str
    explained: str
    by: tuple[str, ...]
    groups: tuple[Group, ...]  # most items first, "other" last
    total: OutcomeCounts
    suggestions: tuple[str, ...] = ()  # words the query may have meant, when nothing matched
    notes: tuple[str, ...] = ()  # how the query was read where another search reads it otherwise
    filters: tuple[Filter, ...] = ()
    provenance: Provenance | None = None
    total_days: dict[str, DaySpread] | None = None  # with --measure days

    def records(self) -> list[dict]:
        """The JSON form, as `stats --format json` writes it: one record a group, then the
        summary with the totals."""
        groups = [{"type": "group", **group.to_dict()} for group in self.groups]
        summary = {
            "type": "summary",
            "query": self.query,
            "by": list(self.by),
            "groups": len(self.groups),
            **self.total.to_dict(),
            **days_dict(self.total_days),
        }
        if self.filters:
            summary["filters"] = [str(chosen) for chosen in self.filters]
        if not self.total.items:
            summary["suggestions"] = list(self.suggestions)
        if self.notes:
            summary["notes"] = list(self.notes)
        if self.provenance is not None:
            summary["provenance"] = self.provenance.to_dict()
        return [*groups, summary]


def newcombe_interval(
    successes_1: int, trials_1: int, successes_2: int, trials_2: int, z: float = Z_95
) -> tuple[float, float, float] | None:
    """The difference of two independent proportions, p1 - p2, and its interval by
    Newcombe's hybrid score method (method 10 of Newcombe 1998, Statistics in Medicine 17:
    873-890): each end is the difference less (or plus) the distances from each proportion
    to the Wilson interval's ends on the side that moves the difference that way. It stays
    within -1..1 and, unlike the normal approximation, is sound for small groups and rates
    near 0 or 1. None when either side has no trials."""
    if not trials_1 or not trials_2:
        return None
    p1, p2 = successes_1 / trials_1, successes_2 / trials_2
    low1, high1 = wilson_interval(successes_1, trials_1, z)
    low2, high2 = wilson_interval(successes_2, trials_2, z)
    difference = p1 - p2
    low = difference - math.sqrt((p1 - low1) ** 2 + (high2 - p2) ** 2)
    high = difference + math.sqrt((high1 - p1) ** 2 + (p2 - low2) ** 2)
    return difference, round(max(-1.0, low), 12), round(min(1.0, high), 12)


def group_name(name: str) -> str:
    """A `--by` field, named as a user may (any case, an alias). Raises ParameterError."""
    resolved = ALIASES.get(name.lower(), name.lower())
    if resolved == "outcome":
        raise ParameterError("cannot group by outcome: each group is counted by outcome already")
    if resolved not in GROUP_FIELDS:
        raise ParameterError(f"cannot group by {name!r}; fields: {', '.join(GROUP_FIELDS)}")
    return resolved


def stats(
    index_dir: Path,
    text: str,
    by: tuple[str, ...],
    minimum: int = 1,
    filters: tuple[Filter, ...] = (),
    days: bool = False,
) -> StatsResult:
    """Outcome counts and overturn rates of the items matching `text` (and `filters`),
    grouped by one or two fields, each group beside the rest of the matching items; groups
    of fewer than `minimum` items are folded into one "other" group. An item with two values
    of a field (two specialties) counts once under each. Items without an outcome (letters
    whose items could not be read) are left out. With `days`, how many days each group's
    letters took from each of SPANS' dates to the decision. Raises QueryError,
    IndexUnusable."""
    fields = tuple(dict.fromkeys(map(group_name, by)))
    if not 1 <= len(fields) <= 2:
        raise ParameterError("group by one or two fields: --by FIELD [--by FIELD]")
    query = read_query(text)
    with open_snapshot(index_dir) as snapshot:
        docnums = filtered(snapshot, ranked(snapshot, query, Sort.relevance), filters).docs
        outcomes = snapshot.groups(docnums, "outcome")
        by_value = [
            labelled_groups(snapshot.groups(docnums, name), name, snapshot.labels)
            for name in fields
        ]
        spans = letter_spans(snapshot, docnums) if days else None
        suggested = () if len(docnums) else suggestions(snapshot, text)
        provenance = provenance_of(snapshot, text, query.explained)
    upheld, overturned = outcomes.get("upheld", set()), outcomes.get("overturned", set())
    decided = upheld | overturned

    def counted(docs: set[int]) -> OutcomeCounts:
        u, o = len(docs & upheld), len(docs & overturned)
        return OutcomeCounts(u + o, u, o)

    combos: list[tuple[dict[str, str], set[int]]] = [({}, decided)]
    for name, values in zip(fields, by_value, strict=True):
        combos = [
            ({**chosen, name: value}, docs & more)
            for chosen, docs in combos
            for value, more in values.items()
        ]
    combos = [(values, docs) for values, docs in combos if docs]
    combos.sort(key=lambda combo: (-len(combo[1]), list(combo[0].values())))
    kept = [combo for combo in combos if len(combo[1]) >= minimum]
    folded = [combo for combo in combos if len(combo[1]) < minimum]
    # The query that reproduces a group holds the filters too (a web page's chips).
    asked = within(text, " AND ".join(value_clause(f.field, f.value) for f in filters))
    shown = [(values, docs, group_query(asked, values)) for values, docs in kept]
    if folded:
        either = " OR ".join(f"({group_query('', values)})" for values, _ in folded)
        docs = set().union(*(docs for _, docs in folded))
        shown.append(({name: OTHER for name in fields}, docs, within(asked, f"({either})")))
    groups = tuple(
        Group(
            values,
            counted(docs),
            counted(decided - docs),
            reproduced_by,
            spread_of(docs, spans) if spans is not None else None,
        )
        for values, docs, reproduced_by in shown
    )
    return StatsResult(
        text,
        query.explained,
        fields,
        groups,
        counted(decided),
        suggested,
        query.notes,
        filters,
        provenance,
        spread_of(decided, spans) if spans is not None else None,
    )


def group_query(text: str, values: dict[str, str]) -> str:
    """The query that finds the items of `text` with these `values`: `text`, and each value
    as a field's clause."""
    return within(text, " AND ".join(value_clause(name, value) for name, value in values.items()))


def within(text: str, clause: str) -> str:
    if not clause:
        return text
    return clause if text.strip() in ("", "*") else f"({text}) AND {clause}"


def value_clause(name: str, value: str) -> str:
    """A field's value as the query language reads it: a band as a range, no value as
    "not any value"."""
    field = BY_NAME[name]
    if value == NO_VALUE:
        # NOT rather than "-": a query that starts with "-" reads as an option on a command line
        return f"NOT {name}:>=0" if field.kind is Kind.NUMBER else f"NOT {name}:*"
    if field.band:
        start, end = value.split("-")
        return f"{name}:[{start} TO {end}]"
    if field.kind is Kind.NUMBER:
        return f"{name}:{value}"
    return f'{name}:"{value}"'


def letter_spans(snapshot: Snapshot, docnums: np.ndarray) -> dict[int, tuple]:
    """Each document of `docnums` -> its letter's key and its days from each of SPANS' dates
    to the decision (None where a date is missing)."""
    decided = snapshot.dates(docnums, "decision_date")
    starts = {span: snapshot.dates(docnums, name) for span, name in SPANS.items()}
    keys = snapshot.letter_keys(docnums)
    return {
        doc: (
            key,
            *(
                (decided[doc] - start[doc]).days if doc in decided and doc in start else None
                for start in starts.values()
            ),
        )
        for doc, key in zip(docnums.tolist(), keys, strict=True)
    }


def spread_of(docs: set[int], spans: dict[int, tuple]) -> dict[str, DaySpread]:
    """The spread of each span over the letters of `docs`, each letter once: a decision
    is a letter, however many of its items are in the group."""
    letters = {spans[doc][0]: spans[doc][1:] for doc in docs}
    spreads = {}
    for at, span in enumerate(SPANS):
        days = [measured[at] for measured in letters.values() if measured[at] is not None]
        quartiles = None
        if days:
            low, median, high = np.percentile(days, [25, 50, 75]).tolist()
            quartiles = (low, median, high)
        spreads[span] = DaySpread(len(days), quartiles)
    return spreads


def labelled_groups(groups: dict, name: str, labels: dict) -> dict[str, set[int]]:
    """Groups of one field keyed by each value as a reader sees it."""
    shown: dict[str, set[int]] = {}
    for value, docs in groups.items():
        shown.setdefault(shown_value(name, value, labels), set()).update(docs)
    return shown
