"""No letter is ever lost: whatever is done to a folder of letter files between runs (files
added, copied, renamed, deleted, overwritten), the index, once re-run, holds each letter the
folder holds, once, with all its items, shown at a file that holds it now.

The expected index comes from a model of the folder alone: which text of a small pool each
file holds, and what tests/golden/truth.jsonl says of that text. Nothing expected is
computed by the code under test. A letter is its case number (a real letter and its other
extractions in tests/golden/variants are one letter: different bytes, one case number);
a letter without one is its text, so byte-identical copies of it are one letter.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    initialize,
    multiple,
    precondition,
    rule,
)

from imr_search.indexer import IndexReport, index_paths
from imr_search.search import Hit, search

from .conftest import GOLDEN, truth_rows

REAL = ("CM16-0213037", "CM16-0219557", "CM16-0229336")  # the first has two variants
SEEDS = ("000_9dd21c29f48658d3", "001_c37b8fe6c6f2aeb8")  # no case number
EVERYTHING = 100_000  # a search limit above any number of items here


@dataclass(frozen=True)
class PoolText:
    """A text a file of the folder may hold, and what truth.jsonl says of its letter."""

    source: Path
    letter: str  # the letter's identity: its case number, else the pool entry's name
    items: tuple[str, ...]  # the letter's items, in order


def pool() -> dict[str, PoolText]:
    """The texts, by name: three real letters, the other extractions of the first, and two
    letters without a case number."""
    rows = {row["file"]: row for row in truth_rows()}
    texts = {}
    for case in REAL:
        items = tuple(item["item"] for item in rows[f"real/{case}.txt"]["items"])
        texts[case] = PoolText(GOLDEN / "real" / f"{case}.txt", case, items)
        for variant in sorted((GOLDEN / "variants").glob(f"{case}.*.txt")):
            texts[variant.stem] = PoolText(variant, case, items)
    for seed in SEEDS:
        row = rows[f"seeds/{seed}.txt"]
        assert row["case"] is None
        name = f"seed {seed[:3]}"
        items = tuple(item["item"] for item in row["items"])
        texts[name] = PoolText(GOLDEN / "seeds" / f"{seed}.txt", name, items)
    return texts


POOL = pool()
BYTES = {name: text.source.read_bytes() for name, text in POOL.items()}
ITEMS = {text.letter: text.items for text in POOL.values()}
# A letter without a case number shows its file's stem as its case; its items say which it is.
SEED_BY_ITEMS = {text.items: text.letter for text in POOL.values() if text.letter not in REAL}
# A file name starts with a stem drawn, so that which of two copies sorts first varies.
STEM = st.sampled_from(("a", "b", "c"))
TEXT = st.sampled_from(sorted(POOL))


def pool_letter(hits: list[Hit]) -> str:
    """Which letter of the pool the items of one indexed letter are, from what the index
    shows of them: their case number, or (a letter without one) their items. Not from
    their path, which may be stale."""
    if hits[0].case in REAL:
        return hits[0].case
    items = tuple(hit.item for hit in hits)
    return SEED_BY_ITEMS.get(items, f"no letter of the pool ({hits[0].case}: {items})")


def letters_shown(index_dir: Path) -> dict[str, list[Hit]]:
    """Each letter of the pool in the index -> its items, in order; asserts none is there
    twice. One search of every item, grouped by letter as letters mode groups them.
    (Letters mode itself raises NotImplementedError on an index that never held a
    letter, and its snippets would double the cost of each check.)"""
    found = search(index_dir, "*", limit=EVERYTHING)
    assert len(found.hits) == found.total
    by_key: dict[str, list[Hit]] = {}
    for hit in found.hits:
        by_key.setdefault(hit.letter_key, []).append(hit)
    shown: dict[str, list[Hit]] = {}
    for hits in by_key.values():
        hits.sort(key=lambda hit: hit.item_no)
        name = pool_letter(hits)
        assert name not in shown, f"{name} indexed twice: at {shown[name][0].path}, {hits[0].path}"
        shown[name] = hits
    return shown


def test_pool_holds_variants_and_distinguishable_letters_without_case_numbers():
    """The model needs same-letter texts with different bytes, and letters without a case
    number that their items tell apart."""
    assert len(POOL) > len(ITEMS) and len(set(BYTES.values())) == len(POOL)
    assert len(SEED_BY_ITEMS) == len(SEEDS)


class LetterFolder(RuleBasedStateMachine):
    """A folder of letter files changed as a user would, and indexed now and then; after
    each run the index is compared with what the folder holds."""

    files = Bundle("files")

    def __init__(self):
        super().__init__()
        # Indexes store resolved paths; a resolved folder lets them be compared as strings.
        self.root = Path(os.path.realpath(tempfile.mkdtemp(prefix="imr-no-letter-lost-")))
        self.folder = self.root / "letters"
        self.folder.mkdir()
        self.index_dir = self.root / "index"
        self.held: dict[str, str] = {}  # file name -> name of the pool text it holds
        self.names_made = 0
        self.clock_ns = time.time_ns()  # each write's mtime: strictly later than the last
        self.changed = False  # since the last run

    def new_name(self, stem: str) -> str:
        self.names_made += 1
        return f"{stem}{self.names_made}.txt"

    def touch(self, name: str) -> None:
        """A fresh mtime, as an editor's save gives: rewritten within one tick of a coarse
        clock, a file of the same size would look unchanged."""
        self.clock_ns += 1_000_000_000
        os.utime(self.folder / name, ns=(self.clock_ns, self.clock_ns))

    def write(self, name: str, text: str) -> None:
        (self.folder / name).write_bytes(BYTES[text])
        self.touch(name)
        self.held[name] = text

    @initialize(target=files, starting=st.lists(st.tuples(STEM, TEXT), max_size=4))
    def indexed_folder(self, starting):
        """The folder as a user has it when the changes start: a few letters, indexed.
        (Starting from an empty folder, most steps went to filling it.)"""
        names = [self.new_name(stem) for stem, _ in starting]
        for name, (_, text) in zip(names, starting, strict=True):
            self.write(name, text)
        self.run_index()
        return multiple(*names)

    @rule(target=files, stem=STEM, text=TEXT, index_after=st.booleans())
    def add_file(self, stem, text, index_after):
        name = self.new_name(stem)
        self.write(name, text)
        self.changed_then(index_after)
        return name

    @rule(target=files, source=files, stem=STEM, index_after=st.booleans())
    def copy_file(self, source, stem, index_after):
        """`cp`: the same bytes under a new name, with a new mtime."""
        name = self.new_name(stem)
        shutil.copyfile(self.folder / source, self.folder / name)
        self.touch(name)
        self.held[name] = self.held[source]
        self.changed_then(index_after)
        return name

    @rule(target=files, old=consumes(files), stem=STEM, index_after=st.booleans())
    def rename_file(self, old, stem, index_after):
        """`mv`: size and mtime kept, only the path is new."""
        name = self.new_name(stem)
        os.rename(self.folder / old, self.folder / name)
        self.held[name] = self.held.pop(old)
        self.changed_then(index_after)
        return name

    @rule(name=consumes(files), index_after=st.booleans())
    def delete_file(self, name, index_after):
        (self.folder / name).unlink()
        del self.held[name]
        self.changed_then(index_after)

    @rule(name=files, text=TEXT, index_after=st.booleans())
    def overwrite_file(self, name, text, index_after):
        """An edit: another text of the pool (or the same one, saved unchanged)."""
        self.write(name, text)
        self.changed_then(index_after)

    def changed_then(self, index_after: bool) -> None:
        """After a change, a run or not: runs come often enough to catch what one run makes
        of one change, and changes still pile up between some runs."""
        self.changed = True
        if index_after:
            self.run_index()

    @precondition(lambda self: self.changed)  # a run after none would spend a step
    @rule()
    def run_index(self):
        report = index_paths([self.folder], self.index_dir, jobs=1)
        self.changed = False
        self.check_index(report)

    def holders(self) -> dict[str, set[str]]:
        """Each letter the folder holds -> the paths of the files holding it."""
        held: dict[str, set[str]] = {}
        for name, text in self.held.items():
            held.setdefault(POOL[text].letter, set()).add(str(self.folder / name))
        return held

    def check_index(self, report: IndexReport) -> None:
        holders = self.holders()
        items = sum(len(ITEMS[letter]) for letter in holders)
        folder = {name: POOL[text].letter for name, text in sorted(self.held.items())}
        ran = f"folder {folder}; run: {report}"
        shown = letters_shown(self.index_dir)
        lost, extra = holders.keys() - shown.keys(), shown.keys() - holders.keys()
        assert not lost and not extra, f"lost {sorted(lost)}, extra {sorted(extra)}; {ran}"
        for name, hits in shown.items():
            paths = {hit.path for hit in hits}
            assert len(paths) == 1 and paths <= holders[name], (
                f"{name} shown at {sorted(paths)}; {ran}"
            )
            numbers = [hit.item_no for hit in hits]
            assert numbers == list(range(1, len(ITEMS[name]) + 1)), f"{name}: items {numbers}"
            if name not in REAL:  # its case is its file's stem
                assert hits[0].case == Path(hits[0].path).stem, ran
        assert (report.letters, report.items) == (len(holders), items), ran

    def teardown(self):
        shutil.rmtree(self.root, ignore_errors=True)


# Each example indexes a few times, ~0.25 s in all: 30 examples take ~8 s. A failure found,
# shrinking takes 10-40 s more; shrinking one failure, not each, and no explain phase (which
# reruns each step of the shrunk case many times) keep it from Hypothesis's 5-minute cap.
LetterFolder.TestCase.settings = settings(
    max_examples=30,
    stateful_step_count=10,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    report_multiple_bugs=False,
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink],
)
TestLetterFolder = LetterFolder.TestCase


def copy_at(folder: Path, source: Path, name: str, mtime_ns: int) -> Path:
    path = folder / name
    shutil.copyfile(source, path)
    os.utime(path, ns=(mtime_ns, mtime_ns))
    return path


def paths_shown(index_dir: Path) -> dict[str, str]:
    """Each letter of the pool in the index -> the path it is shown at."""
    return {name: hits[0].path for name, hits in letters_shown(index_dir).items()}


def two_copies_indexed(tmp_path: Path) -> tuple[Path, Path, Path, int]:
    """A folder of two copies of one letter, indexed: the folder, the copy the index shows,
    the other one, and the copies' mtime."""
    folder = Path(os.path.realpath(tmp_path)) / "letters"
    folder.mkdir()
    source, now = POOL["CM16-0213037"].source, time.time_ns()
    copies = {copy_at(folder, source, name, now) for name in ("a.txt", "b.txt")}
    report = index_paths([folder], tmp_path / "index", jobs=1)
    assert (report.letters, len(report.duplicates)) == (1, 1), report
    kept = Path(paths_shown(tmp_path / "index")["CM16-0213037"])
    (left,) = copies - {kept}
    return folder, kept, left, now


