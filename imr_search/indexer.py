"""Folders into the engine: which files are new, changed or gone (the manifest), which
letters they hold and which file keeps each (duplicates), parsing and indexing in writer
processes for a large run, and the commit.

A run holds the index's write lock from its scan to its commit; its writer processes end
with it. Crash safety and readers' safety come from the store (engine/store.py): a
generation becomes visible only when its commit is whole, with the manifest written before
it, and a `--rebuild` is built beside the live index. A run killed at any point leaves the
last commit serving, with its own manifest; the next run does what is left.
"""

from __future__ import annotations

import ctypes
import gc
import hashlib
import multiprocessing
import os
import queue
import shutil
import signal
import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from stat import S_ISLNK

from .engine.building import Added, Commit, LetterFailed, SegmentBuilder
from .engine.documents import Labels
from .engine.schema import SCHEMA_VERSION
from .engine.snapshot import open_snapshot
from .engine.store import (
    IndexUnusable,
    StoreFiles,
    default_index_dir,
    live_manifest,
    make_live,
    release_inherited_locks,
    remove_stray_stores,
    store_to_write,
    write_lock,
)
from .letters.files import file_digest, find_letter_files, read_letter_or_reason
from .letters.models import Letter

__all__ = ["IndexReport", "IndexUnusable", "default_index_dir", "index_info", "index_paths"]


@dataclass
class IndexReport:
    letters: int = 0
    items: int = 0
    new: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0
    skipped: dict[str, str] = field(default_factory=dict)  # path -> reason
    duplicates: dict[str, str] = field(default_factory=dict)  # path -> path kept
    seconds: float = 0.0


Progress = Callable[[int, int], None]


def letter_key(letter: Letter) -> str:
    """A letter's identity: its case number, else a digest of what it says."""
    if letter.has_case_number:
        return letter.case
    content = letter.summary + "".join(f"|{i.item}|{i.outcome}|{i.rationale}" for i in letter.items)
    return "sha:" + hashlib.sha256(content.encode("utf-8")).hexdigest()[:20]


# ---------------------------------------------------------------- writing segments


@dataclass(frozen=True, slots=True)  # one a file, held by the run until its commit
class Indexed:
    """What a segment writer did with one file: where its letter's documents went in new
    segment `segment`; or why it skipped the file, with the documents a letter that failed
    half-way had added, to be dropped."""

    path: str
    key: str | None = None
    reason: str | None = None
    segment: int = 0
    added: Added = Added(0, 0)
    digest: str | None = None  # the SHA-256 of the bytes its letter was read from
    size: int | None = None  # and their length


CHUNK = 64  # files a writer process takes and reports at a time
# Measured on 2 cores (benchmarks/index_speed.py): writer processes halve a large build,
# but each run then adds one segment per process; small updates are written in one.
PARALLEL_WRITE_FROM = 1000


def write_segment(
    store: Path, paths: list[str], segment: int, report: Callable[[list[Indexed]], None]
):
    """Parse the letters of `paths` and index them into a new segment of `store`, reporting
    each chunk of files when it is done. The segment (None where no letter was added), and
    the spellings of the facet values of the letters read."""
    builder = SegmentBuilder(store)
    for start in range(0, len(paths), CHUNK):
        done = []
        for path in paths[start : start + CHUNK]:
            reading = read_letter_or_reason(Path(path))
            letter = reading.letter
            if letter is None:
                done.append(Indexed(path, reason=reading.reason))
                continue
            key = letter_key(letter)
            try:
                added = builder.add(letter, key)
            except LetterFailed as exc:
                done.append(Indexed(path, None, str(exc), segment, exc.added))
                continue
            done.append(Indexed(path, key, None, segment, added, reading.digest, reading.size))
        report(done)
    return builder.finish(), builder.labels


