"""Indexing the sample corpus into a real Whoosh index on disk."""

import contextlib
import fcntl
import hashlib
import json
import os
import pty
import re
import shutil
import signal
import struct
import subprocess
import sys
import termios
import threading
from collections import Counter
from pathlib import Path

import pytest
from typer.testing import CliRunner
from whoosh.query import Term

from imr_search import indexer
from imr_search.cli import app
from imr_search.engine import building, facets
from imr_search.engine.store import StoreFiles, write_lock
from imr_search.indexer import (
    IndexUnusable,
    index_info,
    index_paths,
)
from imr_search.search import search

from . import oracles
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
    """(case, item number) -> outcome, of every item of the truth rows."""
    return {item.key: item.outcome for item in oracles.truth_items()}


def items_of(case: str) -> int:
    """How many items the truth row of `case` holds."""
    return len(oracles.truth_row(case)["items"])


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
    assert len(report.new) == len(truth_rows()) and not report.skipped
    docs = stored(tmp_path / "ix")
    assert {key: doc["outcome"] for key, doc in docs.items()} == expected


def test_fields_are_normalised_and_case_insensitive(corpus, tmp_path):
    index_paths([corpus], tmp_path / "ix", jobs=1)
    pmr = "physical medicine and rehabilitation"
    spelled = {
        spelling: {oracles.case_of(row) for row in truth_rows() if spelling in row["specialties"]}
        for spelling in (
            "Physical Medicine & Rehabilitation",
            "Physical Medicine and Rehabilitation",
        )
    }
    assert all(spelled.values())  # "&" in the real letters, "and" in a seed letter: one value
    cyclobenzaprine = {
        item.key
        for item in oracles.truth_items()
        if "cyclobenzaprine" in oracles.drugs_named(item.item)
    }
    with whoosh_index(tmp_path / "ix").searcher() as searcher:
        pmr_docs = searcher.documents(specialty=pmr)
        assert {d["case"] for d in pmr_docs} == set().union(*spelled.values())
        outcome = searcher.schema["outcome"]
        assert list(outcome.process_text("Upheld")) == list(outcome.process_text("upheld"))
        flexeril = searcher.documents(drug="cyclobenzaprine")
        assert {(d["case"], d["item_no"]) for d in flexeril} == cyclobenzaprine
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

    letters = len(truth_rows())
    aside.rename(held_back)  # add
    report = index_paths([corpus], ix, jobs=1)
    assert (len(report.new), report.unchanged) == (1, letters - 1)
    assert stored(ix)[("CM17-0019011", 1)]["outcome"] == truth_items()[("CM17-0019011", 1)]

    seed = corpus / "003_5a544ee8a4f7ad7c.txt"  # modify: its first item is now Overturned
    text = seed.read_text(encoding="utf-8").replace("Qty: 120:  Upheld", "Qty: 120:  Overturned")
    seed.write_text(text, encoding="utf-8")
    report = index_paths([corpus], ix, jobs=1)
    assert (report.updated, report.unchanged) == ([str(seed.resolve())], letters - 1)
    expected = {**truth_items(), (seed.stem, 1): "Overturned"}
    assert {key: doc["outcome"] for key, doc in stored(ix).items()} == expected
    with whoosh_index(ix).searcher() as searcher:
        # The old letter's documents are gone, not only hidden behind the new ones' keys.
        held = [d["item_no"] for d in searcher.documents(case=seed.stem)]
        assert sorted(held) == list(range(1, items_of(seed.stem) + 1))

    (corpus / "CM16-0230651.pdf").unlink()  # delete
    report = index_paths([corpus], ix, jobs=1)
    assert len(report.removed) == 1
    expected = {key: outcome for key, outcome in expected.items() if key[0] != "CM16-0230651"}
    assert {key: doc["outcome"] for key, doc in stored(ix).items()} == expected
    assert_facet_tables_follow_the_segments(ix, expected)


