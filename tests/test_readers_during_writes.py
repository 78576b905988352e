"""Queries while a real `index` run writes: none fails, and each answers the total of a whole
commit, the one before the run or the one it makes.

Readers are separate processes that call `search` in a loop, each call opening the index
afresh as each `imr-search query` does; they start answering before the run starts, and the
run's progress callback tells them when it is under way, so that the test can insist they
answered while it was. One search is also kept open across the run's commit.

Expected totals come from a model of what each commit holds, not from the code under test:
the items of each sample letter from tests/golden/truth.jsonl, a synthetic letter (a seed
letter with a line of its own added to its summary) as many as its seed. For the phrase
query, the items of each sample letter that match it are counted once, on an index of the
sample letters alone.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import pty
import re
import select
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from imr_search.engine.building import MERGE_FACTOR
from imr_search.indexer import index_paths
from imr_search.search import search

from .conftest import CORPUS, truth_rows

EVERYTHING = "*"
PHRASE = '"medically necessary"'
QUERIES = (EVERYTHING, PHRASE)
LIMIT = 10
SEEDS = sorted(CORPUS.glob("*.txt"))
# Letters a large run adds: enough that it takes seconds, and readers answer while it works.
LARGE_RUN = (2000, 1000)
# 1 + SMALL_RUNS segments of one size: the next commit merges them (building.merge_policy)
SMALL_RUNS = MERGE_FACTOR - 1
GONE_SAMPLE = "CM16-0230651.pdf"  # a sample letter of 10 items, deleted by an update


# ---------------------------------------------------------------- the model


def truth_items() -> dict[str, int]:
    """Sample letter file name -> the items it is indexed as (one `unknown` where none)."""
    items = {}
    for row in truth_rows():
        file = Path(row["file"])
        name = file.name if file.parent.name == "seeds" else f"{file.stem}.pdf"
        items[name] = max(1, len(row["items"]))
    assert set(items) == {path.name for path in CORPUS.iterdir()}
    return items


@pytest.fixture(scope="module")
def matches(index_dir) -> dict[str, dict[str, int]]:
    """Query -> sample letter file name -> its items the query matches."""
    phrase = Counter(Path(hit.path).name for hit in search(index_dir, PHRASE, limit=1000).hits)
    return {EVERYTHING: truth_items(), PHRASE: {name: phrase[name] for name in truth_items()}}


def make_letters(folder: Path, numbers: range) -> list[str]:
    """Distinct letters without case numbers, copied from the seed letters; the seed of each."""
    folder.mkdir(parents=True, exist_ok=True)
    sources = []
    for n in numbers:
        seed = SEEDS[n % len(SEEDS)]
        text = seed.read_text(encoding="utf-8")
        text = text.replace("CLINICAL CASE SUMMARY", f"CLINICAL CASE SUMMARY \n\nLetter {n}.", 1)
        (folder / f"letter-{n:05d}.txt").write_text(text, encoding="utf-8")
        sources.append(seed.name)
    return sources


def totals(matches: dict, letters: list[str]) -> dict[str, int]:
    """Query -> the items it matches in an index of `letters` (sample file names)."""
    return {text: sum(per_letter[name] for name in letters) for text, per_letter in matches.items()}


def answers(index_dir: Path) -> dict[str, int]:
    return {text: search(index_dir, text, limit=LIMIT).total for text in QUERIES}


@pytest.fixture(scope="module")
def large(tmp_path_factory) -> dict:
    """Folders of synthetic letters for a large run, and an index of them with the samples."""
    root = tmp_path_factory.mktemp("large")
    first, second = LARGE_RUN
    folders = {
        root / "a": make_letters(root / "a", range(first)),
        root / "b": make_letters(root / "b", range(first, first + second)),
    }
    index_paths([CORPUS, *folders], root / "ix", jobs=2)
    return {"folders": folders, "index": root / "ix"}


# ---------------------------------------------------------------- readers


def read_in_a_loop(index_dir, text, ready, running, finished, stop, out) -> None:
    """A reader process: `search` until told to stop; what it answered, on `out`."""
    asked = during = bad_pages = 0
    totals, errors = Counter(), Counter()
    while not stop.is_set():
        in_run = running.is_set() and not finished.is_set()
        try:
            result = search(Path(index_dir), text, limit=LIMIT)
        except Exception as exc:  # noqa: BLE001 - counted: the test's subject
            errors[f"{type(exc).__name__}: {exc}"[:160]] += 1
        else:
            totals[result.total] += 1
            page_ok = len(result.hits) == min(LIMIT, result.total) and all(
                hit.case and hit.path and hit.snippet.text for hit in result.hits
            )
            bad_pages += not page_ok
        asked += 1
        during += in_run and not finished.is_set()
        ready.set()
    summary = {"asked": asked, "during": during, "totals": totals, "errors": errors}
    out.put((text, dict(summary, **{"bad pages": bad_pages})))


class Readers:
    """One reader process a query, answering from before a run until after it."""

    def __init__(self, index_dir: Path):
        context = multiprocessing.get_context("spawn")  # fresh processes, as CLI calls are
        self.running, self.finished, self.stop = (context.Event() for _ in range(3))
        self.out = context.Queue()
        self.ready = [context.Event() for _ in QUERIES]
        events = (self.running, self.finished, self.stop, self.out)
        self.processes = [
            context.Process(target=read_in_a_loop, args=(str(index_dir), text, ready, *events))
            for text, ready in zip(QUERIES, self.ready, strict=True)
        ]

    def __enter__(self) -> Readers:
        try:
            for process in self.processes:
                process.start()
            for ready in self.ready:
                assert ready.wait(60), "a reader never answered"
        except BaseException:
            self.__exit__()
            raise
        return self

    def progress(self, done: int, total: int) -> None:
        """The run's progress callback: the run is under way."""
        self.running.set()

    def answered(self) -> dict[str, dict]:
        """After the run: query -> what its reader answered."""
        self.finished.set()
        self.stop.set()
        return dict(self.out.get(timeout=60) for _ in self.processes)

    def __exit__(self, *exc) -> None:
        self.stop.set()
        for process in self.processes:
            process.join(10)
            if process.is_alive():
                process.kill()
                process.join()


