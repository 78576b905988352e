"""Searching an index: hits with snippets, facet counts, letters. Returns plain result
objects and prints nothing; render.py shows them."""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, replace
from datetime import date
from enum import StrEnum
from pathlib import Path

import whoosh.analysis
from whoosh import highlight
from whoosh import query as wq
from whoosh.lang.porter import stem
from whoosh.searching import Hit as WhooshHit

from .facets import docs_by_value, facet_counts, with_table_ranges
from .indexer import file_digest, open_index, read_manifest, read_meta
from .models import Letter
from .querylang import ALIASES, QueryError, explain, parse_query
from .ranking import by_date, ranked
from .schema import FACETS, facet_value

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

    def to_dict(self) -> dict:
        return {
            "case": self.case,
            "decision_date": self.decision_date.isoformat() if self.decision_date else None,
            "specialties": list(self.specialties),
            "path": self.path,
            "items": [hit.to_dict() for hit in self.items],
        }


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
    labels = read_labels(index_dir)
    first = (page - 1) * limit
    with ix.searcher() as searcher:
        # Every match (the counts need them all); snippets mark the words as written.
        run = with_table_ranges(parsed, index_dir)
        if sort is Sort.relevance:
            results = ranked(searcher, run, parsed)
        else:
            results = by_date(searcher, run, parsed, index_dir, newest=sort is Sort.newest)
        docnums = results.docs
        # An item of a letter whose reviewer has two specialties counts once under each;
        # an item without a value counts under None.
        found = facet_counts(index_dir, searcher, docnums, wanted)
        counts = {name: labelled(found[name], name, labels) for name in wanted}
        if letters:
            grouped, total_letters = letters_on_page(searcher, results, first, limit, sort)
            hits = tuple(hit for letter in grouped for hit in letter.items)
        else:
            grouped, total_letters = None, None
            hits = tuple(to_hit(match, sort) for match in results.hits(first, first + limit))
        return SearchResult(
            query=text,
            explained=explain(parsed),
            total=len(docnums),
            page=page,
            limit=limit,
            hits=hits,
            facets=counts,
            letters=grouped,
            total_letters=total_letters,
        )


def read_labels(index_dir: Path) -> dict[str, dict[str, str]]:
    """Facet field -> indexed value -> the value as the letters write it (indexer.py)."""
    return (read_meta(index_dir) or {}).get("labels", {})


def shown_value(name: str, value, labels: dict) -> str:
    """A facet value as a reader sees it: as the letters write it, an age band, "(none)"."""
    if value is None:
        return NO_VALUE
    if name == "age":
        return age_band(int(value))
    return labels.get(name, {}).get(str(value), str(value))


def labelled(counts: dict, name: str, labels: dict) -> dict[str, int]:
    """Counts keyed by each value as a reader sees it, most first."""
    shown: dict[str, int] = {}
    for value, count in counts.items():
        label = shown_value(name, value, labels)
        shown[label] = shown.get(label, 0) + count
    return dict(sorted(shown.items(), key=lambda pair: (-pair[1], pair[0])))


def letters_on_page(searcher, results, first: int, limit: int, sort: Sort):
    """The page's letters in the order of their best item, each with all its matching items."""
    keys = searcher.reader().column_reader("letter_key")
    by_letter: dict[str, list[int]] = {}
    for position, docnum in enumerate(results.docs.tolist()):
        by_letter.setdefault(keys[docnum], []).append(position)
    grouped = []
    for positions in list(by_letter.values())[first : first + limit]:
        items = tuple(to_hit(results.hit(position), sort) for position in positions)
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


def items_of_case(searcher, index_dir: Path, case: str) -> dict[int, int]:
    """Item number -> document number of the letter indexed under `case`. Raises NotFound."""
    docs = {
        searcher.stored_fields(n)["item_no"]: n
        for n in searcher.document_numbers(case=case.lower())
    }
    if not docs:
        raise NotFound(f"no letter {case} in the index at {index_dir}")
    return docs


def check_item(case: str, item: int, numbers) -> None:
    if item not in numbers:
        raise NotFound(f"{case} has no item {item}; its items are 1-{max(numbers, default=0)}")


