"""Searching an index: hits with snippets, facet counts, letters. Returns plain result
objects and prints nothing; render.py shows them."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np

from ..engine.query import QueryError, ReadQuery, read_query
from ..engine.ranking import Ranking
from ..engine.schema import facet_value
from ..engine.snapshot import Snapshot, open_snapshot
from ..engine.snippets import Snippet
from ..fields import ALIASES, BY_NAME, COUNT_FIELDS, OVERTURNED, SNIPPET_FIELDS, UPHELD
from ..sorting import DEFAULT_LIMIT, Sort
from .counts import OutcomeCounts
from .suggest import suggestions

NO_VALUE = "(none)"
VALUES_LISTED = 12  # of a facet's values, in a message saying which it has


class ParameterError(QueryError):
    """A search's parameter other than its query (a filter, a facet, a grouping, a page)
    cannot be read; the message names it, and says nothing of the query."""


@dataclass(frozen=True)
class Hit:
    """One matching item."""

    case: str
    item_no: int
    item: str
    outcome: str
    decision_date: date | None
    specialties: tuple[str, ...]
    license_states: tuple[str, ...]
    drug: str | None
    category: str | None
    score: float | None  # None when sorted by date
    snippet: Snippet | None  # None in an export without snippets (every_hit)
    path: str
    letter_key: str

    def to_dict(self, columns: tuple[str, ...] | None = None) -> dict:
        """The hit's JSON form: its `columns` (HIT_COLUMNS), dates and snippets as text."""
        as_text = {
            "decision_date": self.decision_date.isoformat() if self.decision_date else None,
            "specialties": list(self.specialties),
            "license_states": list(self.license_states),
            "score": round(self.score, 4) if self.score is not None else None,
            "snippet": self.snippet.text if self.snippet else None,
        }
        return {
            name: as_text[name] if name in as_text else getattr(self, name)
            for name in columns or HIT_COLUMNS
        }


# A hit's columns in its JSON and CSV forms, in order: all it holds but the letter's key.
HIT_COLUMNS = tuple(field.name for field in fields(Hit) if field.name != "letter_key")
# An export's: all but the matching sentence, which is for reading a page and costs some
# fifty times the rest of a row (the highlighter reads the item's texts again).
EXPORT_COLUMNS = tuple(name for name in HIT_COLUMNS if name != "snippet")


@dataclass(frozen=True)
class LetterHits:
    """One matching letter and its matching items, best first."""

    case: str
    decision_date: date | None
    specialties: tuple[str, ...]
    path: str
    items: tuple[Hit, ...]

    def to_dict(self) -> dict:
        return {
            "case": self.case,
            "decision_date": self.decision_date.isoformat() if self.decision_date else None,
            "specialties": list(self.specialties),
            "path": self.path,
            "items": [hit.to_dict() for hit in self.items],
        }


@dataclass(frozen=True)
class Provenance:
    """How a result was obtained, for a reader of an export to check or re-run it: the
    query as written and as read, which commit of which index answered it, and when."""

    query: str
    read_as: str
    store: str  # the index's store folder: a rebuild makes a new one
    generation: int  # the store's commit
    letters: int  # letters and items in that commit
    items: int
    searched_at: datetime

    def to_dict(self) -> dict:
        return {
            "query": self.query,
            "read_as": self.read_as,
            "index": {
                "store": self.store,
                "generation": self.generation,
                "letters": self.letters,
                "items": self.items,
            },
            "searched_at": self.searched_at.isoformat(timespec="seconds"),
        }


def provenance_of(snapshot: Snapshot, text: str, read_as: str) -> Provenance:
    """`text` read as `read_as`, answered now by `snapshot`'s commit."""
    letters, items = snapshot.letters_and_items()
    return Provenance(
        query=text,
        read_as=read_as,
        store=snapshot.store.name,
        generation=snapshot.generation,
        letters=letters,
        items=items,
        searched_at=datetime.now(UTC),
    )