def verdict(answered: dict[str, dict], valid: dict[str, set[int]]) -> dict:
    """Query -> its errors, its answers that are the total of no commit, its bad pages."""
    return {
        text: {
            "errors": dict(seen["errors"]),
            "wrong totals": {
                total: times for total, times in seen["totals"].items() if total not in valid[text]
            },
            "bad pages": seen["bad pages"],
        }
        for text, seen in answered.items()
    }


def tally(answered: dict[str, dict]) -> str:
    return "; ".join(
        f"{text}: {seen['asked']} answers, {seen['during']} during the run, totals "
        f"{dict(seen['totals'])}"
        for text, seen in answered.items()
    )


def held_verdict(answer: int | str, valid: dict[str, set[int]]) -> int | str:
    """The held search's answer where it is wrong."""
    return "a whole commit's total" if answer in valid[EVERYTHING] else answer


CLEAN = {text: {"errors": {}, "wrong totals": {}, "bad pages": 0} for text in QUERIES}


# ---------------------------------------------------------------- engine internals
# The public API has no search to keep open, nor a count of segments: this one helper opens
# the index as the engine does today. Only it needs changing when the engine's internals move.


class HeldSearch:
    """A snapshot opened now and kept open, as a query running across a commit keeps it."""

    def __init__(self, index_dir: Path):
        from imr_search.engine.snapshot import open_snapshot

        self.held = contextlib.ExitStack()
        self.snapshot = self.held.enter_context(open_snapshot(index_dir))
        leaves = self.snapshot.searcher.reader().leaf_readers()
        self.segments = {reader.segment().segment_id() for reader, _ in leaves}

    def answer(self) -> int | str:
        """Every item's total, with the stored fields a results page shows; or the error."""
        from imr_search.engine.query import read_query

        try:
            ranking = self.snapshot.rank(read_query("*")).best()
            for position in range(len(ranking)):
                stored = self.snapshot.found(ranking, position).fields
                assert stored["case"] and stored["path"]
            return len(ranking)
        except Exception as exc:  # noqa: BLE001 - the answer the test is about
            return f"{type(exc).__name__}: {exc}"

    def close(self) -> None:
        self.held.close()


# ---------------------------------------------------------------- the runs


def assert_every_answer_whole(answered: dict, held_answer, valid: dict) -> None:
    """Every reader answered during the run, and every answer, the held search's too, was
    the total of a whole commit."""
    assert all(seen["during"] >= 5 for seen in answered.values()), answered
    assert {
        "readers": verdict(answered, valid),
        "search held open across the commit": held_verdict(held_answer, valid),
    } == {"readers": CLEAN, "search held open across the commit": "a whole commit's total"}, (
        f"valid totals {valid}; {tally(answered)}"
    )


