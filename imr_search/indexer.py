"""Build and update an index: letters parsed and written into new segments (by writer
processes, for a large run), one writer that deletes and commits, a manifest of indexed files
so that a re-run only does what changed.

Crash safety comes from Whoosh's commit: a generation becomes visible only when its table
of contents is written, and the manifest is replaced (atomically) only after that commit.
A run killed at any point leaves the last committed index; the next run sees the files the
manifest does not vouch for and indexes them.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import queue
import signal
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from stat import S_ISLNK

import numpy as np
from whoosh import index as whoosh_index
from whoosh.filedb.filestore import FileStorage
from whoosh.index import EmptyIndexError, LockError
from whoosh.reading import SegmentReader
from whoosh.util.times import long_to_datetime

from . import facets
from .models import Letter
from .schema import DATE_FIELDS, FACETS, SCHEMA_VERSION, build_schema, facet_value

META_FILE = "imr-search.json"
MANIFEST_FILE = "manifest.json"
INDEX_NAME = "imr"
WRITER_LIMIT_MB = 256


class IndexUnusable(Exception):
    """An index that cannot be used as asked; the message says why and what to do."""


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


def default_index_dir() -> Path:
    return Path(os.environ.get("IMR_SEARCH_INDEX", "index"))


# ---------------------------------------------------------------- index folder


def read_meta(index_dir: Path) -> dict | None:
    try:
        return json.loads((index_dir / META_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def write_json_atomically(path: Path, data: dict) -> None:
    temporary = path.with_suffix(".tmp")
    # One line: Python encodes JSON in C only without indenting (a manifest of 20,000
    # files: 0.08 s indented, 0.03 s not).
    temporary.write_text(json.dumps(data, sort_keys=True), encoding="utf-8")
    os.replace(temporary, path)


def open_index(index_dir: Path):
    """An existing index for reading. Raises IndexUnusable with what to do."""
    meta = read_meta(index_dir)
    missing = IndexUnusable(f"no index at {index_dir}; run `imr-search index PATH` first")
    if meta is None:
        raise missing
    # The version first: Whoosh unpickles an index's schema, which an old one may not allow.
    if meta.get("schema_version") != SCHEMA_VERSION:
        raise IndexUnusable(
            f"the index at {index_dir} was built by an incompatible version (schema "
            f"{meta.get('schema_version')}, this version reads {SCHEMA_VERSION}); rebuild it "
            "with `imr-search index --rebuild PATH`"
        )
    try:
        return whoosh_index.open_dir(str(index_dir), indexname=INDEX_NAME)
    except EmptyIndexError:
        raise missing from None
    except Exception as exc:  # noqa: BLE001 - a damaged table of contents, in any way
        raise IndexUnusable(
            f"the index at {index_dir} cannot be read ({type(exc).__name__}: {exc}); "
            "rebuild it with `imr-search index --rebuild PATH`"
        ) from None


def open_for_writing(index_dir: Path, rebuild: bool):
    """The index to write to, created where there is none. Refuses foreign folders."""
    meta = read_meta(index_dir)
    occupied = index_dir.exists() and any(index_dir.iterdir())
    if occupied and meta is None:
        raise IndexUnusable(
            f"{index_dir} holds something other than an imr-search index; refusing to "
            "overwrite it (choose another folder with --index)"
        )
    if meta is not None and not rebuild:
        return open_index(index_dir)
    index_dir.mkdir(parents=True, exist_ok=True)
    # --rebuild: the write lock must be ours before anything is cleared. It is taken from
    # the folder, not through the old index, which this version may be unable to read.
    lock = FileStorage(str(index_dir)).lock(f"{INDEX_NAME}_WRITELOCK")
    if not lock.acquire(blocking=False):
        raise IndexUnusable(in_use(index_dir))
    try:
        (index_dir / MANIFEST_FILE).unlink(missing_ok=True)
        ix = whoosh_index.create_in(str(index_dir), build_schema(), indexname=INDEX_NAME)
    finally:
        lock.release()
    now = datetime.now(UTC).isoformat(timespec="seconds")
    write_json_atomically(
        index_dir / META_FILE, {"schema_version": SCHEMA_VERSION, "created": now, "updated": None}
    )
    return ix


def in_use(index_dir: Path) -> str:
    return f"index is in use: another imr-search is writing to {index_dir}; try again when it ends"


# ---------------------------------------------------------------- documents


def letter_key(letter: Letter) -> str:
    """A letter's identity: its case number, else a digest of what it says."""
    if letter.has_case_number:
        return letter.case
    content = letter.summary + "".join(f"|{i.item}|{i.outcome}|{i.rationale}" for i in letter.items)
    return "sha:" + hashlib.sha256(content.encode("utf-8")).hexdigest()[:20]