@dataclass(frozen=True)
class SearchResult:
    query: str
    explained: str
    total: int  # matching items
    page: int
    limit: int
    # This page's items (in --letters mode, those of its letters); with `every_hit`, all of
    # them, read one at a time as they are written out.
    hits: Iterable[Hit]
    facets: dict[str, dict[str, int]]  # outcome, then each facet asked for -> value -> items
    letters: tuple[LetterHits, ...] | None = None  # this page's letters, when asked for
    total_letters: int | None = None
    suggestions: tuple[str, ...] = ()  # words the query may have meant, when nothing matched
    notes: tuple[str, ...] = ()  # how the query was read where another search reads it otherwise
    filters: tuple[Filter, ...] = ()
    provenance: Provenance | None = None

    @property
    def outcome_counts(self) -> OutcomeCounts:
        """How the matching items with an outcome came out (an item of a letter whose
        decision could not be read has none, and counts in `total` alone)."""
        upheld = self.facets["outcome"].get(UPHELD, 0)
        overturned = self.facets["outcome"].get(OVERTURNED, 0)
        return OutcomeCounts(upheld + overturned, upheld, overturned)

    @property
    def pages(self) -> int:
        """How many pages of `limit` the matching items (letters) fill; one when none match."""
        found = self.total if self.letters is None else self.total_letters
        return max(1, -(-found // self.limit))

    def records(self) -> Iterator[dict]:
        """The JSON form, as `query --format json` writes it: one record a hit (or letter),
        then the summary; each hit's made as it is read (an export of every hit holds one at
        a time)."""
        if self.letters is not None:
            yield from ({"type": "letter", **letter.to_dict()} for letter in self.letters)
        else:
            yield from ({"type": "hit", **hit.to_dict()} for hit in self.hits)
        summary = {
            "type": "summary",
            "query": self.query,
            "total": self.total,
            "page": self.page,
            "limit": self.limit,
            "facets": self.facets,
        }
        if self.filters:
            summary["filters"] = [str(chosen) for chosen in self.filters]
        if self.letters is not None:
            summary["letters"] = self.total_letters
        if not self.total:
            summary["suggestions"] = list(self.suggestions)
        if self.notes:
            summary["notes"] = list(self.notes)
        if self.provenance is not None:
            summary["provenance"] = self.provenance.to_dict()
        yield summary


@dataclass(frozen=True)
class Filter:
    """The items counted under one value of a facet, as the counts show it ("(none)" and
    age bands included): a clicked count keeps exactly the items it counted."""

    field: str
    value: str

    @classmethod
    def read(cls, text: str) -> Filter:
        """`FIELD:VALUE`, the field as a user may name it. Raises QueryError."""
        name, colon, value = text.partition(":")
        if not colon or not value:
            raise ParameterError(f"filter {text!r}: write FIELD:VALUE, e.g. outcome:Upheld")
        return cls(facet_name(name.strip()), value)

    def __str__(self) -> str:
        return f"{self.field}:{self.value}"


def query_problem(text: str, problem: QueryError) -> str:
    """A query that cannot be read, as every interface tells it: the query, then why; a
    parameter that cannot be read, by its own message."""
    if isinstance(problem, ParameterError):
        return str(problem)
    return f"query {text!r}: {problem}"


class NotFound(Exception):
    """No letter (or item) by that case number; the message says which."""


def facet_name(name: str) -> str:
    """A facet named as a user may (any case, an alias). Raises QueryError."""
    resolved = ALIASES.get(name.lower(), name.lower())
    if resolved not in COUNT_FIELDS:
        raise ParameterError(f"cannot count by {name!r}; facets: {', '.join(COUNT_FIELDS)}")
    return resolved


def search(
    index_dir: Path,
    text: str,
    *,
    limit: int = DEFAULT_LIMIT,
    page: int = 1,
    sort: Sort = Sort.relevance,
    facets: tuple[str, ...] = (),
    letters: bool = False,
    filters: tuple[Filter, ...] = (),
) -> SearchResult:
    """The items matching `text` (and `filters`), page `page` of `limit` (letters, with
    `letters`), and item counts by outcome and by each of `facets`. Raises QueryError,
    IndexUnusable."""
    if limit < 1 or page < 1:
        raise ParameterError("--limit and --page start at 1")
    wanted = facets_wanted(facets)
    query = read_query(text)
    first = (page - 1) * limit
    with open_snapshot(index_dir) as snapshot:
        # Every match (the counts need them all); snippets mark the words as written.
        ranking = filtered(snapshot, ranked(snapshot, query, sort), filters)
        counts = facet_counts(snapshot, ranking.docs, wanted)
        if letters:
            grouped, total_letters = letters_on_page(snapshot, ranking.best(), first, limit)
            hits = tuple(hit for letter in grouped for hit in letter.items)
        else:
            grouped, total_letters = None, None
            shown = ranking.best(first + limit)  # ranked as far as the page
            hits = tuple(to_hit(snapshot, shown, at) for at in range(first, len(shown)))
        return SearchResult(
            query=text,
            explained=query.explained,
            total=len(ranking),
            page=page,
            limit=limit,
            hits=hits,
            facets=counts,
            letters=grouped,
            total_letters=total_letters,
            suggestions=() if len(ranking) else suggestions(snapshot, text),
            filters=filters,
            notes=query.notes,
            provenance=provenance_of(snapshot, text, query.explained),
        )


@contextmanager
def every_hit(
    index_dir: Path,
    text: str,
    *,
    sort: Sort = Sort.relevance,
    facets: tuple[str, ...] = (),
    filters: tuple[Filter, ...] = (),
    snippets: bool = True,
) -> Iterator[SearchResult]:
    """Every item matching `text` (and `filters`), for an export: a result whose `hits` are
    made one at a time while they are read, from the commit held for the block, so that
    memory does not grow with their number; without `snippets`, each hit without its
    matching sentence (the web page's exports: some fifty times the cost of the rest of a
    row). Raises QueryError, IndexUnusable."""
    wanted = facets_wanted(facets)
    query = read_query(text)
    with open_snapshot(index_dir) as snapshot:
        ranking = filtered(snapshot, ranked(snapshot, query, sort), filters).best()
        yield SearchResult(
            query=text,
            explained=query.explained,
            total=len(ranking),
            page=1,
            limit=len(ranking),
            hits=(
                to_hit(snapshot, ranking, position, snippets) for position in range(len(ranking))
            ),
            facets=facet_counts(snapshot, ranking.docs, wanted),
            suggestions=() if len(ranking) else suggestions(snapshot, text),
            notes=query.notes,
            filters=filters,
            provenance=provenance_of(snapshot, text, query.explained),
        )


def facets_wanted(facets: tuple[str, ...]) -> tuple[str, ...]:
    """Outcome, then each facet asked for, each once. Raises QueryError."""
    return tuple(dict.fromkeys(["outcome", *map(facet_name, facets)]))


def facet_counts(snapshot: Snapshot, docs: np.ndarray, wanted: tuple[str, ...]) -> dict:
    """The documents `docs` counted by each field of `wanted`, as a reader sees the values.
    An item of a letter whose reviewer has two specialties counts once under each; an item
    without a value counts under None."""
    found = snapshot.counts(docs, wanted)
    return {name: labelled(found[name], name, snapshot.labels) for name in wanted}


def ranked(snapshot: Snapshot, query: ReadQuery, sort: Sort) -> Ranking:
    newest = None if sort is Sort.relevance else sort is Sort.newest
    return snapshot.rank(query, newest=newest)


def filtered(snapshot: Snapshot, ranking: Ranking, filters: tuple[Filter, ...]) -> Ranking:
    """The matches counted under each filter's value, compared as facets compare values
    (in any case and spelling). Raises ParameterError for a value no item of the index has."""
    for chosen in filters:
        key = facet_value(chosen.value)

        def wanted(value, chosen=chosen, key=key) -> bool:
            return facet_value(shown_value(chosen.field, value, snapshot.labels)) == key

        ranking = ranking.only(snapshot.holding(ranking.docs, chosen.field, wanted))
        if not len(ranking):
            check_filter_value(snapshot, chosen, key)
    return ranking


def check_filter_value(snapshot: Snapshot, chosen: Filter, key: str) -> None:
    """Raises ParameterError, listing the values there are, when no item of the index
    has `chosen`'s value (`key`, as facets compare values)."""
    everything = snapshot.counts(snapshot.live_docs(), [chosen.field])[chosen.field]
    values = labelled(everything, chosen.field, snapshot.labels)
    if any(facet_value(value) == key for value in values):
        return
    listed = ", ".join(list(values)[:VALUES_LISTED])
    more = f" and {len(values) - VALUES_LISTED} more" if len(values) > VALUES_LISTED else ""
    raise ParameterError(
        f"filter {str(chosen)!r}: no item has that {chosen.field}; its values: {listed}{more}"
    )


def shown_value(name: str, value, labels: dict) -> str:
    """A facet value as a reader sees it: as the letters write it, a band, "(none)"."""
    if value is None:
        return NO_VALUE
    band = BY_NAME[name].band
    if band:
        start = int(value) // band * band
        return f"{start}-{start + band - 1}"
    return labels.get(name, {}).get(str(value), str(value))


def labelled(counts: dict, name: str, labels: dict) -> dict[str, int]:
    """Counts keyed by each value as a reader sees it, most first."""
    shown: dict[str, int] = {}
    for value, count in counts.items():
        label = shown_value(name, value, labels)
        shown[label] = shown.get(label, 0) + count
    return dict(sorted(shown.items(), key=lambda pair: (-pair[1], pair[0])))


def letters_on_page(snapshot: Snapshot, ranking: Ranking, first: int, limit: int):
    """The page's letters in the order of their best item, each with all its matching items."""
    by_letter: dict[str, list[int]] = {}
    for position, key in enumerate(snapshot.letter_keys(ranking.docs)):
        by_letter.setdefault(key, []).append(position)
    grouped = []
    for positions in list(by_letter.values())[first : first + limit]:
        items = tuple(to_hit(snapshot, ranking, position) for position in positions)
        top = items[0]
        grouped.append(LetterHits(top.case, top.decision_date, top.specialties, top.path, items))
    return tuple(grouped), len(by_letter)


def split_list(value: str | None) -> tuple[str, ...]:
    return tuple(part for part in (value or "").split(",") if part)


def to_hit(snapshot: Snapshot, ranking: Ranking, position: int, snippets: bool = True) -> Hit:
    found = snapshot.found(ranking, position, SNIPPET_FIELDS if snippets else ())
    stored = found.fields
    decided = stored.get("decision_date")
    return Hit(
        case=stored["case"],
        item_no=stored["item_no"],
        item=stored.get("item", ""),
        outcome=stored["outcome"],
        decision_date=decided.date() if decided else None,
        specialties=split_list(stored.get("specialty")),
        license_states=split_list(stored.get("license_state")),
        drug=" / ".join(split_list(stored.get("drug"))) or None,  # as `parse` writes it
        category=stored.get("category") or None,
        score=found.score,
        snippet=found.snippet,
        path=stored.get("path", ""),
        letter_key=stored["letter_key"],
    )


def items_of_case(snapshot: Snapshot, index_dir: Path, case: str) -> dict[int, int]:
    """Item number -> document number of the letter indexed under `case`. Raises NotFound."""
    docs = snapshot.items_of_case(case)
    if not docs:
        raise NotFound(f"no letter {case} in the index at {index_dir}")
    return docs


def check_item(case: str, item: int, numbers) -> None:
    if item not in numbers:
        raise NotFound(f"{case} has no item {item}; its items are 1-{max(numbers, default=0)}")
