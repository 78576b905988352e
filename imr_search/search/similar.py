"""Similar decisions: the items of other letters most like one item."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from ..engine.query import QueryError
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
    provenance_of,
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
        texts = {field.name: stored.get(field.name, "") for field in SIMILAR_TEXT}
        found = {field.name: split_list(stored.get(field.name)) for field in SIMILAR_VALUES}
        terms, values = like_terms(snapshot, texts, found)
        if not terms and not values:
            raise NotFound(f"{reference}: the item has no words to compare")
        return like_result(snapshot, terms, values, stored["letter_key"], reference, limit)


def like_terms(snapshot: Snapshot, texts: dict, found: dict, words: dict | None = None):
    """What `Snapshot.like` compares: the telling words of `texts` (field -> text), as many
    as each field's `similar_words` (or `words` says), and the values `found` (field ->
    values), each weighed as the fields table says."""
    terms = [
        (field.name, word, field.similar_boost * weight)
        for field in SIMILAR_TEXT
        for word, weight in telling_words(
            snapshot,
            field.name,
            texts.get(field.name, ""),
            (words or {}).get(field.name, field.similar_words),
        )
    ]
    values = [
        (field.name, value, field.similar_boost)
        for field in SIMILAR_VALUES
        for value in dict.fromkeys(v for v in found.get(field.name, ()) if v)
    ]
    return terms, values


def like_result(
    snapshot: Snapshot, terms: list, values: list, unlike_key: str, reference: str, limit: int
) -> SearchResult:
    """The `limit` items most like `terms` and `values` (`Snapshot.like`), leaving out the
    letter `unlike_key`, with their outcome counts. Raises ParameterError."""
    if limit < 1:
        raise ParameterError("--limit starts at 1")
    ranking = snapshot.like(terms, values, unlike_key=unlike_key)
    shown = ranking.best(limit)
    hits = tuple(to_hit(snapshot, shown, at) for at in range(len(shown)))
    text = f"similar to {reference}"
    compared = ", ".join(f"{n}:{w}" for n, w, _ in [*terms, *values])
    explained = f"like {reference}: {compared}"
    return SearchResult(
        query=text,
        explained=explained,
        total=len(hits),
        page=1,
        limit=limit,
        hits=hits,
        facets={"outcome": labelled(Counter(hit.outcome for hit in hits), "outcome", {})},
        provenance=provenance_of(snapshot, text, explained),
    )


class UnreadableDocument(QueryError):
    """A document `similar --file` cannot read; the message names it and why."""


# A document that is no IMR letter has no item heading: its treatment is told by its most
# telling words in the items' terms, about as many as an item's heading holds.
DOCUMENT_ITEM_WORDS = 10


def similar_to_file(index_dir: Path, path: Path, *, limit: int = 10) -> SearchResult:
    """The indexed items most like a document that is not in the index: an IMR letter (its
    items, rationales and summary, its drugs and kinds of treatment, as `similar` compares
    an item), or any other text or PDF about a request (a UR denial, a request for
    authorization, a physician's report: its most telling words in each field's terms, and
    the drugs and kind of treatment it names). Raises UnreadableDocument, NotFound,
    IndexUnusable."""
    from ..indexer import letter_key  # the indexer's machinery: for documents alone
    from ..letters.enrich import categorise, find_drug
    from ..letters.files import LetterError, read_document

    try:
        text, letter = read_document(path)
    except LetterError as exc:
        raise UnreadableDocument(f"{path}: {exc}") from None
    if letter is not None:
        texts = {
            "item": " ".join(item.item for item in letter.items),
            "rationale": " ".join(item.rationale for item in letter.items),
            "summary": letter.summary,
        }
        found = {
            "category": [item.category for item in letter.items],
            "drug": [d for item in letter.items if item.drug for d in item.drug.split(" / ")],
            "drug_class": [item.drug_class for item in letter.items],
        }
        unlike_key = letter_key(letter)
    else:
        texts = dict.fromkeys(("item", "rationale", "summary"), text)
        drug, drug_class = find_drug(text)
        # A document that names no kind of treatment ("other") says nothing to compare.
        category = "medication" if drug else categorise(text)
        found = {
            "category": [category] if category != "other" else [],
            "drug": drug.split(" / ") if drug else [],
            "drug_class": [drug_class],
        }
        unlike_key = ""  # no letter's key
    words = None if letter is not None else {"item": DOCUMENT_ITEM_WORDS}
    with open_snapshot(index_dir) as snapshot:
        terms, values = like_terms(snapshot, texts, found, words)
        if not terms and not values:
            raise NotFound(f"{path}: the document has no words to compare")
        return like_result(snapshot, terms, values, unlike_key, path.name, limit)


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