def to_datetime(value: date | None) -> datetime | None:
    return datetime(value.year, value.month, value.day) if value else None


def facet_list(values: Iterable[str | None]) -> str:
    """Values as written, one per `facet_value` (the field's analyzer normalises them)."""
    kept: dict[str, str] = {}
    for value in values:
        if value:
            kept.setdefault(facet_value(value), value.strip())
    return ",".join(kept.values())


Labels = dict[str, dict[str, str]]  # facet field -> indexed value -> value as written


def note_labels(labels: Labels, document: dict) -> None:
    """Remember how each facet value was written, to show counts as the letters spell them."""
    for name in FACETS:
        if name in document:
            for value in str(document[name]).split(","):
                if value:
                    labels.setdefault(name, {}).setdefault(facet_value(value), value)


def documents(letter: Letter, key: str) -> list[dict]:
    """The index documents of a letter: one per item, or one `unknown` where it has none."""
    shared = {
        "letter_key": key,
        "case": letter.case,
        "specialty": facet_list(letter.specialties),
        "license_state": facet_list(letter.license_states),
        "summary": letter.summary,
        "path": letter.path,
    }
    for name in DATE_FIELDS:
        value = to_datetime(getattr(letter, name))
        if value:
            shared[name] = value
    if letter.decision_date:
        shared["year"] = letter.decision_date.year
    if letter.age is not None:
        shared["age"] = letter.age
    if letter.sex:
        shared["sex"] = letter.sex
    if not letter.items:
        return [
            dict(
                shared,
                item_no=0,
                outcome="unknown",
                item="",
                category="",
                guideline_source="none",
            )
        ]
    docs = []
    for item in letter.items:
        guideline = f"{item.claims_guideline.text}\n{item.maximus_guideline.text}"
        docs.append(
            dict(
                shared,
                item_no=item.position,
                item=item.item,
                outcome=item.outcome,
                category=facet_list([item.category]),
                drug=facet_list(item.drug.split(" / ") if item.drug else []),
                drug_class=facet_list([item.drug_class]),
                guideline_source=facet_list(item.guideline_sources),
                guideline=guideline,
                rationale=item.rationale,
            )
        )
    return docs


# ---------------------------------------------------------------- files


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# ---------------------------------------------------------------- writing segments


@dataclass(frozen=True)
class Indexed:
    """What a segment writer did with one file: the `count` documents of its letter from
    document `first` of segment `segment`; or why it skipped the file, with the documents a
    letter that failed half-way had added, to be dropped."""

    path: str
    key: str | None = None
    reason: str | None = None
    segment: int = 0
    first: int = 0
    count: int = 0
    labels: Labels = field(default_factory=dict)


CHUNK = 64  # files a writer process takes and reports at a time
# Measured on 2 cores (benchmarks/index_speed.py): writer processes halve a large build,
# but each run then adds one segment per process; small updates are written in one.
PARALLEL_WRITE_FROM = 1000


def write_segment(ix, paths: list[str], segment: int, report: Callable[[list[Indexed]], None]):
    """Parse the letters of `paths` and index them into a new segment of `ix`, reporting
    each chunk of files when it is done. The segment, or None where no letter was added."""
    from .letters import read_letter_or_reason  # here: searching never reads letter files
    from .writer import TermPoolWriter

    # The run's own writer holds the index's lock and commits this segment.
    writer = TermPoolWriter(ix, _lk=False, limitmb=WRITER_LIMIT_MB, compound=False)
    for start in range(0, len(paths), CHUNK):
        done = []
        for path in paths[start : start + CHUNK]:
            letter, reason = read_letter_or_reason(Path(path))
            if letter is None:
                done.append(Indexed(path, reason=reason))
                continue
            key = letter_key(letter)
            first, labels = writer.docnum, {}
            try:
                for document in documents(letter, key):
                    writer.add_document(**document)
                    note_labels(labels, document)
            except Exception as exc:  # noqa: BLE001 - one letter's fault, reported as its own
                count = writer.docnum - first  # its items added before the fault, to drop
                reason = f"cannot be indexed ({type(exc).__name__}: {exc})"
                done.append(Indexed(path, None, reason, segment, first, count))
                continue
            count = writer.docnum - first
            done.append(Indexed(path, key, None, segment, first, count, labels))
        report(done)
    if not writer._added:
        writer._close_segment()
        return None
    written = writer._finalize_segment()
    # Its facet tables now, while the other writers work, rather than after the commit.
    with SegmentReader(ix.storage, writer.schema, written) as reader:
        facets.prepare_segment(Path(ix.storage.folder), reader)
    return written


