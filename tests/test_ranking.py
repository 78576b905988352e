"""Ranking over arrays (ranking.py) gives exactly Whoosh's own search: the same items in
the same order with the same scores, for every kind of query, on an index of several
segments with deleted documents and posting lists of many blocks.

Whoosh is given the query as the parser reads it, its date and number ranges Whoosh's own
NumericRange over the indexed terms; imr-search runs it with those ranges read from its
value tables (facets.with_table_ranges), so the tables' ranges are checked here too."""

import re
import shutil
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from whoosh import sorting
from whoosh.query import DateRange

from imr_search.engine.answers import in_order
from imr_search.engine.facets import TableRange, with_table_ranges
from imr_search.engine.query import parse_query
from imr_search.engine.ranking import (
    POSITION_BITS,
    Matches,
    Ranking,
    by_date,
    has_arrays,
    phrase_runs,
    places_and_positions,
    ranked,
)
from imr_search.engine.schema import encoded_positions
from imr_search.engine.writer import BLOCK_POSTINGS
from imr_search.indexer import index_paths
from imr_search.search import search

from .conftest import CORPUS, truth_rows, whoosh_index
from .test_index import many_letters

# 600 copies of the seed letters give common terms several blocks (BLOCK_POSTINGS a block).
COPIES = 600

QUERIES = [
    "flexeril",  # a drug name: an OR of its names over four fields
    "radiculopathy",
    "mri lumbar",
    "tramadol OR lyrica",
    "item:physical^3 therapy",
    '"acute exacerbation" AND outcome:Upheld',  # positions, where the outcome is
    '"not medically necessary"',
    '"is not medically necessary"',  # 4 words
    '"physical therapy"~3 AND state:california',  # positions, where both words are
    '"physical therapy"~3',
    'summary:"therapy physical"~4',  # in order: the reverse is another phrase
    'summary:"patient pain"~3',  # 4 items; ~4 finds 19: the slop is a bound
    '"mri lumbar"~2',  # 1 item; ~3 finds 2
    'guideline:"chronic pain"',  # a phrase within either citation
    "summary:radiculopathy",  # the letter's summary, named
    'rationale:"physical therapy"',  # one field
    '"physical therapy" OR "medically necessary"',
    '"medically necessary" NOT outcome:overturned',
    "NOT outcome:overturned",
    "lumbar ANDNOT spine",
    "radiculopathy ANDMAYBE lumbar",
    "mri OR (lumbar AND NOT spine)",
    "exacerb*",
    "flexer?l",
    "flexiril~",
    'specialty:"pain management" "physical therapy"',
    "decided:[2016-12-01 TO 2016-12-31]",
    "injured:<2010 AND age:[40 TO 60]",
    "item_no:2",
    "item_no:[1 TO 2] drug:cyclobenzaprine",
    "case:CM16-0230651 OR sex:female",  # unscored fields: the weight is the score
    "source:odg AND year:[2016 TO 2017]",
    # Ranges whose ends are values letters hold (test_range_ends_are_held): in or out.
    "age:[55 TO 60]",
    "age:{32 TO 55}",
    "decided:[2016-12-09 TO 2017-01-09]",
    "decided:{2016-12-09 TO 2017-01-09}",
    "*",
    "zyzzyva",
]


def test_range_ends_are_held():
    """The ranges of QUERIES end on values the letters hold, where a range's end is decided."""
    ages = {row.get("age") for row in truth_rows()}
    decided = {row.get("decision_date") for row in truth_rows()}
    assert {32, 55, 60} <= ages
    assert {"2016-12-09", "2017-01-09"} <= decided