def segment_process(store: str, paths: list[str], segment: int, results, run: int) -> None:
    """A writer process: `write_segment`, with its reports and its segment on `results`."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the run stops its writer processes
    release_inherited_locks()
    end_with_run(run)
    try:
        written = write_segment(
            Path(store), paths, segment, lambda files: results.put(("files", files))
        )
        results.put(("segment", (segment, written)))
    except Exception as exc:  # noqa: BLE001 - the run reports it and stops
        results.put(("error", f"{type(exc).__name__}: {exc}"))


def end_with_run(run: int) -> None:
    """Have the system kill this writer process when the run (process `run`) ends, however
    it ends: killed, the run could stop no writer it started (Linux's PR_SET_PDEATHSIG)."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):  # not Linux: the run's own handlers stop its writers
        return
    if os.getppid() != run:  # the run ended before the request was made
        os._exit(1)


PR_SET_PDEATHSIG = 1


def write_segments(store: Path, paths: list[str], jobs: int, progress: Progress | None):
    """Index `paths` into new segments: here, or in up to `jobs` writer processes for a
    large run. What was done with each file, in the order of `paths`, the segments written,
    by number, and the spellings of the facet values of the letters read."""
    total, indexed = len(paths), {}
    procs = min(jobs, os.cpu_count() or 1) if total >= PARALLEL_WRITE_FROM else 1

    def note(files: list[Indexed]) -> None:
        indexed.update((done.path, done) for done in files)
        if progress:
            progress(len(indexed), total)

    if procs == 1:
        written = {0: write_segment(store, paths, 0, note)}
    else:
        written = in_processes(store, paths, procs, note)
    segments = {number: segment for number, (segment, _) in written.items() if segment}
    labels: Labels = {}
    for number in sorted(written):  # by writer, whichever ends first: the same every run
        add_labels(labels, written[number][1])
    return [indexed[path] for path in paths], segments, labels


def add_labels(labels: Labels, more: Labels) -> None:
    """The spellings of `more` where `labels` has none for the value."""
    for name, spellings in more.items():
        for value, spelling in spellings.items():
            labels.setdefault(name, {}).setdefault(value, spelling)


def in_processes(store: Path, paths: list[str], procs: int, note) -> dict:
    """`write_segment` in `procs` processes, the n-th parsing and indexing every `procs`-th
    chunk of `paths` from the n-th: the segment of each and its letters' spellings, by
    number."""
    shares = [
        [
            path
            for at in range(n * CHUNK, len(paths), procs * CHUNK)
            for path in paths[at : at + CHUNK]
        ]
        for n in range(procs)
    ]
    results = multiprocessing.Queue()
    processes = [
        multiprocessing.Process(
            target=segment_process, args=(str(store), share, n, results, os.getpid())
        )
        for n, share in enumerate(shares)
    ]
    # The writers are forks of this process, sharing what it holds (the run's plan, a few
    # hundred bytes a file) until either writes to it; a collection writes to every object
    # it visits. Frozen, what is here now is visited by no collection in the writers.
    gc.freeze()
    try:
        for process in processes:
            process.start()
    finally:
        gc.unfreeze()
    written: dict = {}
    try:
        while len(written) < procs:
            try:
                kind, payload = results.get(timeout=1)
            except queue.Empty:
                if any(
                    p.exitcode not in (None, 0) for n, p in enumerate(processes) if n not in written
                ):
                    raise IndexUnusable(
                        "a writer process stopped (out of memory?); the index is as it was "
                        "before this run"
                    ) from None
                continue
            if kind == "files":
                note(payload)
            elif kind == "segment":
                written[payload[0]] = payload[1]
            else:
                raise IndexUnusable(
                    f"a writer process failed ({payload}); the index is as it was before this run"
                )
    except BaseException:
        for process in processes:
            process.terminate()
        raise
    finally:
        for process in processes:
            process.join()
    return written


# ---------------------------------------------------------------- the run


def index_paths(
    paths: list[Path],
    index_dir: Path,
    *,
    rebuild: bool = False,
    jobs: int = 0,
    progress: Progress | None = None,
) -> IndexReport:
    """Index the letters under `paths` into `index_dir`, incrementally (`rebuild`: anew,
    beside the live index, which serves until this run's commit). Raises IndexUnusable."""
    started = time.perf_counter()
    jobs = jobs or os.cpu_count() or 1
    with write_lock(index_dir):
        store, new = store_to_write(index_dir, rebuild)
        try:
            files = StoreFiles(store)
            record = files.record()
            plan = scan(files.manifest(), paths)
            # When each letter was first indexed: kept through re-reads, renames and
            # rebuilds (from the live store, which a rebuild replaces); this run's time
            # for the rest.
            plan.first_indexed = first_indexed(live_manifest(index_dir))
            plan.now = datetime.now(UTC).isoformat(timespec="microseconds")
            labels: Labels = record.get("labels", {})
            commit = Commit(store)
            try:
                to_parse = [path for path, _ in plan.to_parse]
                indexed, segments, read_labels = write_segments(store, to_parse, jobs, progress)
                report, manifest = apply(commit, plan, indexed, segments)
                add_labels(labels, read_labels)
            except BaseException:
                commit.cancel()
                raise
            commit.commit(list(segments.values()), manifest, labels)
            if new:
                make_live(index_dir, store)
        except BaseException:
            if new:  # a store never made live: what is live stays as it was
                shutil.rmtree(store, ignore_errors=True)
            raise
        report.letters, report.items = commit.totals()
        remove_stray_stores(index_dir, keep=store)
    report.seconds = time.perf_counter() - started
    return report


@dataclass
class Plan:
    """What a run must do, from comparing the files with the manifest."""

    old: dict[str, dict]
    report: IndexReport
    manifest: dict[str, dict]  # the files that need no parsing, as they will be recorded
    to_parse: list[tuple[str, int]]  # path, modification time (ns)
    gone: list[str]
    owners: dict[str, str]  # letter key -> the file its documents were read from (`old`)
    first_indexed: dict[str, str] = field(default_factory=dict)  # letter key -> when
    now: str = ""  # this run's time, for the letters it indexes first


def scan(old: dict[str, dict], paths: list[Path]) -> Plan:
    """Compare the files under `paths` with the manifest `old`."""
    report = IndexReport()
    manifest: dict[str, dict] = {}
    # Each file's modification time alone: a stat kept for each file was 500 bytes in the
    # run's memory, 800 MB for the whole state's letters.
    mtimes: dict[str, int] = {}
    to_parse: list[tuple[str, int]] = []
    folders: dict[Path, str] = {}
    for file in find_letter_files(paths):
        try:
            path, stat = resolved(file, folders)
        except OSError as exc:
            report.skipped[str(file)] = f"cannot read: {exc.strerror}"
            continue
        if path in mtimes:
            continue
        mtimes[path] = stat.st_mtime_ns
        entry = old.get(path)
        if entry and entry["size"] == stat.st_size and entry["mtime_ns"] == stat.st_mtime_ns:
            manifest[path] = entry
            continue
        if entry:  # changed on disk, or only touched: its bytes say which
            try:
                digest = file_digest(file)
            except OSError as exc:  # unreadable now: what was indexed from it stays
                report.skipped[path] = f"cannot read: {exc.strerror}"
                manifest[path] = entry
                continue
            if entry["sha256"] == digest:
                manifest[path] = dict(entry, mtime_ns=stat.st_mtime_ns)
                continue
        # Its writer records the digest of the bytes it parses: a new file is read once.
        to_parse.append((path, stat.st_mtime_ns))
    gone = []
    for path, entry in old.items():
        if path in mtimes:
            continue
        if os.path.exists(path):  # indexed by an earlier run over other paths
            manifest[path] = entry
        else:
            gone.append(path)
    # A letter whose file in the index is gone or read again may be left with no file: its
    # copies are read again too, so that one of them can keep it.
    owners = owners_of(old)
    leaving = {old[path].get("key") for path in gone}
    leaving |= {old[path].get("key") for path, _ in to_parse if path in old}
    for path, entry in list(manifest.items()):
        key = entry.get("key")
        if entry.get("duplicate_of") and (key in leaving or key not in owners):
            mtime_ns = readable_mtime(path, mtimes)  # a copy outside this run's paths too
            if mtime_ns is not None:
                del manifest[path]
                to_parse.append((path, mtime_ns))
    to_parse.sort(key=lambda parsed: Path(parsed[0]).parts)
    report.unchanged = len([path for path in manifest if path in mtimes])
    return Plan(old, report, manifest, to_parse, gone, owners)


def readable_mtime(path: str, mtimes: dict[str, int]) -> int | None:
    """The modification time of a copy of a letter that is to be read again, or None where
    it cannot be read now (and so keeps its entry)."""
    try:
        with open(path, "rb"):
            return mtimes[path] if path in mtimes else os.stat(path).st_mtime_ns
    except OSError:
        return None


# A manifest entry's time its letter was first indexed (ISO 8601, UTC, to the microsecond):
# runs hold the write lock one at a time, so a later run's letters are always later.
FIRST_INDEXED = "first_indexed"


# When the letters of an index made before first-indexed times were recorded were indexed:
# before any time recorded since, so that neither a watch nor a rebuild takes them for new.
BEFORE_RECORDED = "0001-01-01T00:00:00.000000+00:00"


def first_indexed(manifest: dict[str, dict]) -> dict[str, str]:
    """Letter key -> when it was first indexed (BEFORE_RECORDED for a letter of an index
    made before this was recorded)."""
    found: dict[str, str] = {}
    for entry in manifest.values():
        key, when = entry.get("key"), entry.get(FIRST_INDEXED) or BEFORE_RECORDED
        if key and when and (key not in found or when < found[key]):
            found[key] = when
    return found


def owners_of(manifest: dict[str, dict]) -> dict[str, str]:
    """Letter key -> the file its documents in the index were read from."""
    return {
        entry["key"]: path
        for path, entry in manifest.items()
        if entry.get("key") and not entry.get("duplicate_of")
    }


def resolved(file: Path, folders: dict[Path, str]) -> tuple[str, os.stat_result]:
    """The file's absolute path with no links (`Path.resolve`) and its stat. A file that is
    not a link is its folder's resolved path and its name; `folders` keeps each folder's,
    resolved once (one system call a file instead of one per part of its path)."""
    stat = file.lstat()
    if S_ISLNK(stat.st_mode):
        return str(file.resolve()), file.stat()
    folder = folders.get(file.parent)
    if folder is None:
        folder = folders[file.parent] = os.path.realpath(file.parent)
    return os.path.join(folder, file.name), stat


def apply(commit: Commit, plan: Plan, indexed: list[Indexed], segments: dict):
    """Decide what the files read make of the index: stage the deletions in `commit`, drop
    what is not to be kept from the new `segments`, return the report and the manifest to
    commit.

    Two passes, so that the order the files are read in cannot matter: first every letter
    whose file is gone or was read again leaves the index; then each letter read is kept
    once, by the file that still holds it in the index, else by the first file read with it.
    """
    old, report, manifest = plan.old, plan.report, plan.manifest
    owner = dict(plan.owners)
    for path in plan.gone:
        key = old[path].get("key")
        if key and owner.get(key) == path:
            commit.delete_letter(key)
            del owner[key]
        report.removed.append(path)
    for path, _ in plan.to_parse:  # read again, its file's last letter goes, read or not
        previous = old.get(path, {}).get("key")
        if previous and owner.get(previous) == path:
            commit.delete_letter(previous)
            del owner[previous]

    # A file that held its letter in the index before keeps it, whatever its name.
    read = list(zip(plan.to_parse, indexed, strict=True))
    read.sort(key=lambda pair: pair[0][0] not in old or bool(old[pair[0][0]].get("duplicate_of")))
    for (path, mtime_ns), done in read:
        if done.key is None:
            if done.added.count:
                commit.drop(segments[done.segment], done.added)  # a letter that failed half-way
            # Changed and no longer a letter: it holds none now, and is read again next run.
            report.skipped[path] = done.reason
            continue
        entry = {
            "size": done.size,  # of the bytes parsed, which may be newer than the stat
            "mtime_ns": mtime_ns,
            "sha256": done.digest,
            "key": done.key,
            FIRST_INDEXED: plan.first_indexed.get(done.key, plan.now),
        }
        kept = owner.get(done.key)
        if kept is not None:
            commit.drop(segments[done.segment], done.added)
            report.duplicates[path] = kept
            manifest[path] = dict(entry, duplicate_of=kept)
            continue
        commit.delete_letter(done.key)  # documents a crash left without a manifest entry
        owner[done.key] = path
        manifest[path] = entry
        (report.updated if path in old else report.new).append(path)
    for entry in manifest.values():  # a copy names the file that keeps its letter now
        if entry.get("duplicate_of") and entry.get("key") in owner:
            entry["duplicate_of"] = owner[entry["key"]]
    return report, manifest


def folder_size(folder: Path) -> int:
    """The bytes of the files in `folder`, skipping those a run's commit removes meanwhile."""
    size = 0
    for path in folder.rglob("*"):
        with suppress(FileNotFoundError):
            size += path.stat().st_size if path.is_file() else 0
    return size


def index_info(index_dir: Path) -> dict:
    """Size and contents of an index. Raises IndexUnusable."""
    with open_snapshot(index_dir) as snapshot:
        letters, items = snapshot.letters_and_items()
        decided = snapshot.decision_dates()
        manifest = snapshot.manifest()
        created = snapshot.files.meta().get("created")
        updated = snapshot.generation_record.get("updated")
        size = folder_size(snapshot.store)
    return {
        "index": str(index_dir),
        "letters": letters,
        "items": items,
        "decided_from": min(decided).isoformat() if decided else None,
        "decided_to": max(decided).isoformat() if decided else None,
        "size_bytes": size,
        "schema_version": SCHEMA_VERSION,
        "created": created,
        "updated": updated,
        "files": len(manifest),
    }