def segment_process(index_dir: str, paths: list[str], segment: int, results) -> None:
    """A writer process: `write_segment`, with its reports and its segment on `results`."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the run stops its writer processes
    try:
        ix = whoosh_index.open_dir(index_dir, indexname=INDEX_NAME)
        written = write_segment(ix, paths, segment, lambda files: results.put(("files", files)))
        results.put(("segment", (segment, written)))
    except Exception as exc:  # noqa: BLE001 - the run reports it and stops
        results.put(("error", f"{type(exc).__name__}: {exc}"))


def write_segments(ix, index_dir: Path, paths: list[str], jobs: int, progress: Progress | None):
    """Index `paths` into new segments: here, or in up to `jobs` writer processes for a
    large run. What was done with each file, in the order of `paths`, and the segments
    written, by number."""
    total, indexed = len(paths), {}
    procs = min(jobs, os.cpu_count() or 1) if total >= PARALLEL_WRITE_FROM else 1

    def note(files: list[Indexed]) -> None:
        indexed.update((done.path, done) for done in files)
        if progress:
            progress(len(indexed), total)

    if procs == 1:
        written = {0: write_segment(ix, paths, 0, note)}
    else:
        written = in_processes(index_dir, paths, procs, note)
    segments = {number: segment for number, segment in written.items() if segment}
    return [indexed[path] for path in paths], segments


def in_processes(index_dir: Path, paths: list[str], procs: int, note) -> dict:
    """`write_segment` in `procs` processes, the n-th parsing and indexing every `procs`-th
    chunk of `paths` from the n-th: the segment of each, by number."""
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
        multiprocessing.Process(target=segment_process, args=(str(index_dir), share, n, results))
        for n, share in enumerate(shares)
    ]
    for process in processes:
        process.start()
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
    """Index the letters under `paths` into `index_dir`, incrementally. Raises IndexUnusable."""
    started = time.perf_counter()
    jobs = jobs or os.cpu_count() or 1
    ix = open_for_writing(index_dir, rebuild)
    plan = scan(index_dir, paths)
    meta = read_meta(index_dir) or {}
    labels: Labels = meta.get("labels", {})
    writer = open_writer(ix, index_dir)
    paths_to_index = [path for path, _, _ in plan.to_parse]
    try:
        indexed, segments = write_segments(ix, index_dir, paths_to_index, jobs, progress)
        report, manifest = apply(writer, plan, indexed, segments, labels)
    except BaseException:
        writer.cancel()  # the new segments' files go at the next commit
        raise
    writer.commit_with(list(segments.values()))
    write_json_atomically(index_dir / MANIFEST_FILE, {"files": manifest})
    meta["updated"] = datetime.now(UTC).isoformat(timespec="seconds")
    meta["labels"] = labels
    write_json_atomically(index_dir / META_FILE, meta)
    with ix.searcher() as searcher:
        report.letters, report.items = letters_and_items(searcher)
        facets.prepare(index_dir, searcher)
    report.seconds = time.perf_counter() - started
    return report


def read_manifest(index_dir: Path) -> dict[str, dict]:
    try:
        return json.loads((index_dir / MANIFEST_FILE).read_text(encoding="utf-8"))["files"]
    except (OSError, ValueError, KeyError):
        return {}


def open_writer(ix, index_dir: Path):
    """The run's writer: it holds the lock, deletes, merges small segments and commits."""
    from .writer import TermPoolWriter  # here: off the query path

    # Segments as separate files: opening a compound segment copies each of its parts into
    # memory (Whoosh reads them through BytesIO), 40 ms a search on 20,000 letters.
    try:
        return TermPoolWriter(ix, limitmb=WRITER_LIMIT_MB, compound=False)
    except LockError as exc:
        raise IndexUnusable(in_use(index_dir)) from exc


@dataclass
class Plan:
    """What a run must do, from comparing the files with the manifest."""

    old: dict[str, dict]
    report: IndexReport
    manifest: dict[str, dict]
    to_parse: list[tuple[str, os.stat_result, str]]
    gone: list[str]


