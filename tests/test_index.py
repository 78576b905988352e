"""Indexing the sample corpus into a real Whoosh index on disk."""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from typer.testing import CliRunner
from whoosh.query import Term

from imr_search import indexer
from imr_search.cli import app
from imr_search.engine import building, facets
from imr_search.engine.store import write_lock
from imr_search.indexer import (
    IndexUnusable,
    index_info,
    index_paths,
    letter_key,
)
from imr_search.letters import read_letter
from imr_search.search import search

from .conftest import CORPUS, GOLDEN, truth_rows, whoosh_index


@pytest.fixture
def corpus(tmp_path) -> Path:
    folder = tmp_path / "corpus"
    shutil.copytree(CORPUS, folder)
    return folder


def stored(index_dir: Path) -> dict[tuple[str, int], dict]:
    with whoosh_index(index_dir).searcher() as searcher:
        return {(d["case"], d["item_no"]): d for d in searcher.all_stored_fields()}


def truth_items() -> dict[tuple[str, int], str]:
    expected = {}
    for row in truth_rows():
        case = row["case"] or Path(row["file"]).stem
        for position, item in enumerate(row["items"], start=1):
            expected[(case, position)] = item["outcome"]
    return expected


@pytest.fixture(params=["here", "writer processes"])
def writers(request, monkeypatch) -> int:
    """Jobs for a run written here, or by two writer processes taking a file in turn."""
    if request.param == "here":
        return 1
    monkeypatch.setattr(indexer, "PARALLEL_WRITE_FROM", 1)
    monkeypatch.setattr(indexer, "CHUNK", 1)
    return 2


def segment_sizes(index_dir: Path) -> list[int]:
    with whoosh_index(index_dir).searcher() as searcher:
        return [reader.doc_count() for reader, _ in searcher.reader().leaf_readers()]


def test_index_holds_every_truth_item_with_its_outcome(corpus, tmp_path, writers):
    report = index_paths([corpus], tmp_path / "ix", jobs=writers)
    assert len(segment_sizes(tmp_path / "ix")) == writers
    expected = truth_items()
    assert (report.letters, report.items) == (len(truth_rows()), len(expected))
    assert len(report.new) == 25 and not report.skipped
    docs = stored(tmp_path / "ix")
    assert {key: doc["outcome"] for key, doc in docs.items()} == expected


def test_fields_are_normalised_and_case_insensitive(corpus, tmp_path):
    index_paths([corpus], tmp_path / "ix", jobs=1)
    with whoosh_index(tmp_path / "ix").searcher() as searcher:
        pmr_docs = searcher.documents(specialty="physical medicine and rehabilitation")
        pmr = {d["case"] for d in pmr_docs}
        # "&" in the real letters, "and" in a seed letter: one value.
        assert {"CM16-0230651", "CM16-0231745", "CM16-0249724", "000_9dd21c29f48658d3"} <= pmr
        outcome = searcher.schema["outcome"]
        assert list(outcome.process_text("Upheld")) == list(outcome.process_text("upheld"))
        flexeril = [d for d in searcher.documents(drug="cyclobenzaprine")]
        assert len(flexeril) == 6
        rationale = searcher.schema["rationale"]
        assert {"l4-l5", "l4", "l5"} <= set(rationale.process_text("at L4-L5"))
        assert "#60" in set(rationale.process_text("Flexeril 10mg #60"))
        assert "not" in set(rationale.process_text("is not medically necessary"))


def test_reindex_skips_unchanged_and_follows_add_modify_delete(corpus, tmp_path):
    ix = tmp_path / "ix"
    held_back = corpus / "CM17-0019011.pdf"
    aside = tmp_path / held_back.name
    held_back.rename(aside)
    index_paths([corpus], ix, jobs=1)
    assert ("CM17-0019011", 1) not in stored(ix)

    aside.rename(held_back)  # add
    report = index_paths([corpus], ix, jobs=1)
    assert (len(report.new), report.unchanged) == (1, 24)
    assert stored(ix)[("CM17-0019011", 1)]["outcome"] == "Overturned"

    seed = corpus / "003_5a544ee8a4f7ad7c.txt"  # modify: its first item is now Overturned
    old_key = letter_key(read_letter(seed))
    text = seed.read_text(encoding="utf-8").replace("Qty: 120:  Upheld", "Qty: 120:  Overturned")
    seed.write_text(text, encoding="utf-8")
    report = index_paths([corpus], ix, jobs=1)
    assert (report.updated, report.unchanged) == ([str(seed.resolve())], 24)
    docs = stored(ix)
    assert docs[(seed.stem, 1)]["outcome"] == "Overturned"
    with whoosh_index(ix).searcher() as searcher:
        assert not list(searcher.documents(letter_key=old_key))

    (corpus / "CM16-0230651.pdf").unlink()  # delete
    report = index_paths([corpus], ix, jobs=1)
    assert len(report.removed) == 1
    docs = stored(ix)
    assert not [key for key in docs if key[0] == "CM16-0230651"]
    assert len(docs) == len(truth_items()) - 10
    assert_facet_tables_follow_the_segments(ix, docs)