def find_letter(index_dir: Path, case: str, item: int | None = None) -> tuple[Letter, list[str]]:
    """The letter indexed under `case` (with only its item `item`, when given), parsed
    afresh from its file, and warnings about it. Raises NotFound, IndexUnusable."""
    ix = open_index(index_dir)
    with ix.searcher() as searcher:
        docs = items_of_case(searcher, index_dir, case)
        path = searcher.stored_fields(next(iter(docs.values())))["path"]
    from .letters import read_letter_or_reason  # here: only `show` reads letter files

    letter, reason = read_letter_or_reason(Path(path))
    if letter is None:
        raise NotFound(f"{case}: its file {path} cannot be read now ({reason}); re-index")
    warnings = []
    indexed = read_manifest(index_dir).get(path, {}).get("sha256")
    if indexed != file_digest(Path(path)):
        warnings.append(
            f"{path} has changed since it was indexed; run `imr-search index` to update"
        )
    if item is not None:
        check_item(case, item, [i.position for i in letter.items])
        letter = replace(letter, items=tuple(i for i in letter.items if i.position == item))
    return letter, warnings


# ---------------------------------------------------------------- outcome statistics

Z_95 = 1.959963984540054  # the standard normal quantile for a 95% two-sided interval
OTHER = "other"
AGE_BAND_YEARS = 10


@dataclass(frozen=True)
class OutcomeCounts:
    """How a set of decided items came out, with the overturn rate's 95% Wilson interval."""

    items: int
    upheld: int
    overturned: int

    @property
    def rate(self) -> float | None:
        return self.overturned / self.items if self.items else None

    @property
    def interval(self) -> tuple[float, float] | None:
        return wilson_interval(self.overturned, self.items)

    def to_dict(self) -> dict:
        low, high = self.interval or (None, None)
        return {
            "items": self.items,
            "upheld": self.upheld,
            "overturned": self.overturned,
            "rate": self.rate,
            "ci_low": low,
            "ci_high": high,
        }


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


def wilson_interval(successes: int, trials: int, z: float = Z_95) -> tuple[float, float] | None:
    """The Wilson score interval for a binomial proportion: unlike the normal approximation
    it stays within 0..1 and is sound for small counts and rates near 0."""
    if trials == 0:
        return None
    p = successes / trials
    spread = z * z / trials
    centre = (p + spread / 2) / (1 + spread)
    half = z * math.sqrt(p * (1 - p) / trials + spread / (4 * trials)) / (1 + spread)
    # Rounded: at 0 or all successes an end is exactly 0 or 1, not 1e-17 off.
    return round(max(0.0, centre - half), 12), round(min(1.0, centre + half), 12)


def group_name(name: str) -> str:
    """A `--by` field: any facet but outcome (every group is split by it), or age (bands)."""
    resolved = ALIASES.get(name.lower(), name.lower())
    if resolved == "outcome":
        raise QueryError("cannot group by outcome: each group is counted by outcome already")
    if resolved == "age":
        return resolved
    try:
        return facet_name(name)
    except QueryError:
        groupable = ", ".join(f for f in (*FACETS, "age") if f != "outcome")
        raise QueryError(f"cannot group by {name!r}; fields: {groupable}") from None


def age_band(age: int) -> str:
    start = age // AGE_BAND_YEARS * AGE_BAND_YEARS
    return f"{start}-{start + AGE_BAND_YEARS - 1}"


def stats(index_dir: Path, text: str, by: tuple[str, ...], minimum: int = 1) -> StatsResult:
    """Outcome counts and overturn rates of the items matching `text`, grouped by one or two
    fields; groups of fewer than `minimum` items are folded into one "other" group. An item
    with two values of a field (two specialties) counts once under each. Items without an
    outcome (letters whose items could not be read) are left out. Raises QueryError,
    IndexUnusable."""
    fields = tuple(dict.fromkeys(map(group_name, by)))
    if not 1 <= len(fields) <= 2:
        raise QueryError("group by one or two fields: --by FIELD [--by FIELD]")
    parsed = parse_query(text)
    ix = open_index(index_dir)
    labels = read_labels(index_dir)
    with ix.searcher() as searcher:
        docnums = ranked(searcher, with_table_ranges(parsed, index_dir), parsed).docs
        outcomes = docs_by_value(index_dir, searcher, docnums, "outcome")
        by_value = [
            labelled_groups(docs_by_value(index_dir, searcher, docnums, name), name, labels)
            for name in fields
        ]
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
    return StatsResult(text, explain(parsed), fields, tuple(kept), counted(upheld | overturned))