def scan(index_dir: Path, paths: list[Path]) -> Plan:
    report = IndexReport()
    old = read_manifest(index_dir)
    manifest: dict[str, dict] = {}
    seen: set[str] = set()
    to_parse: list[tuple[str, os.stat_result, str]] = []
    from .letters import find_letter_files  # here: searching never reads letter files

    folders: dict[Path, str] = {}
    for file in find_letter_files(paths):
        try:
            path, stat = resolved(file, folders)
        except OSError as exc:
            report.skipped[str(file)] = f"cannot read: {exc.strerror}"
            continue
        if path in seen:
            continue
        seen.add(path)
        entry = old.get(path)
        if entry and entry["size"] == stat.st_size and entry["mtime_ns"] == stat.st_mtime_ns:
            manifest[path] = entry
            report.unchanged += 1
            continue
        digest = file_digest(file)
        if entry and entry["sha256"] == digest:
            manifest[path] = dict(entry, mtime_ns=stat.st_mtime_ns)
            report.unchanged += 1
            continue
        to_parse.append((path, stat, digest))
    gone = []
    for path, entry in old.items():
        if path in seen:
            continue
        if os.path.exists(path):  # indexed by an earlier run over other paths
            manifest[path] = entry
        else:
            gone.append(path)
    return Plan(old, report, manifest, to_parse, gone)


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


def apply(writer, plan: Plan, indexed: list[Indexed], segments: dict, labels: Labels):
    """Decide what the files indexed make of the index: stage the deletions in `writer`,
    drop what is not to be kept from the new `segments`, return the report and the manifest
    to commit. `labels` gains the spellings of the facet values added."""
    old, report, manifest, to_parse = plan.old, plan.report, plan.manifest, plan.to_parse
    owner = {
        entry["key"]: path
        for path, entry in old.items()
        if entry.get("key") and not entry.get("duplicate_of")
    }
    for path in plan.gone:
        entry = old[path]
        if not entry.get("duplicate_of") and entry.get("key"):
            writer.delete_by_term("letter_key", entry["key"])
            owner.pop(entry["key"], None)
        report.removed.append(path)

    for (path, stat, digest), done in zip(to_parse, indexed, strict=True):
        key = done.key
        if key is None:
            drop(segments, done)  # what a letter that failed half-way had added
            report.skipped[path] = done.reason
            if path in old:  # keep what was indexed from its last good version
                manifest[path] = old[path]
            continue
        entry = {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "sha256": digest, "key": key}
        kept = owner.get(key)
        if kept and kept != path and (kept in manifest or os.path.exists(kept)):
            drop(segments, done)
            report.duplicates[path] = kept
            manifest[path] = dict(entry, duplicate_of=kept)
            continue
        previous = old.get(path, {}).get("key")
        if previous and previous != key and owner.get(previous) == path:
            writer.delete_by_term("letter_key", previous)
            owner.pop(previous)
        writer.delete_by_term("letter_key", key)  # its last version
        for name, spellings in done.labels.items():
            for value, spelling in spellings.items():
                labels.setdefault(name, {}).setdefault(value, spelling)
        owner[key] = path
        manifest[path] = entry
        (report.updated if path in old else report.new).append(path)
    return report, manifest


def drop(segments: dict, done: Indexed) -> None:
    """Delete the documents a file added to its new segment."""
    for docnum in range(done.first, done.first + done.count):
        segments[done.segment].delete_document(docnum)


def letters_and_items(searcher) -> tuple[int, int]:
    """Letters and items indexed. (The `letter_key` terms would count removed letters too:
    a deletion hides documents but leaves their terms until segments merge.)"""
    reader = searcher.reader()
    if not reader.doc_count_all():  # an index of no letters has no columns
        return 0, 0
    keys = reader.column_reader("letter_key")
    return len({keys[doc] for doc in reader.all_doc_ids()}), searcher.doc_count()


def index_info(index_dir: Path) -> dict:
    """Size and contents of an index. Raises IndexUnusable."""
    ix = open_index(index_dir)
    meta = read_meta(index_dir) or {}
    with ix.searcher() as searcher:
        letters, items = letters_and_items(searcher)
        live = np.fromiter(searcher.reader().all_doc_ids(), dtype=np.int64)
        held = facets.facet_counts(index_dir, searcher, live, ["decision_date"])["decision_date"]
        decided = [long_to_datetime(value) for value in held if value is not None]
        dates = (min(decided), max(decided)) if decided else (None, None)
    size = sum(f.stat().st_size for f in index_dir.iterdir() if f.is_file())
    return {
        "index": str(index_dir),
        "letters": letters,
        "items": items,
        "decided_from": dates[0].date().isoformat() if dates[0] else None,
        "decided_to": dates[1].date().isoformat() if dates[1] else None,
        "size_bytes": size,
        "schema_version": meta.get("schema_version"),
        "created": meta.get("created"),
        "updated": meta.get("updated"),
        "files": len(read_manifest(index_dir)),
    }
