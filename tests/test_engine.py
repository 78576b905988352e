"""The engine as Whoosh sees it: segments merged by the custom writer answer every query as
Whoosh's own searcher does, the parsed letters it stores outlive their files, and no Whoosh
but the one it is built on is let in."""

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from whoosh import index as whoosh_index_module

from imr_search.engine.building import MERGE_FACTOR, merge_policy
from imr_search.engine.documents import documents
from imr_search.engine.query import read_query
from imr_search.engine.schema import build_schema
from imr_search.engine.snapshot import open_snapshot
from imr_search.indexer import index_paths, letter_key
from imr_search.letters.files import find_letter_files, read_letter
from imr_search.search.letter import find_letter
from imr_search.whoosh_pin import DISTRIBUTION, VERSION

from . import oracles
from .conftest import CORPUS, truth_rows, whoosh_index
from .test_index import many_letters
from .test_ranking import QUERIES


def letter(path: Path, marker: str) -> None:
    """A letter of its own: the seed letter of one item with `marker` in its summary."""
    seed = (CORPUS / "000_9dd21c29f48658d3.txt").read_text(encoding="utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(seed.replace("CLINICAL CASE SUMMARY", f"CLINICAL CASE SUMMARY \n\n{marker}", 1))


def segment_ids(index_dir: Path) -> set[str]:
    with whoosh_index(index_dir).searcher() as searcher:
        return {reader.segment().segment_id() for reader, _ in searcher.reader().leaf_readers()}


RUNS = MERGE_FACTOR + 2  # runs of one letter after the first


@dataclass
class Merged:
    index: Path  # built by imr-search's runs
    whooshs: Path  # the same letters, deletions and commits through Whoosh's own writer
    seen: set[str]  # the segments each commit left
    live: set[str]  # those of the last


class WhooshRuns:
    """The same runs through Whoosh's own writer, commit for commit: the oracle for what
    the custom writer writes when it merges."""

    def __init__(self, folder: Path):
        folder.mkdir()
        self.ix = whoosh_index_module.create_in(str(folder), build_schema(), indexname="imr")
        self.folder = folder

    def run(self, added: list[Path], deleted: list[str]) -> None:
        writer = self.ix.writer()  # Whoosh's SegmentWriter, with its own merging
        for key in deleted:
            writer.delete_by_term("letter_key", key)
        for path in added:
            read = read_letter(path)
            for document in documents(read, letter_key(read)):
                writer.add_document(**document)
        writer.commit(mergetype=merge_policy)  # the segments imr-search's commit merges


@pytest.fixture(scope="module")
def merged(tmp_path_factory) -> Merged:
    """The corpus and 200 more letters in one run, then RUNS runs of one letter each (one
    also deletes a letter and changes one), so that a commit merges the small segments of
    the runs before it (once there are MERGE_FACTOR of a size: building.merge_policy)."""
    root = tmp_path_factory.mktemp("merges")
    corpus = root / "corpus"
    shutil.copytree(CORPUS, corpus)
    many_letters(corpus / "more", 200)
    ix, whooshs = root / "ix", WhooshRuns(root / "whoosh")
    index_paths([corpus], ix, jobs=1)
    whooshs.run(list(find_letter_files([corpus])), [])
    seen: set[str] = set()
    for run in range(RUNS):
        added = [corpus / f"run-{run}.txt"]
        letter(added[0], f"Run {run}.")  # a small segment of its own
        deleted = []
        if run == RUNS - 1:  # after the merge: deletions left in the merged segment
            gone, changed = (
                corpus / "more" / "letter-00011.txt",
                corpus / "003_5a544ee8a4f7ad7c.txt",
            )
            deleted = [letter_key(read_letter(gone)), letter_key(read_letter(changed))]
            gone.unlink()
            changed.write_text(
                changed.read_text(encoding="utf-8").replace(
                    "Qty: 120:  Upheld", "Qty: 120:  Overturned"
                ),
                encoding="utf-8",
            )
            added.append(changed)
        index_paths([corpus], ix, jobs=1)
        whooshs.run(added, deleted)
        seen |= segment_ids(ix)
    return Merged(ix, whooshs.folder, seen, segment_ids(ix))


def test_a_commit_merged_segments_and_left_deletions(merged):
    assert merged.seen - merged.live, "no segment was merged away"
    assert len(merged.live) >= 2
    with whoosh_index(merged.index).searcher() as searcher:
        assert any(reader.has_deletions() for reader, _ in searcher.reader().leaf_readers())


@pytest.mark.parametrize("text", QUERIES)
def test_after_merges_every_query_is_whooshs_own(merged, text):
    """The same items with the same scores as Whoosh's own search (its own ranges over the
    indexed terms, its matchers, its scores) of the index Whoosh's own writer built from
    the same runs."""
    query = read_query(text)
    with open_snapshot(merged.index) as snapshot:
        ranking = snapshot.rank(query).best()
        ours = {
            (found.fields["case"], found.fields["item_no"]): found.score
            for found in (snapshot.found(ranking, at) for at in range(len(ranking)))
        }
    oracle = whoosh_index_module.open_dir(str(merged.whooshs), indexname="imr")
    with oracle.searcher() as searcher:
        theirs = {
            (hit["case"], hit["item_no"]): hit.score
            for hit in searcher.search(query.parsed, limit=None)
        }
    assert ours.keys() == theirs.keys()
    assert [ours[key] for key in theirs] == pytest.approx(list(theirs.values()))
    if text != "zyzzyva":
        assert ours, text


def test_every_letter_is_stored_whole_after_merges(merged):
    ix = merged.index
    with open_snapshot(ix) as snapshot:
        keys = set(snapshot.letter_keys(snapshot.rank(read_query("*")).docs))
    shown = [find_letter(ix, row["case"])[0] for row in truth_rows() if row["case"]]
    assert len(keys) == len(truth_rows()) + 200 + RUNS - 1
    for row, letter in zip([r for r in truth_rows() if r["case"]], shown, strict=True):
        assert [(i.item, i.outcome) for i in letter.items] == [
            (i["item"], i["outcome"]) for i in row["items"]
        ]


def test_show_needs_no_source_file(tmp_path):
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    ix = tmp_path / "ix"
    index_paths([corpus], ix, jobs=1)
    row = next(r for r in truth_rows() if r["case"] == "CM17-0019120")
    (corpus / "CM17-0019120.pdf").unlink()
    letter, warnings = find_letter(ix, "cm17-0019120")
    assert [(i.item, i.outcome) for i in letter.items] == [
        (i["item"], i["outcome"]) for i in row["items"]
    ]
    assert (letter.decision_date.isoformat(), list(letter.specialties)) == (
        row["decision_date"],
        row["specialties"],
    )
    assert warnings == [
        f"its file {(corpus / 'CM17-0019120.pdf').resolve()} is no longer there; "
        "shown as it was indexed"
    ]


def fake_distribution(folder: Path, name: str, version: str) -> None:
    """An installed distribution's metadata, as pip leaves it in site-packages."""
    info = folder / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n", encoding="utf-8"
    )