def assert_facet_tables_follow_the_segments(ix: Path, outcomes: dict) -> None:
    """After updates, the facet tables are those of the segments still on disk (the live
    ones, and those an earlier commit's readers may hold), and count `outcomes` (case, item
    number -> outcome) right."""
    with whoosh_index(ix).searcher() as searcher:
        live = {reader.segment().segment_id() for reader, _ in searcher.reader().leaf_readers()}
    (store,) = ix.glob("store-*")
    on_disk = {path.name.split(".")[0] for path in store.glob("imr_*.*")}
    tables = {path.name.split(".")[0] for path in (store / facets.CACHE_FOLDER).iterdir()}
    assert live <= tables == on_disk
    assert search(ix, "*", limit=1).facets["outcome"] == dict(Counter(outcomes.values()))


def test_same_letter_twice_is_indexed_once(corpus, tmp_path, writers):
    shutil.copy(GOLDEN / "real" / "CM16-0213037.txt", corpus / "CM16-0213037.txt")
    shutil.copy(corpus / "000_9dd21c29f48658d3.txt", corpus / "copy-of-seed.txt")
    report = index_paths([corpus], tmp_path / "ix", jobs=writers)
    assert report.letters == len(truth_rows()) and report.items == len(truth_items())
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
    letters = len(truth_rows())
    assert (len(report.new), report.duplicates, report.skipped) == (letters, {}, {})
    assert str(seed.resolve()) in report.new
    again = index_paths([tmp_path / "link.txt", tmp_path / "linked-folder"], tmp_path / "ix")
    assert (again.unchanged, again.new, again.removed) == (letters, [], [])


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
    expected = (len(truth_rows()) - 1, len(truth_items()) - items_of("CM16-0230651"))
    assert (report.letters, report.items) == expected  # none of its items
    assert "CM16-0230651" not in {case for case, _ in stored(tmp_path / "ix")}


def test_writer_process_that_dies_leaves_the_index_as_it_was(corpus, tmp_path, monkeypatch):
    ix = tmp_path / "ix"
    index_paths([corpus], ix, jobs=1)
    many_letters(corpus / "more", 4)
    monkeypatch.setattr(indexer, "PARALLEL_WRITE_FROM", 1)
    monkeypatch.setattr(indexer, "write_segment", lambda *args: os._exit(3))
    with pytest.raises(IndexUnusable, match="a writer process stopped"):
        index_paths([corpus], ix, jobs=2)
    assert index_info(ix)["letters"] == len(truth_rows())
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
    assert f"{len(truth_rows())} new" in result.stdout
    errors = result.stderr.strip().splitlines()
    assert len(errors) == 2
    assert any("broken.pdf: skipped: damaged or truncated PDF" in line for line in errors)
    assert any("empty.txt: skipped: empty file" in line for line in errors)
    assert index_info(tmp_path / "ix")["letters"] == len(truth_rows())


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
    assert [p.name for p in foreign.iterdir()] == ["cat.jpg"]  # nothing written there
    with pytest.raises(IndexUnusable, match="is a file, not an index folder"):
        index_paths([corpus], foreign / "cat.jpg")

    ix = tmp_path / "ix"
    index_paths([corpus], ix, jobs=1)
    meta = json.loads((ix / "imr-search.json").read_text())
    (ix / "imr-search.json").write_text(json.dumps(dict(meta, schema_version=0)))
    result = run_cli("info", "--index", str(ix))
    assert result.exit_code == 2
    assert "built by an older version" in result.stderr and "--rebuild" in result.stderr
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


# Enough letters for writer processes (PARALLEL_WRITE_FROM) and for a run that is still
# writing for a few seconds after it first reports progress.
MORE_LETTERS = 3000


def many_letters(folder: Path, count: int) -> None:
    """`count` distinct letters without case numbers, from the seed letters."""
    folder.mkdir(parents=True, exist_ok=True)
    seeds = sorted(CORPUS.glob("*.txt"))
    for n in range(count):
        text = seeds[n % len(seeds)].read_text(encoding="utf-8")
        text = text.replace("CLINICAL CASE SUMMARY", f"CLINICAL CASE SUMMARY \n\nLetter {n}.", 1)
        (folder / f"letter-{n:05d}.txt").write_text(text, encoding="utf-8")


ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
DONE_OF_TOTAL = re.compile(r"\bindexing\b.*?(\d+)/(\d+)")
TERMINAL_SETTINGS = ("TERM", "NO_COLOR", "FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE")