def labelled_groups(groups: dict, name: str, labels: dict) -> dict[str, set[int]]:
    """Groups of one field keyed by each value as a reader sees it."""
    shown: dict[str, set[int]] = {}
    for value, docs in groups.items():
        shown.setdefault(shown_value(name, value, labels), set()).update(docs)
    return shown


# ---------------------------------------------------------------- similar decisions

# How many of an item's most telling words make the "more like this" query, and their
# weight, field by field: the item names the treatment (all its words count), the rationale
# gives the reasons, the summary the facts.
SIMILAR_TERMS = {"item": (None, 1.5), "rationale": (15, 1.0), "summary": (10, 0.5)}
# The index keeps stop words for phrases ("not medically necessary"); they say nothing
# about what a decision is like, and nor do a request's schedule, count and side: "six
# sessions two times a week, left" is physical therapy's, acupuncture's and chiropractic's.
SCHEDULE_WORDS = (
    "times day week month year hour session visit qty quantity request purchase rental "
    "left right bilateral one two three four five six seven eight nine ten twelve"
)
STOP_WORDS = frozenset(
    stem(word) for word in [*whoosh.analysis.STOP_WORDS, *SCHEDULE_WORDS.split()]
)
# The same drug, class of drug and kind of treatment count too.
SIMILAR_FACETS = {"drug": 3.0, "drug_class": 2.0, "category": 1.0}


def similar(index_dir: Path, reference: str, *, limit: int = 10) -> SearchResult:
    """The items of other letters most like the item `reference` ("CASE#ITEM", or "CASE"
    for a letter of one item): its item text, rationale and the letter's summary, weighed
    by how telling each word is in the index, and the same drug and treatment. Raises NotFound,
    QueryError, IndexUnusable."""
    case, _, number = reference.partition("#")
    if number and not number.isdigit():
        raise QueryError(f"{reference!r}: write CASE#ITEM, e.g. CM16-0230651#9")
    ix = open_index(index_dir)
    with ix.searcher() as searcher:
        docs = items_of_case(searcher, index_dir, case)
        if not number and len(docs) > 1:
            raise NotFound(f"{case} has {len(docs)} items; name one, e.g. {case}#{min(docs)}")
        item_no = int(number) if number else next(iter(docs))
        check_item(case, item_no, docs)
        stored = searcher.stored_fields(docs[item_no])
        wanted = []
        for name, (count, boost) in SIMILAR_TERMS.items():
            for word, weight in telling_words(searcher, name, stored.get(name, ""), count):
                wanted.append(wq.Term(name, word, boost=boost * weight))
        for name, boost in SIMILAR_FACETS.items():
            for value in split_list(stored.get(name)):
                wanted.append(wq.Term(name, facet_value(value), boost=boost))
        if not wanted:
            raise NotFound(f"{reference}: the item has no words to compare")
        like = wq.AndNot(wq.Or(wanted), wq.Term("letter_key", stored["letter_key"]))
        best = ranked(searcher, like, like).hits(0, limit)
        hits = tuple(to_hit(found, Sort.relevance) for found in best)
    return SearchResult(
        query=f"similar to {reference}",
        explained=str(like),
        total=len(hits),
        page=1,
        limit=limit,
        hits=hits,
        facets={"outcome": labelled(Counter(hit.outcome for hit in hits), "outcome", {})},
    )


def telling_words(searcher, name: str, text: str, count: int | None) -> list[tuple[str, float]]:
    """The `count` words of `text` that most set it apart in field `name` (all its words,
    equally, when `count` is None), leaving out stop words and bare numbers."""
    if count is None:
        analyzer = searcher.schema[name].analyzer
        words = [(token.text, 1.0) for token in analyzer(text, mode="query")]
    else:
        words = searcher.key_terms_from_text(name, text, count + len(STOP_WORDS))
    telling = [(w, weight) for w, weight in dict(words).items() if w not in STOP_WORDS]
    return [(w, weight) for w, weight in telling if not w.isdigit()][:count]