def assert_facet_tables_follow_the_segments(ix: Path, docs: dict) -> None:
    """After updates, the facet tables are those of the segments still on disk (the live
    ones, and those an earlier commit's readers may hold), and count right."""
    with whoosh_index(ix).searcher() as searcher:
        live = {reader.segment().segment_id() for reader, _ in searcher.reader().leaf_readers()}
    (store,) = ix.glob("store-*")
    on_disk = {path.name.split(".")[0] for path in store.glob("imr_*.*")}
    tables = {path.name.split(".")[0] for path in (store / facets.CACHE_FOLDER).iterdir()}
    assert live <= tables == on_disk
    expected = Counter(doc["outcome"] for doc in docs.values())
    assert search(ix, "*", limit=1).facets["outcome"] == dict(expected)


def test_same_letter_twice_is_indexed_once(corpus, tmp_path, writers):
    shutil.copy(GOLDEN / "real" / "CM16-0213037.txt", corpus / "CM16-0213037.txt")
    shutil.copy(corpus / "000_9dd21c29f48658d3.txt", corpus / "copy-of-seed.txt")
    report = index_paths([corpus], tmp_path / "ix", jobs=writers)
    assert report.letters == 25 and report.items == len(truth_items())
    assert report.duplicates == {
        str((corpus / "CM16-0213037.txt").resolve()): str((corpus / "CM16-0213037.pdf").resolve()),
        str((corpus / "copy-of-seed.txt").resolve()): str(
            (corpus / "000_9dd21c29f48658d3.txt").resolve()
        ),
    }


def test_a_file_reached_by_several_paths_is_one_file(corpus, tmp_path):
    """Named again, through a linked folder or through a link to it, a file is the file it
    resolves to: indexed once, and neither new nor a duplicate of itself."""
    seed = corpus / "000_9dd21c29f48658d3.txt"
    (tmp_path / "linked-folder").symlink_to(corpus, target_is_directory=True)
    (tmp_path / "link.txt").symlink_to(seed)
    paths = [corpus, seed, tmp_path / "linked-folder", tmp_path / "link.txt"]
    report = index_paths(paths, tmp_path / "ix", jobs=1)
    assert (len(report.new), report.duplicates, report.skipped) == (25, {}, {})
    assert str(seed.resolve()) in report.new
    again = index_paths([tmp_path / "link.txt", tmp_path / "linked-folder"], tmp_path / "ix")
    assert (again.unchanged, again.new, again.removed) == (25, [], [])


def test_letter_that_cannot_be_indexed_is_skipped_whole(corpus, tmp_path, writers, monkeypatch):
    make_documents = building.documents

    def documents(letter, key):  # the third item of one letter holds an unindexable age
        made = make_documents(letter, key)
        if letter.case == "CM16-0230651":
            made[2] = dict(made[2], age="forty")
        return made

    monkeypatch.setattr(building, "documents", documents)
    report = index_paths([corpus], tmp_path / "ix", jobs=writers)
    path = str((corpus / "CM16-0230651.pdf").resolve())
    assert list(report.skipped) == [path]
    assert report.skipped[path].startswith("cannot be indexed (ValueError")
    assert (report.letters, report.items) == (24, len(truth_items()) - 10)  # none of its 10
    assert "CM16-0230651" not in {case for case, _ in stored(tmp_path / "ix")}