def test_deleting_the_copy_kept_keeps_the_letter(tmp_path):
    """Two copies of one letter are indexed once; deleting the one the index shows leaves
    the other, so the letter must stay, shown at the copy that is left."""
    folder, kept, left, _ = two_copies_indexed(tmp_path)
    kept.unlink()
    again = index_paths([folder], tmp_path / "index", jobs=1)
    assert (again.letters, again.items) == (1, 2), again
    assert paths_shown(tmp_path / "index") == {"CM16-0213037": str(left)}


def test_overwriting_the_copy_kept_with_another_letter_keeps_both(tmp_path):
    """The copy the index shows of a letter becomes another letter while the other copy is
    left: the folder then holds both letters, and so must the index."""
    folder, kept, left, now = two_copies_indexed(tmp_path)
    copy_at(folder, POOL["CM16-0219557"].source, kept.name, now + 1_000_000_000)
    again = index_paths([folder], tmp_path / "index", jobs=1)
    assert (again.letters, again.items) == (2, 3), again
    assert paths_shown(tmp_path / "index") == {
        "CM16-0213037": str(left),
        "CM16-0219557": str(kept),
    }


def test_a_letter_overwritten_into_a_copy_of_another_leaves_no_trace(tmp_path):
    """A file indexed as one letter is rewritten into a copy of a letter another file
    holds: its old letter, held by no file now, must leave the index."""
    folder = Path(os.path.realpath(tmp_path)) / "letters"
    folder.mkdir()
    now = time.time_ns()
    copy_at(folder, POOL["CM16-0213037"].source, "a.txt", now)
    copy_at(folder, POOL["CM16-0219557"].source, "b.txt", now)
    index_paths([folder], tmp_path / "index", jobs=1)
    copy_at(folder, POOL["CM16-0213037"].source, "b.txt", now + 1_000_000_000)
    again = index_paths([folder], tmp_path / "index", jobs=1)
    assert (again.letters, again.items) == (1, 2), again
    assert set(paths_shown(tmp_path / "index")) == {"CM16-0213037"}


