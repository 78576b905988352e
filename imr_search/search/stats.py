"""Outcome statistics: how often the denials of the matching items were overturned, by
one or two fields, each rate with its 95% Wilson interval."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..engine.query import read_query
from ..engine.snapshot import open_snapshot
from ..fields import ALIASES, GROUP_FIELDS
from .counts import OutcomeCounts
from .results import Filter, ParameterError, Sort, filtered, ranked, shown_value
from .suggest import suggestions

OTHER = "other"


@dataclass(frozen=True)
class Group:
    values: dict[str, str]  # grouping field -> value as the letters write it, or "other"
    counts: OutcomeCounts


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

    def records(self) -> list[dict]:
        """The JSON form, as `stats --format json` writes it: one record a group, then the
        summary with the totals."""
        groups = [
            {"type": "group", "group": group.values, **group.counts.to_dict()}
            for group in self.groups
        ]
        summary = {
            "type": "summary",
            "query": self.query,
            "by": list(self.by),
            "groups": len(self.groups),
            **self.total.to_dict(),
        }
        if self.filters:
            summary["filters"] = [str(chosen) for chosen in self.filters]
        if not self.total.items:
            summary["suggestions"] = list(self.suggestions)
        if self.notes:
            summary["notes"] = list(self.notes)
        return [*groups, summary]


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
) -> StatsResult:
    """Outcome counts and overturn rates of the items matching `text` (and `filters`),
    grouped by one or two fields; groups of fewer than `minimum` items are folded into one
    "other" group. An item with two values of a field (two specialties) counts once under
    each. Items without an outcome (letters whose items could not be read) are left out.
    Raises QueryError, IndexUnusable."""
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
        suggested = () if len(docnums) else suggestions(snapshot, text)
    upheld, overturned = outcomes.get("upheld", set()), outcomes.get("overturned", set())

    def counted(docs: set[int]) -> OutcomeCounts:
        u, o = len(docs & upheld), len(docs & overturned)
        return OutcomeCounts(u + o, u, o)

    combos: list[tuple[dict[str, str], set[int]]] = [({}, upheld | overturned)]
    for name, values in zip(fields, by_value, strict=True):
        combos = [
            ({**chosen, name: value}, docs & more)
            for chosen, docs in combos
            for value, more in values.items()
        ]
    groups = [Group(values, counted(docs)) for values, docs in combos]
    groups = [group for group in groups if group.counts.items]
    groups.sort(key=lambda g: (-g.counts.items, list(g.values.values())))
    kept = [group for group in groups if group.counts.items >= minimum]
    folded = [group for group in groups if group.counts.items < minimum]
    if folded:
        kept.append(
            Group(
                {name: OTHER for name in fields},
                OutcomeCounts(
                    sum(g.counts.items for g in folded),
                    sum(g.counts.upheld for g in folded),
                    sum(g.counts.overturned for g in folded),
                ),
            )
        )
    total = counted(upheld | overturned)
    return StatsResult(
        text, query.explained, fields, tuple(kept), total, suggested, query.notes, filters
    )


def labelled_groups(groups: dict, name: str, labels: dict) -> dict[str, set[int]]:
    """Groups of one field keyed by each value as a reader sees it."""
    shown: dict[str, set[int]] = {}
    for value, docs in groups.items():
        shown.setdefault(shown_value(name, value, labels), set()).update(docs)
    return shown