def test_writer_process_that_dies_leaves_the_index_as_it_was(corpus, tmp_path, monkeypatch):
    ix = tmp_path / "ix"
    index_paths([corpus], ix, jobs=1)
    many_letters(corpus / "more", 4)
    monkeypatch.setattr(indexer, "PARALLEL_WRITE_FROM", 1)
    monkeypatch.setattr(indexer, "write_segment", lambda *args: os._exit(3))
    with pytest.raises(IndexUnusable, match="a writer process stopped"):
        index_paths([corpus], ix, jobs=2)
    assert index_info(ix)["letters"] == 25
    assert len(segment_sizes(ix)) == 1


def test_letter_without_items_is_kept_as_unknown(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "partial.txt").write_text(
        "CLINICAL CASE SUMMARY\nA 40 year old male.\nIMR ISSUES, DECISIONS AND RATIONALES\n"
        "The letter was cut off here.\n"
    )
    report = index_paths([folder], tmp_path / "ix", jobs=1)
    assert (report.letters, report.items) == (1, 1)
    assert stored(tmp_path / "ix")[("partial", 0)]["outcome"] == "unknown"


def run_cli(*args):
    return CliRunner().invoke(app, list(args))


def test_bad_file_among_good_ones(corpus, tmp_path):
    (corpus / "broken.pdf").write_bytes(b"%PDF-1.4 truncated")
    (corpus / "empty.txt").write_bytes(b"")
    result = run_cli("index", str(corpus), "--index", str(tmp_path / "ix"), "--quiet")
    assert result.exit_code == 2
    assert "25 new" in result.stdout
    errors = result.stderr.strip().splitlines()
    assert len(errors) == 2
    assert any("broken.pdf: skipped: damaged or truncated PDF" in line for line in errors)
    assert any("empty.txt: skipped: empty file" in line for line in errors)
    assert index_info(tmp_path / "ix")["letters"] == 25


def test_index_in_use_is_refused(corpus, tmp_path):
    index_paths([corpus], tmp_path / "ix", jobs=1)
    with write_lock(tmp_path / "ix"):  # as a run that writes holds it
        result = run_cli("index", str(corpus), "--index", str(tmp_path / "ix"))
    assert result.exit_code == 2
    assert result.stderr.startswith("imr-search: index is in use")


def test_foreign_folder_and_old_schema_are_refused(corpus, tmp_path):
    foreign = tmp_path / "photos"
    foreign.mkdir()
    (foreign / "cat.jpg").write_bytes(b"\xff\xd8")
    with pytest.raises(IndexUnusable, match="something other than an imr-search index"):
        index_paths([corpus], foreign)
    assert (foreign / "cat.jpg").read_bytes() == b"\xff\xd8"

    ix = tmp_path / "ix"
    index_paths([corpus], ix, jobs=1)
    meta = json.loads((ix / "imr-search.json").read_text())
    (ix / "imr-search.json").write_text(json.dumps(dict(meta, schema_version=0)))
    result = run_cli("info", "--index", str(ix))
    assert result.exit_code == 2
    assert "incompatible version" in result.stderr and "--rebuild" in result.stderr
    result = run_cli("index", "--rebuild", str(corpus), "--index", str(ix), "--quiet")
    assert result.exit_code == 0
    assert index_info(ix)["items"] == len(truth_items())


def test_an_index_whoosh_cannot_read_asks_for_a_rebuild(corpus, tmp_path):
    ix = tmp_path / "ix"
    index_paths([corpus], ix, jobs=1)
    toc = max(ix.glob("store-*/_imr_*.toc"), key=lambda p: int(p.stem.split("_")[-1]))
    toc.write_bytes(toc.read_bytes()[:40])  # as an index of a lost version's classes
    for command in (["info"], ["query", "mri"], ["show", "CM17-0019120"]):
        result = run_cli(*command, "--index", str(ix))
        assert result.exit_code == 2, command
        assert "cannot be read" in result.stderr and "--rebuild" in result.stderr
    result = run_cli("index", "--rebuild", str(corpus), "--index", str(ix), "--quiet")
    assert result.exit_code == 0, result.stderr
    assert index_info(ix)["items"] == len(truth_items())


# Enough letters that a run is still writing when it is interrupted (it takes about four
# seconds here; the interruption comes at 1.5).
MORE_LETTERS = 5000


