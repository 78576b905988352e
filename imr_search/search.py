"""Searching an index: hits with snippets, facet counts, letters. Returns plain result
objects and prints nothing; render.py shows them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path

from whoosh import highlight, sorting
from whoosh import query as wq
from whoosh.searching import Hit as WhooshHit

from .indexer import file_digest, open_index, read_manifest, read_meta
from .letters import read_letter_or_reason
from .models import Letter
from .querylang import ALIASES, QueryError, explain, parse_query
from .schema import FACETS

# Where a snippet is looked for, in order: the reviewer's reasons first.
SNIPPET_FIELDS = ("rationale", "item", "guideline", "summary")
SNIPPET_MAX_CHARS = 400  # of a sentence's words; longer sentences are not shown whole
NO_VALUE = "(none)"


class Sort(StrEnum):
    relevance = "relevance"
    decided = "decided"  # oldest first
    newest = "-decided"


@dataclass(frozen=True)
class Snippet:
    """A sentence of one field, with the spans the query matched."""

    field: str
    text: str
    marks: tuple[tuple[int, int], ...] = ()


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
    snippet: Snippet
    path: str
    letter_key: str

    def to_dict(self) -> dict:
        return {
            "case": self.case,
            "item_no": self.item_no,
            "item": self.item,
            "outcome": self.outcome,
            "decision_date": self.decision_date.isoformat() if self.decision_date else None,
            "specialties": list(self.specialties),
            "license_states": list(self.license_states),
            "drug": self.drug,
            "category": self.category,
            "score": round(self.score, 4) if self.score is not None else None,
            "snippet": self.snippet.text,
            "path": self.path,
        }


@dataclass(frozen=True)
class LetterHits:
    """One matching letter and its matching items, best first."""

    case: str
    decision_date: date | None
    specialties: tuple[str, ...]
    path: str
    items: tuple[Hit, ...]


@dataclass(frozen=True)
class SearchResult:
    query: str
    explained: str
    total: int  # matching items
    page: int
    limit: int
    hits: tuple[Hit, ...]  # this page's items (in --letters mode, those of its letters)
    facets: dict[str, dict[str, int]]  # outcome, then each facet asked for -> value -> items
    letters: tuple[LetterHits, ...] | None = None  # this page's letters, when asked for
    total_letters: int | None = None


class NotFound(Exception):
    """No letter (or item) by that case number; the message says which."""


def facet_name(name: str) -> str:
    """A facet named as a user may (any case, an alias). Raises QueryError."""
    resolved = ALIASES.get(name.lower(), name.lower())
    if resolved not in FACETS:
        raise QueryError(f"cannot count by {name!r}; facets: {', '.join(FACETS)}")
    return resolved


def search(
    index_dir: Path,
    text: str,
    *,
    limit: int = 10,
    page: int = 1,
    sort: Sort = Sort.relevance,
    facets: tuple[str, ...] = (),
    letters: bool = False,
) -> SearchResult:
    """The items matching `text`, page `page` of `limit` (letters, with `letters`), and
    item counts by outcome and by each of `facets`. Raises QueryError, IndexUnusable
    (indexer.py)."""
    if limit < 1 or page < 1:
        raise QueryError("--limit and --page start at 1")
    wanted = tuple(dict.fromkeys(["outcome", *map(facet_name, facets)]))
    parsed = parse_query(text)
    ix = open_index(index_dir)
    labels = (read_meta(index_dir) or {}).get("labels", {})
    # Overlapping facets: an item of a letter whose reviewer has two specialties counts once
    # under each, and an item without a value counts under None.
    groupedby = {
        name: sorting.FieldFacet(name, allow_overlap=True, maptype=sorting.Count) for name in wanted
    }
    first = (page - 1) * limit
    with ix.searcher() as searcher:
        results = searcher.search(
            parsed,
            limit=None if letters else first + limit,
            sortedby=sort_facet(sort),
            groupedby=groupedby,
        )
        counts = {name: labelled(results.groups(name), labels.get(name, {})) for name in wanted}
        if letters:
            grouped, total_letters = letters_on_page(searcher, results, first, limit, sort)
            hits = tuple(hit for letter in grouped for hit in letter.items)
        else:
            grouped, total_letters = None, None
            hits = tuple(to_hit(found, sort) for found in results[first : first + limit])
        return SearchResult(
            query=text,
            explained=explain(parsed),
            total=len(results),
            page=page,
            limit=limit,
            hits=hits,
            facets=counts,
            letters=grouped,
            total_letters=total_letters,
        )


# Letters without a decision date sort last either way.
EVER = wq.DateRange("decision_date", datetime(1900, 1, 1), datetime(2200, 1, 1))


def sort_facet(sort: Sort):
    if sort is Sort.relevance:
        return None
    return sorting.MultiFacet(
        [
            sorting.QueryFacet({0: EVER}, other=1),
            sorting.FieldFacet("decision_date", reverse=sort is Sort.newest),
            sorting.FieldFacet("case"),
            sorting.FieldFacet("item_no"),
        ]
    )


def labelled(counts: dict, labels: dict[str, str]) -> dict[str, int]:
    """Counts keyed by each value as the letters write it, most first."""
    shown: dict[str, int] = {}
    for value, count in counts.items():
        label = NO_VALUE if value is None else labels.get(str(value), str(value))
        shown[label] = shown.get(label, 0) + count
    return dict(sorted(shown.items(), key=lambda pair: (-pair[1], pair[0])))


def letters_on_page(searcher, results, first: int, limit: int, sort: Sort):
    """The page's letters in the order of their best item, each with all its matching items."""
    keys = searcher.reader().column_reader("letter_key")
    by_letter: dict[str, list[int]] = {}
    for position, (_, docnum) in enumerate(results.top_n):
        by_letter.setdefault(keys[docnum], []).append(position)
    grouped = []
    for positions in list(by_letter.values())[first : first + limit]:
        items = tuple(to_hit(results[position], sort) for position in positions)
        top = items[0]
        grouped.append(LetterHits(top.case, top.decision_date, top.specialties, top.path, items))
    return tuple(grouped), len(by_letter)