@pytest.fixture(scope="module")
def updated_index(tmp_path_factory) -> Path:
    """The corpus and COPIES more letters, indexed in two runs: the second adds letters,
    changes one and removes one, so the first segment holds deleted documents."""
    root = tmp_path_factory.mktemp("ranking")
    corpus, aside = root / "corpus", root / "aside"
    shutil.copytree(CORPUS, corpus)
    many_letters(corpus / "more", COPIES)
    aside.mkdir()
    for path in sorted(corpus.glob("CM17-*.pdf")):
        path.rename(aside / path.name)
    ix = root / "ix"
    index_paths([corpus], ix, jobs=1)
    for path in aside.iterdir():
        path.rename(corpus / path.name)
    changed = corpus / "003_5a544ee8a4f7ad7c.txt"
    changed.write_text(changed.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    (corpus / "more" / "letter-00007.txt").unlink()
    index_paths([corpus], ix, jobs=1)
    return ix


def test_the_index_has_segments_with_deletions(updated_index):
    with whoosh_index(updated_index).searcher() as searcher:
        leaves = [reader for reader, _ in searcher.reader().leaf_readers()]
        assert len(leaves) >= 2
        assert any(reader.has_deletions() for reader in leaves)
        assert searcher.doc_frequency("rationale", "the") > 2 * BLOCK_POSTINGS


@pytest.mark.parametrize("text", QUERIES)
def test_same_items_order_and_scores_as_whoosh(updated_index, text):
    parsed = parse_query(text)
    run = with_table_ranges(parsed, updated_index)
    table_ranges = any(isinstance(leaf, TableRange) for leaf in run.leaves())
    assert table_ranges == bool(
        re.search(r"\b(?:decided|injured|age|year):|\bitem_no:[\[{<>]", text)
    )
    with whoosh_index(updated_index).searcher() as searcher:
        expected = searcher.search(parsed, limit=None).top_n
        ranking = ranked(searcher, run, parsed).best()
        found = list(zip(ranking.scores.tolist(), ranking.docs.tolist(), strict=True))
    assert [doc for _, doc in found] == [doc for _, doc in expected]
    assert [score for score, _ in found] == pytest.approx([score for score, _ in expected])
    if text != "zyzzyva":
        assert found, text


def test_positions_are_read_after_the_rest_of_an_and(updated_index):
    runs = {text: with_table_ranges(parse_query(text), updated_index) for text in QUERIES}
    assert has_arrays(runs["radiculopathy"]) and has_arrays(runs["exacerb*"])
    assert not has_arrays(runs['"not medically necessary"'])  # read from positions
    assert not has_arrays(runs['"physical therapy"~3 AND state:california'].subqueries[0])


def test_search_results_are_whoosh_ranked(updated_index):
    """The page of hits `search` shows is Whoosh's own first page."""
    text = "summary:radiculopathy lumbar"
    result = search(updated_index, text, limit=5, page=2)
    with whoosh_index(updated_index).searcher() as searcher:
        expected = searcher.search(parse_query(text), limit=None)
        page = [(hit["case"], hit["item_no"]) for hit in expected[5:10]]
    assert [(hit.case, hit.item_no) for hit in result.hits] == page
    assert result.total == len(expected)


def whoosh_date_order(newest: bool) -> sorting.MultiFacet:
    """Whoosh's own sort: dated letters first, by date, then by case and item number."""
    dated = DateRange("decision_date", datetime(1900, 1, 1), datetime(2200, 1, 1))
    return sorting.MultiFacet(
        [
            sorting.QueryFacet({0: dated}, other=1),
            sorting.FieldFacet("decision_date", reverse=newest),
            sorting.FieldFacet("case"),
            sorting.FieldFacet("item_no"),
        ]
    )


@pytest.mark.parametrize("newest", [False, True])
@pytest.mark.parametrize(
    "text",
    ["*", "summary:radiculopathy", '"medically necessary" NOT outcome:upheld', "age:[30 TO 50]"],
)
def test_date_order_is_whoosh_sorted_order(updated_index, text, newest):
    parsed = parse_query(text)
    run = with_table_ranges(parsed, updated_index)
    with whoosh_index(updated_index).searcher() as searcher:
        expected = searcher.search(parsed, limit=None, sortedby=whoosh_date_order(newest))
        found = by_date(searcher, run, parsed, updated_index, newest)
        assert found.docs.tolist() == [doc for _, doc in expected.top_n]
        undated = [hit for hit in found.hits(0, len(found)) if hit.get("decision_date") is None]
    assert len(found) > 5
    if text == "*":
        assert undated  # the corpus has letters without a decision date: they come last


def runs_by_brute_force(words: list[list[list[int]]], slop: int) -> list[int]:
    """The documents where some position of each word follows one of the word before by
    1 to `slop`: every chain tried."""

    def chains(place: int, end: int, rest: list) -> bool:
        if not rest:
            return True
        return any(chains(place, p, rest[1:]) for p in rest[0][place] if 0 < p - end <= slop)

    places = range(len(words[0]))
    return [n for n in places if any(chains(n, p, words[1:]) for p in words[0][n])]


def keys_of(positions_by_place: list[list[int]]) -> np.ndarray:
    return np.array(
        [(n << POSITION_BITS) + p for n, held in enumerate(positions_by_place) for p in held],
        dtype=np.int64,
    )


POSITIONS = st.lists(st.integers(0, 12), max_size=5).map(sorted)


def phrase_words(places: int):
    """Two to four words, each with its positions in `places` documents."""
    return st.lists(st.lists(POSITIONS, min_size=places, max_size=places), min_size=2, max_size=4)


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 4).flatmap(phrase_words), st.integers(1, 4))
def test_phrase_ends_find_the_runs_every_chain_finds(words, slop):
    _, ends = phrase_runs([keys_of(word) for word in words], slop)
    assert np.unique(ends >> POSITION_BITS).tolist() == runs_by_brute_force(words, slop)