@pytest.mark.parametrize(
    "installed, found",
    [
        ([(DISTRIBUTION, "2.7.6")], f"{DISTRIBUTION} 2.7.6"),
        ([("Whoosh", "2.7.4")], f"{DISTRIBUTION} {VERSION} and Whoosh 2.7.4"),
    ],
)
def test_any_other_whoosh_is_refused_in_one_line(tmp_path, installed, found):
    for name, version in installed:
        fake_distribution(tmp_path / "site", name, version)
    env = dict(os.environ, PYTHONPATH=str(tmp_path / "site"))
    done = subprocess.run(
        [sys.executable, "-c", "from imr_search.console import main; main()", "info"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1
    assert done.stderr.startswith(
        f"imr-search: this version needs {DISTRIBUTION} {VERSION} exactly, but finds {found}"
    )


def test_the_installed_whoosh_is_the_pinned_one():
    done = subprocess.run(
        [sys.executable, "-c", "from imr_search.console import main; main()", "--help"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr


def test_a_snapshot_held_across_merging_commits_reads_its_whole_commit(tmp_path):
    """A query that holds its snapshot while seven runs commit, the last of them merging
    the segments it reads, still reads every document of its own commit: its lease keeps
    their files, where the generation before the newest is all a commit keeps by itself."""
    from contextlib import ExitStack

    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    ix = tmp_path / "ix"
    index_paths([corpus], ix, jobs=1)
    for run in range(5):  # five small segments, for the last run's commit to merge
        letter(corpus / f"early-{run}.txt", f"Early {run}.")
        index_paths([corpus], ix, jobs=1)
    cases = {oracles.case_of(row) for row in truth_rows()} | {f"early-{run}" for run in range(5)}
    with ExitStack() as held:
        snapshot = held.enter_context(open_snapshot(ix))  # and nothing read yet
        read_by = segment_ids(ix)
        for run in range(7):
            letter(corpus / f"late-{run}.txt", f"Late {run}.")
            index_paths([corpus], ix, jobs=1)
        assert read_by - segment_ids(ix), "no segment the snapshot reads was merged away"
        ranking = snapshot.rank(read_query('"medically necessary" OR *')).best()
        after = [snapshot.found(ranking, at).fields for at in range(len(ranking))]
    assert {fields["case"] for fields in after} == cases
    assert len(after) == sum(len(row["items"]) for row in truth_rows()) + 5


def test_a_stored_letter_is_the_letter_parsed(index_dir):
    """What `show` gives back from the index is, field for field, what parsing the letter's
    file gives (the index keeps part of it in the record, part in its items' documents)."""
    for path in find_letter_files([CORPUS]):
        parsed = read_letter(path)
        shown, _ = find_letter(index_dir, parsed.case)
        assert shown.to_dict() == dict(parsed.to_dict(), path=str(path.resolve())), path


@pytest.mark.parametrize(
    "folder, name, version",
    [
        ("Whoosh_Reloaded-2.7.6.dist-info", "Whoosh-Reloaded", "2.7.6"),
        ("Whoosh-2.7.4-py3.11.egg-info", "Whoosh", "2.7.4"),  # an egg's, with its Python
        ("Whoosh_Reloaded.egg-info", "Whoosh-Reloaded", "2.7.7"),  # no version in the name
    ],
)
def test_the_pin_reads_the_version_importlib_metadata_reads(
    tmp_path, monkeypatch, folder, name, version
):
    """What `installed` finds from the folders' names is what importlib.metadata reads from
    the files inside them."""
    from importlib import metadata

    from imr_search.whoosh_pin import installed

    info = tmp_path / folder
    info.mkdir()
    (info / ("METADATA" if folder.endswith("dist-info") else "PKG-INFO")).write_text(
        f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n", encoding="utf-8"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    assert installed(name) == metadata.version(name) == version