class IndexRun:
    """`imr-search index` in a process group of its own, its output on a terminal of its
    own (a pseudo-terminal): on a terminal it shows its progress bar, "indexing ... 64/3000",
    which a thread here reads as it comes."""

    def __init__(self, corpus: Path, ix: Path):
        leader, follower = pty.openpty()
        # A terminal wide enough for the bar's every column.
        fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 200, 0, 0))
        environment = {k: v for k, v in os.environ.items() if k not in TERMINAL_SETTINGS}
        command = [sys.executable, "-c", "from imr_search.cli import main; main()"]
        self.process = subprocess.Popen(
            [*command, "index", str(corpus), "--index", str(ix), "--jobs", "2"],
            stdin=subprocess.DEVNULL,
            stdout=follower,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
            env={**environment, "TERM": "xterm"},
        )
        os.close(follower)
        self.output = ""
        self.progress: tuple[int, int] | None = None
        self.reported = threading.Event()
        self.reader = threading.Thread(target=self.read, args=(leader,), daemon=True)
        self.reader.start()

    def read(self, leader: int) -> None:
        """The terminal's output until every process holding it has ended."""
        try:
            while True:
                try:
                    chunk = os.read(leader, 65536)
                except OSError:  # EIO: the run and its writer processes are gone
                    break
                if not chunk:
                    break
                self.output += chunk.decode("utf-8", "replace")
                if self.progress is None:
                    for match in DONE_OF_TOTAL.finditer(ANSI.sub("", self.output)):
                        done, total = int(match.group(1)), int(match.group(2))
                        if 0 < done < total:
                            self.progress = (done, total)
                            self.reported.set()
                            break
        finally:
            os.close(leader)
            self.reported.set()

    def wait_until_mid_work(self) -> tuple[int, int]:
        """Until the run's bar shows some of its letters indexed but not all: (done, total).

        Why that is the middle of its work: the bar's count comes from the progress callback
        `index_paths` calls each time a writer process has parsed a chunk of letters and
        added them to its new segment. By then the run has taken the index's lock and
        scanned the files; it commits (and writes its manifest) only once every letter is
        done, so while the count is short of the total nothing of this run is committed,
        and its writer processes are still at work."""
        assert self.reported.wait(timeout=120), "no progress reported"
        assert self.progress, f"the run reported no progress before it ended: {self.output!r}"
        return self.progress

    def finish(self, timeout: float = 120) -> tuple[int, str]:
        """The run's exit status and its error output, once it has ended."""
        try:
            _, err = self.process.communicate(timeout=timeout)
        finally:
            self.stop()
        self.reader.join(timeout=timeout)
        return self.process.returncode, err

    def stop(self) -> None:
        """Kill the run and its writer processes where a test failed while it still ran."""
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


def interrupted_run(
    corpus: Path, ix: Path, signum: int, group: bool = True
) -> tuple[int, int, str]:
    """Index `corpus`, add MORE_LETTERS letters, and signal a run indexing them while it works:
    its whole process group, as a terminal does, or (not `group`) the run alone, as `kill`
    does. Returns the items of the index before that run, the run's exit status and stderr,
    once the run and every writer process it started have ended."""
    index_paths([corpus], ix, jobs=1)
    before = index_info(ix)["items"]
    many_letters(corpus / "more", MORE_LETTERS)
    run = IndexRun(corpus, ix)
    try:
        done, total = run.wait_until_mid_work()
        assert total == MORE_LETTERS and done < total
    except BaseException:
        run.stop()
        raise
    if group:
        os.killpg(run.process.pid, signum)
    else:
        os.kill(run.process.pid, signum)
    status, err = run.finish(timeout=60)
    assert not run.reader.is_alive(), "a writer process outlived its run"
    return before, status, err