def test_an_update_that_merges_segments_keeps_every_query_whole(large, matches, tmp_path):
    """An incremental run adds 3,000 letters and deletes 2, and its commit merges the small
    segments of earlier runs: queries during it, and one open across its commit,
    answer the whole index before it or after it."""
    corpus, ix = tmp_path / "corpus", tmp_path / "ix"
    shutil.copytree(CORPUS, corpus)
    letters = sorted(truth_items())
    index_paths([corpus], ix, jobs=2)
    small = {}
    for run in range(SMALL_RUNS):  # each commits a segment of its own
        folder = corpus / f"small-{run}"
        small[folder] = make_letters(folder, range(10_000 + 2 * run, 10_002 + 2 * run))
        index_paths([corpus], ix, jobs=2)
        letters += small[folder]
    before = totals(matches, letters)
    assert answers(ix) == before

    (corpus / GONE_SAMPLE).unlink()  # deleted: a sample letter, and a small run's letter
    letters.remove(GONE_SAMPLE)
    gone = next(iter(small))  # one of its two: its segment stays, to be merged
    min(gone.iterdir()).unlink()
    letters.remove(small[gone][0])
    for sources in large["folders"].values():
        letters += sources
    after = totals(matches, letters)
    valid = {text: {before[text], after[text]} for text in QUERIES}

    with Readers(ix) as readers:
        held = HeldSearch(ix)
        try:
            index_paths([corpus, *large["folders"]], ix, jobs=2, progress=readers.progress)
            held_answer = held.answer()
        finally:
            held.close()
        answered = readers.answered()

    now = HeldSearch(ix)  # for its segments
    now.close()
    # What the test claims: the commit merged segments, and readers answered during the run.
    assert len(held.segments) == 1 + SMALL_RUNS
    assert len(held.segments - now.segments) >= 2, "the run's commit merged no segments"
    assert answers(ix) == after
    assert_every_answer_whole(answered, held_answer, valid)


def test_a_rebuild_keeps_answering_from_the_last_index(large, matches, tmp_path):
    """While `--rebuild` works, queries answer the last index; after it, the new one."""
    ix = tmp_path / "ix"
    shutil.copytree(large["index"], ix)
    (kept, kept_letters), (_, dropped_letters) = large["folders"].items()
    before = totals(matches, sorted(truth_items()) + kept_letters + dropped_letters)
    after = totals(matches, sorted(truth_items()) + kept_letters)
    assert answers(ix) == before
    valid = {text: {before[text], after[text]} for text in QUERIES}

    with Readers(ix) as readers:
        held = HeldSearch(ix)
        try:  # the rebuild indexes the samples and the first folder only
            index_paths([CORPUS, kept], ix, rebuild=True, jobs=2, progress=readers.progress)
            held_answer = held.answer()
        finally:
            held.close()
        answered = readers.answered()

    assert answers(ix) == after
    assert_every_answer_whole(answered, held_answer, valid)


PROGRESS = re.compile(r"\b(\d+)/(\d+)\b")  # the bar's "done/total"


def progress_shown(terminal: int, process: subprocess.Popen, timeout: float = 60) -> bool:
    """Read the run's terminal until its progress bar counts a file done."""
    shown, deadline = "", time.monotonic() + timeout
    while time.monotonic() < deadline:
        readable, _, _ = select.select([terminal], [], [], 0.1)
        if readable:
            try:
                shown += os.read(terminal, 4096).decode("utf-8", "replace")
            except OSError:  # the run closed its terminal: it ended
                return False
            if any(int(done) > 0 for done, _ in PROGRESS.findall(shown)):
                return True
        elif process.poll() is not None:
            return False
    return False


def test_a_killed_rebuild_leaves_the_last_index(large, matches, tmp_path):
    """`imr-search index --rebuild` killed while it works leaves the last index whole."""
    ix = tmp_path / "ix"
    shutil.copytree(large["index"], ix)
    before = totals(
        matches, sorted(truth_items()) + [s for f in large["folders"].values() for s in f]
    )
    assert answers(ix) == before

    # On a terminal, so that the run shows its progress bar: the sign it is working.
    terminal, its_end = pty.openpty()
    command = [
        sys.executable,
        "-c",
        "from imr_search.cli import main; main()",
        "index",
        "--rebuild",
        str(CORPUS),
        *map(str, large["folders"]),
        "--index",
        str(ix),
        "--jobs",
        "2",
    ]
    env = dict(os.environ, TERM="xterm", COLUMNS="120", LINES="40")
    process = subprocess.Popen(
        command,
        stdin=subprocess.DEVNULL,
        stdout=its_end,
        stderr=its_end,
        env=env,
        start_new_session=True,
    )
    os.close(its_end)
    try:
        working = progress_shown(terminal, process)
    finally:
        with contextlib.suppress(ProcessLookupError):  # the run and its writer processes
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        os.close(terminal)
    assert working, "the rebuild ended before it showed progress"
    assert process.returncode == -signal.SIGKILL
    assert answers(ix) == before
