"""Similar decisions: the items of other letters most like one item."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from ..engine.schema import COMMON_WORDS, prose_terms
from ..engine.snapshot import Snapshot, open_snapshot
from ..fields import FIELDS, Kind
from .results import (
    NotFound,
    ParameterError,
    SearchResult,
    check_item,
    items_of_case,
    labelled,
    split_list,
    to_hit,
)

# The index keeps stop words for phrases ("not medically necessary"); they say nothing
# about what a decision is like, and nor do a request's schedule, count and side: "six
# sessions two times a week, left" is physical therapy's, acupuncture's and chiropractic's.
SCHEDULE_WORDS = (
    "times day week month year hour session visit qty quantity request purchase rental "
    "left right bilateral one two three four five six seven eight nine ten twelve"
)
STOP_WORDS = frozenset(prose_terms(" ".join([*COMMON_WORDS, *SCHEDULE_WORDS.split()])))
# The words of an item's text fields, and the same drug, class and kind of treatment, each
# with the weight the fields table gives it (`similar_words`, `similar_boost`).
SIMILAR_TEXT = [f for f in FIELDS if f.kind is Kind.PROSE and f.similar_boost]
SIMILAR_VALUES = [f for f in FIELDS if f.kind is Kind.VALUES and f.similar_boost]


def read_reference(reference: str) -> tuple[str, int | None]:
    """ "CASE#ITEM" as case and item number, "CASE" as case and None. Raises
    ParameterError."""
    case, _, number = reference.partition("#")
    if number and not number.isdigit():
        raise ParameterError(f"{reference!r}: write CASE#ITEM, e.g. CM16-0230651#9")
    return case, int(number) if number else None


def similar(
    index_dir: Path, case: str, item: int | None = None, *, limit: int = 10
) -> SearchResult:
    """The items of other letters most like item `item` of the letter `case` (None: the
    letter's one item): its item text, rationale and the letter's summary, weighed by how
    telling each word is in the index, and the same drug and treatment. Raises NotFound,
    IndexUnusable."""
    with open_snapshot(index_dir) as snapshot:
        docs = items_of_case(snapshot, index_dir, case)
        if item is None and len(docs) > 1:
            raise NotFound(f"{case} has {len(docs)} items; name one, e.g. {case}#{min(docs)}")
        item_no = item if item is not None else next(iter(docs))
        check_item(case, item_no, docs)
        reference = case if item is None else f"{case}#{item}"  # as the user named it
        stored = snapshot.stored(docs[item_no])
        terms = [
            (field.name, word, field.similar_boost * weight)
            for field in SIMILAR_TEXT
            for word, weight in telling_words(
                snapshot, field.name, stored.get(field.name, ""), field.similar_words
            )
        ]
        values = [
            (field.name, value, field.similar_boost)
            for field in SIMILAR_VALUES
            for value in split_list(stored.get(field.name))
        ]
        if not terms and not values:
            raise NotFound(f"{reference}: the item has no words to compare")
        ranking = snapshot.like(terms, values, unlike_key=stored["letter_key"])
        hits = tuple(to_hit(snapshot, ranking, at) for at in range(min(limit, len(ranking))))
    return SearchResult(
        query=f"similar to {reference}",
        explained=f"like {reference}: {', '.join(f'{n}:{w}' for n, w, _ in terms)}",
        total=len(hits),
        page=1,
        limit=limit,
        hits=hits,
        facets={"outcome": labelled(Counter(hit.outcome for hit in hits), "outcome", {})},
    )


def telling_words(
    snapshot: Snapshot, name: str, text: str, count: int | None
) -> list[tuple[str, float]]:
    """The `count` words of `text` that most set it apart in field `name` (all its words,
    equally, when `count` is None), leaving out stop words and bare numbers."""
    if count is None:
        words = [(word, 1.0) for word in snapshot.words(name, text)]
    else:
        words = snapshot.telling_words(name, text, count + len(STOP_WORDS))
    telling = [(w, weight) for w, weight in dict(words).items() if w not in STOP_WORDS]
    return [(w, weight) for w, weight in telling if not w.isdigit()][:count]