def test_ctrl_c_stops_cleanly_and_keeps_the_last_index(corpus, tmp_path):
    ix = tmp_path / "ix"
    before, status, err = interrupted_run(corpus, ix, signal.SIGINT)
    assert status == 130
    assert err.strip() == "imr-search: interrupted; the index is as it was before this run"
    assert index_info(ix)["items"] == before


def test_killed_run_leaves_the_last_index_and_a_rerun_completes(corpus, tmp_path):
    ix = tmp_path / "ix"
    before, status, _ = interrupted_run(corpus, ix, signal.SIGKILL)
    assert status == -signal.SIGKILL
    assert index_info(ix)["items"] == before  # the last commit, searchable
    with whoosh_index(ix).searcher() as searcher:
        assert searcher.search(Term("outcome", "overturned")).estimated_length() > 0
    report = index_paths([corpus], ix, jobs=2)
    letters = len(truth_rows())
    assert len(report.new) == MORE_LETTERS and report.unchanged == letters
    assert report.letters == letters + MORE_LETTERS


def test_a_run_killed_alone_takes_its_writers_and_its_lock_with_it(corpus, tmp_path):
    """`kill PID` reaches the run, not its writer processes: they must end with it, and
    with them the copies of the write lock they were started with."""
    ix = tmp_path / "ix"
    before, status, _ = interrupted_run(corpus, ix, signal.SIGKILL, group=False)
    assert status == -signal.SIGKILL
    assert index_info(ix)["items"] == before
    report = index_paths([corpus], ix, jobs=2)  # not refused as "in use"
    assert report.letters == len(truth_rows()) + MORE_LETTERS


def test_second_run_while_one_writes_is_refused(corpus, tmp_path):
    ix = tmp_path / "ix"
    index_paths([corpus], ix, jobs=1)
    many_letters(corpus / "more", MORE_LETTERS)
    first = IndexRun(corpus, ix)
    try:
        first.wait_until_mid_work()
        second = run_cli("index", str(corpus), "--index", str(ix))
        still_writing = first.process.poll() is None
    except BaseException:
        first.stop()
        raise
    status, err = first.finish()
    assert still_writing  # the second run came and went while the first was writing
    assert second.exit_code == 2
    assert second.stderr.strip() == (
        f"imr-search: index is in use: another imr-search is writing to {ix}; "
        "try again when it ends"
    )
    assert status == 0, err
    letters = len(truth_rows()) + MORE_LETTERS
    assert f"indexed {letters} letters" in ANSI.sub("", first.output)
    assert index_info(ix)["letters"] == letters


def test_index_folder_from_environment(corpus, tmp_path, monkeypatch):
    monkeypatch.setenv("IMR_SEARCH_INDEX", str(tmp_path / "from-env"))
    result = run_cli("index", str(corpus), "--quiet")
    assert result.exit_code == 0
    assert index_info(tmp_path / "from-env")["letters"] == len(truth_rows())


def test_info_gives_the_span_of_decision_dates(index_dir):
    decided = [row["decision_date"] for row in truth_rows() if row.get("decision_date")]
    facts = index_info(index_dir)
    assert (facts["decided_from"], facts["decided_to"]) == (min(decided), max(decided))
    assert (facts["letters"], facts["items"]) == (len(truth_rows()), len(truth_items()))


def test_a_removed_letter_is_no_longer_counted(corpus, tmp_path):
    ix = tmp_path / "ix"
    letters = len(truth_rows())
    assert index_paths([corpus], ix, jobs=1).letters == letters
    (corpus / "CM16-0230651.pdf").unlink()
    report = index_paths([corpus], ix, jobs=1)
    expected = (letters - 1, len(truth_items()) - items_of("CM16-0230651"))
    assert (report.letters, report.items) == expected  # none of its items
    assert index_info(ix)["letters"] == letters - 1


def test_a_damaged_index_file_asks_for_a_rebuild_which_repairs_it(corpus, tmp_path):
    ix = tmp_path / "ix"
    index_paths([corpus], ix, jobs=1)
    (ix / "imr-search.json").write_text("{garbage", encoding="utf-8")
    for command in (["query", "mri"], ["index", str(corpus)]):
        result = run_cli(*command, "--index", str(ix))
        assert result.exit_code == 2, command
        assert "imr-search.json is damaged" in result.stderr and "--rebuild" in result.stderr
    result = run_cli("index", "--rebuild", str(corpus), "--index", str(ix), "--quiet")
    assert result.exit_code == 0, result.stderr
    assert index_info(ix)["items"] == sum(len(row["items"]) for row in truth_rows())
    assert len(list(ix.glob("store-*"))) == 1  # the store it replaced is gone


