"""Answers to common phrases and costly tests kept per segment (answers.py): read back,
they give exactly Whoosh's own search, or what the letters' own text gives, through the
deletions of later runs; a commit drops those of segments merged away; the least recently
used go first when they outgrow their room."""

import os
import re
import shutil
import tempfile
from collections import Counter
from pathlib import Path

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from imr_search.engine import answers, building, ranking
from imr_search.engine.facets import with_table_ranges
from imr_search.engine.query import parse_query
from imr_search.engine.ranking import ranked
from imr_search.engine.store import live_store
from imr_search.indexer import index_paths
from imr_search.search import search

from .conftest import CORPUS, truth_rows, whoosh_index
from .oracles import case_of, truth_items
from .test_connectors import Asked
from .test_connectors_letters import REAL_QUERIES, matching_items, word
from .test_index import many_letters
from .test_query import found, searched_texts

PHRASES = [
    '"medically necessary"',
    '"not medically necessary"',
    '"physical therapy"~3',
    '"medically necessary" AND outcome:upheld',  # among the documents the rest matched
    '"not medically necessary" NOT outcome:overturned',
]


def whoosh_and_kept(ix: Path, text: str) -> tuple[list, list]:
    """Whoosh's own (score, document) list for `text`, and ranking.py's with answers kept."""
    parsed = parse_query(text)
    with whoosh_index(ix).searcher() as searcher:
        expected = [
            (round(score, 9), doc) for score, doc in searcher.search(parsed, limit=None).top_n
        ]
        found = ranked(searcher, with_table_ranges(parsed, ix), parsed, live_store(ix)).best()
        kept = [
            (round(s, 9), d)
            for s, d in zip(found.scores.tolist(), found.docs.tolist(), strict=True)
        ]
    return expected, kept


def segment_ids(ix: Path) -> set[str]:
    with whoosh_index(ix).searcher() as searcher:
        return {reader.segment().segment_id() for reader, _ in searcher.reader().leaf_readers()}


def kept_files(ix: Path) -> dict[str, int]:
    """Each kept answer's file name -> its inode (a file written again has a new one)."""
    folder = live_store(ix) / answers.FOLDER
    return {path.name: path.stat().st_ino for path in folder.glob("*.npz")}


def test_kept_answers_stay_true_through_later_runs(tmp_path, monkeypatch):
    monkeypatch.setattr(ranking, "KEEP_FROM", 1)  # every phrase is common here
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    many_letters(corpus / "more", 600)
    ix = tmp_path / "ix"
    index_paths([corpus], ix, jobs=1)
    for text in PHRASES:
        expected, kept = whoosh_and_kept(ix, text)
        assert kept == expected and kept, text
    first = kept_files(ix)
    assert {name.split(".")[0] for name in first} == segment_ids(ix)

    # A second run deletes documents of the first segment (a letter changed, one removed)
    changed = corpus / "more" / "letter-00003.txt"
    changed.write_text(changed.read_text(encoding="utf-8") + "\nMore.\n", encoding="utf-8")
    (corpus / "more" / "letter-00008.txt").unlink()
    index_paths([corpus], ix, jobs=1)
    old = {name.split(".")[0] for name in first} & segment_ids(ix)
    assert old, "the first run's segment was merged away: no deletions to read through"
    for text in PHRASES:
        expected, kept = whoosh_and_kept(ix, text)
        assert kept == expected and kept, text
    now = kept_files(ix)
    reused = {name: inode for name, inode in first.items() if name.split(".")[0] in old}
    assert reused and all(now[name] == inode for name, inode in reused.items())


def test_runs_keep_few_segments_and_the_answers_of_theirs(tmp_path, monkeypatch):
    """Run after run of one new letter each, the one before changed: no segment is left
    without a live document, no size tier holds more than MERGE_FACTOR segments (they are
    merged), every letter is found, and the answers kept are those of segments on disk."""
    monkeypatch.setattr(ranking, "KEEP_FROM", 1)
    corpus, ix = tmp_path / "corpus", tmp_path / "ix"
    shutil.copytree(CORPUS, corpus)
    index_paths([corpus], ix, jobs=1)
    seen: set[str] = set()
    for n in range(2 * building.MERGE_FACTOR):
        many_letters(corpus / "more", n + 1)  # one letter more than the run before
        if n:  # and the one the run before added, changed: its segment has no letter left
            last = corpus / "more" / f"letter-{n - 1:05d}.txt"
            last.write_text(last.read_text(encoding="utf-8") + "\nChanged.\n", encoding="utf-8")
        index_paths([corpus], ix, jobs=1)
        with whoosh_index(ix).searcher() as searcher:
            readers = [reader for reader, _ in searcher.reader().leaf_readers()]
            live = [reader.doc_count() for reader in readers]
            assert all(live), live
            tiers = Counter(building.size_tier(count) for count in live)
            # (a commit merges before the run's own new segment joins the others)
            assert max(tiers.values()) <= building.MERGE_FACTOR, live
            seen |= segment_ids(ix)
        assert search(ix, "*", letters=True).total_letters == len(truth_rows()) + n + 1
        for text in PHRASES:
            expected, kept = whoosh_and_kept(ix, text)
            assert kept == expected and kept, text
        on_disk = {path.name.split(".")[0] for path in live_store(ix).glob("imr_*.*")}
        assert {name.split(".")[0] for name in kept_files(ix)} <= on_disk
    assert seen - segment_ids(ix), "no segment was merged away"