def many_letters(folder: Path, count: int) -> None:
    """`count` distinct letters without case numbers, from the seed letters."""
    folder.mkdir(parents=True, exist_ok=True)
    seeds = sorted(CORPUS.glob("*.txt"))
    for n in range(count):
        text = seeds[n % len(seeds)].read_text(encoding="utf-8")
        text = text.replace("CLINICAL CASE SUMMARY", f"CLINICAL CASE SUMMARY \n\nLetter {n}.", 1)
        (folder / f"letter-{n:05d}.txt").write_text(text, encoding="utf-8")


def start_index_run(corpus: Path, ix: Path) -> subprocess.Popen:
    command = [
        sys.executable,
        "-c",
        "from imr_search.cli import main; main()",
        "index",
        str(corpus),
        "--index",
        str(ix),
        "--jobs",
        "2",
    ]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    time.sleep(1.5)
    assert process.poll() is None, "the run ended before it could be stopped"
    return process


def interrupted_run(corpus: Path, ix: Path, signum: int) -> tuple[int, int, str]:
    """Index `corpus`, add MORE_LETTERS letters, and signal a run indexing them while it works.

    Returns the items of the index before that run, the run's exit status and stderr."""
    index_paths([corpus], ix, jobs=1)
    before = index_info(ix)["items"]
    many_letters(corpus / "more", MORE_LETTERS)
    process = start_index_run(corpus, ix)
    os.killpg(process.pid, signum)  # as a terminal does: the whole process group
    _, err = process.communicate(timeout=60)
    return before, process.returncode, err


def test_ctrl_c_stops_cleanly_and_keeps_the_last_index(corpus, tmp_path):
    ix = tmp_path / "ix"
    before, status, err = interrupted_run(corpus, ix, signal.SIGINT)
    assert status == 130
    assert err.strip() == "imr-search: interrupted; the index is as it was before this run"
    assert index_info(ix)["items"] == before


def test_killed_run_leaves_the_last_index_and_a_rerun_completes(corpus, tmp_path):
    ix = tmp_path / "ix"
    before, _, _ = interrupted_run(corpus, ix, signal.SIGKILL)
    assert index_info(ix)["items"] == before  # the last commit, searchable
    with whoosh_index(ix).searcher() as searcher:
        assert searcher.search(Term("outcome", "overturned")).estimated_length() > 0
    report = index_paths([corpus], ix, jobs=2)
    assert len(report.new) == MORE_LETTERS and report.unchanged == 25
    assert report.letters == 25 + MORE_LETTERS


def test_second_run_while_one_writes_is_refused(corpus, tmp_path):
    ix = tmp_path / "ix"
    index_paths([corpus], ix, jobs=1)
    many_letters(corpus / "more", MORE_LETTERS)
    first = start_index_run(corpus, ix)
    try:
        second = run_cli("index", str(corpus), "--index", str(ix))
    finally:
        out, err = first.communicate(timeout=120)
    assert second.exit_code == 2
    assert second.stderr.strip() == (
        f"imr-search: index is in use: another imr-search is writing to {ix}; "
        "try again when it ends"
    )
    assert first.returncode == 0, err
    assert index_info(ix)["letters"] == 25 + MORE_LETTERS


def test_index_folder_from_environment(corpus, tmp_path, monkeypatch):
    monkeypatch.setenv("IMR_SEARCH_INDEX", str(tmp_path / "from-env"))
    result = run_cli("index", str(corpus), "--quiet")
    assert result.exit_code == 0
    assert index_info(tmp_path / "from-env")["letters"] == 25


def test_info_gives_the_span_of_decision_dates(index_dir, letters):
    decided = [letter.decision_date for letter in letters if letter.decision_date]
    facts = index_info(index_dir)
    assert (facts["decided_from"], facts["decided_to"]) == (
        min(decided).isoformat(),
        max(decided).isoformat(),
    )
    assert facts["letters"] == len(letters)


def test_a_removed_letter_is_no_longer_counted(corpus, tmp_path):
    ix = tmp_path / "ix"
    assert index_paths([corpus], ix, jobs=1).letters == 25
    (corpus / "CM16-0230651.pdf").unlink()
    report = index_paths([corpus], ix, jobs=1)
    assert (report.letters, report.items) == (24, len(truth_items()) - 10)  # none of its 10
    assert index_info(ix)["letters"] == 24