def test_the_summary_is_stored_once_and_read_by_every_item(index_dir):
    """Each letter's summary (and its other fields) is stored with its first item only, and
    every item of it finds them there: a `summary:` hit on a letter's later items has its
    summary's sentence, its letter's decision date, specialties and states."""
    with whoosh_index(index_dir).searcher() as searcher:
        holding = [fields for fields in searcher.all_stored_fields() if "summary" in fields]
    assert len(holding) == len(truth_rows())
    several = [row for row in truth_rows() if len(row["items"]) > 1]
    assert several
    for row in several:
        summary = " ".join(oracles.raw_summary(row).split())
        word = max(re.findall(r"\b[a-z]{6,}\b", summary), key=len)  # a word the summary says
        result = search(index_dir, f"summary:{word}", limit=1000)
        mine = [hit for hit in result.hits if Path(hit.path).stem == Path(row["file"]).stem]
        assert sorted(hit.item_no for hit in mine) == list(range(1, len(row["items"]) + 1)), word
        for hit in mine:
            assert hit.snippet.field == "summary"
            assert hit.snippet.text in summary, (row["file"], hit.item_no)
            # the letter's other fields, stored with its first item too
            assert hit.decision_date == oracles.truth_date(row, "decision_date")
            assert list(hit.specialties) == row["specialties"]
            assert list(hit.license_states) == row["license_states"]


def test_the_manifest_records_the_bytes_each_letter_was_read_from(corpus, tmp_path, writers):
    """A new file is read once, by its writer: the SHA-256 and size the manifest records
    are those of the file's bytes (hashlib's, of the file read here), its time the file's
    (os.stat's, here)."""
    ix = tmp_path / "ix"
    for n, path in enumerate(sorted(corpus.iterdir())):  # times apart, each its own
        os.utime(path, ns=(10**18 + n * 10**9 + n, 10**18 + n * 10**9 + n))
    index_paths([corpus], ix, jobs=writers)
    (store,) = ix.glob("store-*")
    manifest = StoreFiles(store).manifest()
    files = sorted(str(path.resolve()) for path in corpus.iterdir())
    assert sorted(manifest) == files
    for path, entry in manifest.items():
        data = Path(path).read_bytes()
        assert (entry["sha256"], entry["size"]) == (hashlib.sha256(data).hexdigest(), len(data))
        assert entry["mtime_ns"] == os.stat(path).st_mtime_ns


def test_a_file_changed_after_the_scan_is_recorded_as_parsed(corpus, tmp_path, monkeypatch):
    """A file written to between the run's scan and its parse: the manifest records the
    bytes parsed (their digest and size), so the next run finds the file unchanged."""
    grown = corpus / "000_9dd21c29f48658d3.txt"
    scan = indexer.scan

    def scan_then_write(*args):
        plan = scan(*args)
        with open(grown, "a", encoding="utf-8") as f:
            f.write("\nWritten after the scan.\n")
        return plan

    monkeypatch.setattr(indexer, "scan", scan_then_write)
    ix = tmp_path / "ix"
    index_paths([corpus], ix, jobs=1)
    monkeypatch.setattr(indexer, "scan", scan)
    (store,) = ix.glob("store-*")
    entry = StoreFiles(store).manifest()[str(grown.resolve())]
    data = grown.read_bytes()
    assert (entry["sha256"], entry["size"]) == (hashlib.sha256(data).hexdigest(), len(data))
    again = index_paths([corpus], ix, jobs=1)
    assert not again.new and not again.updated
    (store,) = ix.glob("store-*")
    assert (
        StoreFiles(store).manifest()[str(grown.resolve())]["mtime_ns"] == grown.stat().st_mtime_ns
    )