def test_a_damaged_answer_is_worked_out_again(tmp_path, monkeypatch):
    """An answer file cut short (a crash before its bytes reached the disk), holding another
    phrase's answer, or not an answer at all: the query answers as Whoosh does, and the
    answer is kept anew."""
    monkeypatch.setattr(ranking, "KEEP_FROM", 1)
    corpus, ix = tmp_path / "corpus", tmp_path / "ix"
    shutil.copytree(CORPUS, corpus)
    index_paths([corpus], ix, jobs=1)
    whoosh_and_kept(ix, '"medically necessary"')
    whoosh_and_kept(ix, '"not medically necessary"')
    two, three = (
        answer_file(ix, "rationale", '"medically necessary"'),
        answer_file(ix, "rationale", '"not medically necessary"'),
    )
    shutil.copy(three, two)  # an answer of three words where two are asked for
    three.write_bytes(b"")
    for text in ('"medically necessary"', '"not medically necessary"'):
        expected, kept = whoosh_and_kept(ix, text)
        assert kept == expected and kept, text
    for path, words in ((two, 2), (three, 3)):
        with np.load(path) as held:
            assert held["weights"].shape == (words, len(held["docs"])) and len(held["docs"])


def counts_tested(ix: Path) -> dict[str, int]:
    """Each kept test's file name -> the documents it has tested."""
    counts = {}
    for path in (live_store(ix) / answers.FOLDER).glob("*.npz"):
        with np.load(path) as held:
            if "tested" in held:  # not a phrase's
                counts[path.name] = len(held["tested"])
    return counts


# Connectors that find different items between "request" and "physical" on the letters.
DIFFERENT_CONNECTORS = [
    Asked("/2", "word", 2),
    Asked("/5", "word", 5),
    Asked("not w/2", "word", 2, apart=True),
    Asked("/s", "sentence"),
    Asked("+s", "sentence", 0, True),
    Asked("/p", "paragraph"),
]


def test_kept_tests_find_what_the_letters_text_gives(tmp_path, monkeypatch):
    """Connectors and words as written, every test kept (KEEP_FROM 1): the first query,
    the same again (read back), a query testing only some documents then one testing all
    (the kept test grows), and after a run that removes letters (their documents deleted in
    the segment the tests were kept for): each finds the items the letters' own text gives,
    by test_connectors_letters's and test_query's rules."""
    monkeypatch.setattr(ranking, "KEEP_FROM", 1)
    corpus, ix = tmp_path / "corpus", tmp_path / "ix"
    shutil.copytree(CORPUS, corpus)
    index_paths([corpus], ix, jobs=1)

    def holding(pattern, keep=lambda item: True):
        return {
            item.key
            for item in truth_items()
            if keep(item) and any(re.search(pattern, t, re.I) for t in searched_texts()[item.key])
        }

    upheld = lambda item: item.outcome == "Upheld"  # noqa: E731
    expected = {
        "#documented AND outcome:upheld": holding(r"\bdocumented\b", upheld),
        "#documented": holding(r"\bdocumented\b"),
        "#l5-s1": holding(r"(?<![\w#])(?<!\w[-/.])l5-s1(?![-/.]?\w)"),
        **{text: matching_items(*sides) for text, *sides in REAL_QUERIES},
        **{  # the same sides, another connector: another test
            f"request {connector.spelling} physical": matching_items(
                word("requests?|requested|requesting"), connector, word("physical")
            )
            for connector in DIFFERENT_CONNECTORS
        },
    }
    assert all(expected.values())
    assert len({frozenset(expected[f"request {c.spelling} physical"]) for c in
                DIFFERENT_CONNECTORS}) == len(DIFFERENT_CONNECTORS)  # fmt: skip
    assert expected["#documented AND outcome:upheld"] < expected["#documented"]
    gone: set[str] = set()
    for step in ("first", "again", "after removals"):
        for text, items in expected.items():
            assert found(ix, text) == {key for key in items if key[0] not in gone}, (step, text)
            if step == "first" and text == "#documented AND outcome:upheld":
                some = counts_tested(ix)
        if step == "first":
            grown = counts_tested(ix)
            assert some and all(grown[name] > count for name, count in some.items())
            files = kept_files(ix)
        if step == "again":
            assert kept_files(ix) == files  # read back, none worked out and written again
            segments = segment_ids(ix)
            removed = sorted(corpus.glob("*.txt"))[::4]
            gone = {case_of(row) for row in truth_rows() if Path(row["file"]).name in
                    {path.name for path in removed}}  # fmt: skip
            assert len(gone) == len(removed)
            for path in removed:
                path.unlink()
            index_paths([corpus], ix, jobs=1)
            assert segment_ids(ix) == segments  # its documents deleted, the segment kept
    assert len(counts_tested(ix)) >= len(expected)