def test_positions_are_decoded_by_document():
    values = np.empty(3, dtype=object)
    values[:] = [encoded_positions([0, 7]), encoded_positions([3]), encoded_positions([2, 2, 9])]
    assert places_and_positions(values).tolist() == keys_of([[0, 7], [3], [2, 2, 9]]).tolist()


# ---------------------------------------------------------------- matches as sets
# Sets of matches drawn sparse (a few documents over a wide range of numbers) or dense (most
# numbers of a narrow range), so that both ways of combining them are taken; the oracle is
# Python's sets and a sum over the parts in order.


@st.composite
def matches_drawn(draw, span: int):
    docs = sorted(draw(st.sets(st.integers(0, span - 1), max_size=60)))
    scores = [draw(st.just(0.0) | st.floats(0.01, 10)) for _ in docs]  # 0: a filter's
    return Matches(np.array(docs, dtype=np.int64), np.array(scores))


spans = st.sampled_from([40, 100_000])


@settings(max_examples=300, deadline=None)
@given(data=st.data(), span=spans)
def test_matches_combine_as_sets_with_scores_added(data, span):
    parts = data.draw(st.lists(matches_drawn(span), min_size=1, max_size=4))
    score_of = [dict(zip(p.docs.tolist(), p.scores.tolist(), strict=True)) for p in parts]

    union = Matches.union(parts)
    every = sorted(set().union(*score_of))
    assert union.docs.tolist() == every
    expected = [sum(s[d] for s in score_of if d in s) for d in every]  # in the parts' order
    assert union.scores.tolist() == expected

    a, b = parts[0], parts[-1]
    sa, sb = score_of[0], score_of[-1]
    both = a.both(b)
    assert both.docs.tolist() == sorted(set(sa) & set(sb))
    assert both.scores.tolist() == [sa[d] + sb[d] for d in both.docs.tolist()]
    without = a.without(b.docs)
    assert without.docs.tolist() == sorted(set(sa) - set(sb))
    assert without.scores.tolist() == [sa[d] for d in without.docs.tolist()]
    plus = a.plus_where(b)
    assert plus.docs.tolist() == a.docs.tolist()
    assert plus.scores.tolist() == [sa[d] + sb.get(d, 0.0) for d in a.docs.tolist()]
    asked = np.array(data.draw(st.lists(st.integers(0, span - 1), max_size=80)), dtype=np.int64)
    assert in_order(asked, b.docs).tolist() == [d in sb for d in asked.tolist()]


@pytest.mark.parametrize("far", [None, 99_999])  # combined in a table; sparsely
def test_a_union_adds_each_documents_scores_in_the_parts_order(far):
    """Four parts sharing thirty documents (and, sparse, one far one): each document's
    scores added in the parts' order, as Whoosh adds them, to the last bit."""
    generator = np.random.default_rng(7)
    shared = list(range(30)) + ([far] if far else [])
    parts = [Matches(np.array(shared), generator.uniform(0, 10, len(shared))) for _ in range(4)]
    union = Matches.union(parts)
    assert union.docs.tolist() == shared
    expected = [sum(p.scores[i] for p in parts) for i in range(len(shared))]
    assert union.scores.tolist() == expected


@settings(max_examples=300, deadline=None)
@given(
    # Long lists as often as short ones: a page under an eighth of them is ranked by partition.
    scores=st.integers(0, 200).flatmap(
        lambda n: st.lists(
            st.sampled_from([0.0, 0.5, 1.0, 2.25]) | st.floats(0, 50), min_size=n, max_size=n
        )
    ),
    stop=st.integers(-3, 210),  # a stop below zero asks for nothing
)
def test_the_best_matches_are_the_first_of_them_all_sorted(scores, stop):
    """A page ranked by partition is the page of the whole list sorted by score, ties in
    index order (the oracle: Python's sort of (score, document) pairs)."""
    docs = np.arange(len(scores), dtype=np.int64) * 3  # in index order, as matched
    found = Ranking(docs, np.array(scores, dtype=np.float64), None, in_order=False)
    everything = sorted(zip(scores, docs.tolist(), strict=True), key=lambda p: (-p[0], p[1]))
    page = found.best(stop)
    assert page.in_order
    shown = everything[: max(stop, 0)]
    assert list(zip(page.scores.tolist(), page.docs.tolist(), strict=True)) == shown