def test_the_copy_left_outside_this_runs_paths_keeps_the_letter(tmp_path):
    """Copies in two folders, indexed together; the copy kept is deleted and a run is made
    over its folder alone: the copy in the other folder, still indexed, keeps the letter."""
    root = Path(os.path.realpath(tmp_path))
    first, second = root / "a", root / "b"
    first.mkdir(), second.mkdir()
    letter, now = POOL["CM16-0213037"], time.time_ns()
    kept = copy_at(first, letter.source, "a.txt", now)
    left = copy_at(second, letter.source, "b.txt", now)
    index_paths([first, second], root / "index", jobs=1)
    kept.unlink()
    again = index_paths([first], root / "index", jobs=1)
    assert (again.letters, again.items) == (1, len(letter.items)), again
    assert paths_shown(root / "index") == {"CM16-0213037": str(left)}


def test_the_copy_kept_turned_into_no_letter_hands_the_letter_on(tmp_path):
    """The copy kept is overwritten with what is no letter: it is named and skipped, and
    the other copy keeps the letter; once that one goes too, no file holds the letter, and
    nor does the index."""
    folder = Path(os.path.realpath(tmp_path)) / "letters"
    folder.mkdir()
    letter, now = POOL["CM16-0213037"], time.time_ns()
    kept = copy_at(folder, letter.source, "a.txt", now)
    left = copy_at(folder, letter.source, "b.txt", now)
    index_paths([folder], tmp_path / "index", jobs=1)
    kept.write_text("A shopping list: milk, bread, eggs.\n", encoding="utf-8")
    os.utime(kept, ns=(now + 10**9, now + 10**9))
    again = index_paths([folder], tmp_path / "index", jobs=1)
    assert list(again.skipped) == [str(kept)]
    assert paths_shown(tmp_path / "index") == {"CM16-0213037": str(left)}
    left.unlink()
    last = index_paths([folder], tmp_path / "index", jobs=1)
    assert (last.letters, last.items) == (0, 0)