def test_a_damaged_test_is_worked_out_again(tmp_path, monkeypatch):
    """A kept test cut short, holding a phrase's answer instead, holding documents it
    never tested, or its documents out of order: the query finds what the letters' text
    gives, and keeps its test anew."""
    monkeypatch.setattr(ranking, "KEEP_FROM", 1)
    corpus, ix = tmp_path / "corpus", tmp_path / "ix"
    shutil.copytree(CORPUS, corpus)
    index_paths([corpus], ix, jobs=1)
    queries = {text: matching_items(*sides) for text, *sides in REAL_QUERIES[:6]}
    queries["#documented"] = {
        key for key, texts in searched_texts().items()
        if any(re.search(r"\bdocumented\b", text, re.I) for text in texts)
    }  # fmt: skip
    for text in queries:
        found(ix, text)
    whoosh_and_kept(ix, '"medically necessary"')
    phrase = answer_file(ix, "rationale", '"medically necessary"')
    tests = sorted(counts_tested(ix))
    folder = live_store(ix) / answers.FOLDER
    with_passed = [name for name in tests if len(np.load(folder / name)["passed"]) > 1]
    assert len(tests) >= 4 and with_passed
    for n, name in enumerate(tests):
        if name == with_passed[0]:  # its documents out of order
            with np.load(folder / name) as held:
                tested, passed = held["tested"], held["passed"][::-1]
            np.savez(folder / name, tested=tested, passed=passed)
        elif n % 3 == 0:
            (folder / name).write_bytes((folder / name).read_bytes()[:40])
        elif n % 3 == 1:
            shutil.copy(phrase, folder / name)
        else:
            np.savez(folder / name, tested=np.zeros(0, dtype=np.uint32),
                     passed=np.arange(1000, dtype=np.uint32))  # fmt: skip
    for text, items in queries.items():
        assert found(ix, text) == items, text
    assert set(counts_tested(ix)) == set(tests) and all(counts_tested(ix).values())


def answer_file(ix: Path, fieldname: str, phrase: str) -> Path:
    """Where the answer to `phrase` in `fieldname` of the index's one segment is kept."""
    (segment,) = segment_ids(ix)
    schema = whoosh_index(ix).schema
    texts = [
        schema[fieldname].to_bytes(word) for word in parse_query(f"{fieldname}:{phrase}").words
    ]
    path = answers.answer_path(live_store(ix), segment, answers.phrase_asked(fieldname, texts, 1))
    assert path.exists(), phrase
    return path


@settings(max_examples=60, deadline=None)
@given(
    sizes=st.lists(st.integers(1, 500), min_size=1, max_size=8),
    limit=st.integers(1, 2000),
)
def test_least_recently_used_answers_go_first(sizes, limit):
    """Files of known sizes and times of use. What must be left: under the limit in all;
    each more recently used than every file removed; and no more removed than needed (the
    most recently used of those removed, put back, would reach the limit)."""
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        for n, size in enumerate(sizes):
            path = folder / f"seg{n}.key.npz"
            path.write_bytes(b"x" * size)
            os.utime(path, ns=(n * 10**9, n * 10**9))  # the n-th used n-th
        answers.make_room(folder, limit)
        left = {int(path.name[3]) for path in folder.glob("*.npz")}
    removed = set(range(len(sizes))) - left
    assert sum(sizes[n] for n in left) < limit
    assert all(kept > gone for kept in left for gone in removed)
    if removed:
        assert sum(sizes[n] for n in left) + sizes[max(removed)] >= limit