def split_list(value: str | None) -> tuple[str, ...]:
    return tuple(part for part in (value or "").split(",") if part)


def to_hit(found: WhooshHit, sort: Sort) -> Hit:
    stored = found.fields()
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
        score=found.score if sort is Sort.relevance else None,
        snippet=snippet_of(found, stored),
        path=stored.get("path", ""),
        letter_key=stored["letter_key"],
    )


# ---------------------------------------------------------------- snippets

MARK_START, MARK_END = "\x02", "\x03"


class MarkFormatter(highlight.Formatter):
    """Matched words between two control characters, for `snippet_from` to find."""

    between = " … "

    def format_token(self, text, token, replace=False):
        return MARK_START + highlight.get_text(text, token, replace) + MARK_END


# A sentence where there is one; text without full stops (as PDFs of summaries often are)
# gets the words around the match.
HIGHLIGHTERS = (
    highlight.Highlighter(
        fragmenter=highlight.SentenceFragmenter(maxchars=SNIPPET_MAX_CHARS),
        formatter=MarkFormatter(),
    ),
    highlight.Highlighter(
        fragmenter=highlight.ContextFragmenter(maxchars=SNIPPET_MAX_CHARS // 2, surround=80),
        formatter=MarkFormatter(),
    ),
)


def snippet_of(found: WhooshHit, stored: dict) -> Snippet:
    """The best sentence the query matched, rationale first; else the rationale's start."""
    for name in SNIPPET_FIELDS:
        if stored.get(name):
            for highlighter in HIGHLIGHTERS:
                marked = highlighter.highlight_hit(found, name, top=1)
                if marked:
                    return snippet_from(name, marked)
    rationale = " ".join(stored.get("rationale", "").split())
    opening = re.split(r"(?<=[.!?])\s", rationale, maxsplit=1)[0]
    return Snippet("rationale", opening[:SNIPPET_MAX_CHARS])


def snippet_from(name: str, marked: str) -> Snippet:
    """Plain text and match spans from a marked fragment, white space made single."""
    text, marks = "", []
    for index, part in enumerate(re.split(f"[{MARK_START}{MARK_END}]", marked)):
        part = re.sub(r"\s+", " ", part)
        if (not text or text.endswith(" ")) and part.startswith(" "):
            part = part[1:]
        if index % 2:
            marks.append((len(text), len(text) + len(part)))
        text += part
    return Snippet(name, text.rstrip(), tuple(marks))


# ---------------------------------------------------------------- one letter


def find_letter(index_dir: Path, case: str, item: int | None = None) -> tuple[Letter, list[str]]:
    """The letter indexed under `case`, parsed afresh from its file, and warnings about it.
    Raises NotFound, IndexUnusable."""
    ix = open_index(index_dir)
    with ix.searcher() as searcher:
        found = [searcher.stored_fields(n) for n in searcher.document_numbers(case=case.lower())]
    if not found:
        raise NotFound(f"no letter {case} in the index at {index_dir}")
    path = found[0]["path"]
    letter, reason = read_letter_or_reason(Path(path))
    if letter is None:
        raise NotFound(f"{case}: its file {path} cannot be read now ({reason}); re-index")
    warnings = []
    indexed = read_manifest(index_dir).get(path, {}).get("sha256")
    if indexed != file_digest(Path(path)):
        warnings.append(
            f"{path} has changed since it was indexed; run `imr-search index` to update"
        )
    if item is not None and item not in {i.position for i in letter.items}:
        raise NotFound(f"{case} has no item {item}; its items are 1-{len(letter.items)}")
    return letter, warnings
