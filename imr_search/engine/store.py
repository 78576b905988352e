"""The index on disk: a folder holding one live store, readers' snapshots, the write lock.

    INDEX/imr-search.json      which store is live, and the schema version it was built with
    INDEX/write.lock           held by the one run that writes, from its scan to its commit
    INDEX/store-<id>/          a Whoosh index (segments, tables of contents), its facet
                               tables, the leases of the readers using it, and for each
                               generation its record (manifest, facet labels, when),
                               written before the generation's table of contents

Readers never see a half-built index and never fail because a run goes on:
- A reader answers from one generation (one commit) of the live store. It takes a shared
  lease on the store and on that generation (`flock` on a lock file, let go by the system
  when the process ends, however it ends) before it reads anything.
- A commit keeps the files of the generation before it, and of every generation a reader
  holds, where Whoosh would delete every file the new generation does not use (a merge
  deletes the segments it merged). A generation's files go only once its lease can be
  taken exclusively: then no reader holds it, and the table of contents goes first, so a
  reader arriving after finds none and moves to the newest.
- `--rebuild` builds a new store beside the live one and makes it live by replacing
  `imr-search.json` (an atomic rename) once its commit is done; the old store goes when no
  reader holds it. A rebuild that is killed leaves the old store live; the next run removes
  the stray one.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh.filedb.filestore import FileStorage
from whoosh.index import TOC, EmptyIndexError
from whoosh.searching import Searcher

from . import answers, facets
from .schema import SCHEMA_VERSION, build_schema

POINTER_FILE = "imr-search.json"
LOCK_FILE = "write.lock"
# Saved searches (search/watch.py), beside the stores so that a rebuild keeps them.
WATCHES_FILE, WATCHES_LOCK = "watches.json", "watches.lock"
STORE_PREFIX = "store-"
STORE_META = "store.json"  # when the store was created
# What each generation was made of, written before its table of contents: the spellings of
# its facet values and when it was committed (read by every query: kept small), and the
# manifest of the files it holds (read by runs, `show` and `info`).
RECORD_FILE = "generation-{}.json"
MANIFEST_FILE = "manifest-{}.json"
STORE_LEASE = "store.lock"
READERS_FOLDER = "readers"
INDEX_NAME = "imr"
# What a version before stores left in an index folder, removed when it is rebuilt.
OLD_LAYOUT = re.compile(rf"^(_?{INDEX_NAME}_.*|manifest\.json|facets|.*\.tmp)$")


class IndexUnusable(Exception):
    """An index that cannot be used as asked; the message says why and what to do."""


def default_index_dir() -> Path:
    return Path(os.environ.get("IMR_SEARCH_INDEX", "index"))


def write_json_atomically(path: Path, data: dict) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    # One line: Python encodes JSON in C only without indenting (a manifest of 20,000
    # files: 0.08 s indented, 0.03 s not).
    temporary.write_text(json.dumps(data, sort_keys=True), encoding="utf-8")
    os.replace(temporary, path)


def read_json(path: Path) -> dict | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def in_use(index_dir: Path) -> str:
    return f"index is in use: another imr-search is writing to {index_dir}; try again when it ends"


def rebuild_hint(index_dir: Path, why: str) -> IndexUnusable:
    return IndexUnusable(
        f"the index at {index_dir} {why}; rebuild it with `imr-search index --rebuild PATH`"
    )


def live_store(index_dir: Path) -> Path:
    """The folder of the store readers use now. Raises IndexUnusable with what to do."""
    path = index_dir / POINTER_FILE
    pointer = read_json(path)
    if pointer is None:
        if path.exists():
            raise rebuild_hint(index_dir, f"cannot be read (its {POINTER_FILE} is damaged)")
        raise IndexUnusable(f"no index at {index_dir}; run `imr-search index PATH` first")
    # The version first: Whoosh unpickles an index's schema, which an old one may not allow.
    version = pointer.get("schema_version")
    if version != SCHEMA_VERSION or not pointer.get("store"):
        built = "a newer" if isinstance(version, int) and version > SCHEMA_VERSION else "an older"
        raise rebuild_hint(
            index_dir,
            f"was built by {built} version of imr-search (index format {version}, this "
            f"version reads {SCHEMA_VERSION})",
        )
    return index_dir / pointer["store"]


# ---------------------------------------------------------------- leases


@contextmanager
def lease(path: Path, exclusive: bool = False, wait: bool = True) -> Iterator[bool]:
    """A `flock` on the lock file `path` for the block: shared, or exclusive. Yields whether
    it was had: never where the file is gone (its store or generation went with it).

    The writer makes every lock file (a store's when it makes the store, a generation's
    before its table of contents); all open them read-only, which is all `flock` needs, so
    that an index on a read-only disk, or another user's, is read under leases too."""
    try:
        handle = open(path, "rb")  # noqa: SIM115 - held for the block
    except FileNotFoundError:
        yield False
        return
    try:
        mode = fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH
        try:
            fcntl.flock(handle, mode if wait else mode | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        handle.close()  # lets go of the lock


def make_lock_file(path: Path) -> None:
    path.touch(exist_ok=True)


def generation_lease(store: Path, generation: int) -> Path:
    return store / READERS_FOLDER / f"{generation}.lock"


def generations(storage) -> list[int]:
    """The generations whose tables of contents are in a store, oldest first."""
    pattern = TOC._pattern(INDEX_NAME)
    return sorted(int(m.group(1)) for m in map(pattern.match, storage.list()) if m)


# ---------------------------------------------------------------- reading


@dataclass
class Opened:
    """A searcher on one generation of the live store, and where it came from."""

    store: Path
    generation: int
    searcher: Searcher


@contextmanager
def opened_generation(index_dir: Path) -> Iterator[Opened]:
    """The newest whole generation of the live store, held for the block: no run can take
    away its files while it is read. Raises IndexUnusable."""
    for _ in range(20):  # each retry means a run made another store or commit live meanwhile
        store = live_store(index_dir)
        with lease(store / STORE_LEASE) as held:
            if not held or not (store / STORE_META).exists():
                if live_store(index_dir) == store:  # not retired by a rebuild: gone
                    raise rebuild_hint(index_dir, f"has lost its store {store.name}")
                continue  # retired since the pointer was read
            storage = FileStorage(str(store))
            found = generations(storage)
            if not found:
                raise rebuild_hint(index_dir, "has no commit")
            generation = found[-1]
            with lease(generation_lease(store, generation)) as held_generation:
                if not held_generation or generation not in generations(storage):
                    continue
                searcher = open_searcher(index_dir, storage, generation)
                try:
                    yield Opened(store, generation, searcher)
                finally:
                    searcher.close()
                return
    raise IndexUnusable(f"the index at {index_dir} keeps changing; try again")


def open_searcher(index_dir: Path, storage, generation: int) -> Searcher:
    try:
        toc = TOC.read(storage, INDEX_NAME, gen=generation)
        reader = whoosh_index.FileIndex._reader(storage, toc.schema, toc.segments, toc.generation)
    except Exception as exc:  # noqa: BLE001 - a damaged table of contents, in any way
        raise rebuild_hint(index_dir, f"cannot be read ({type(exc).__name__}: {exc})") from None
    return Searcher(reader)


# ---------------------------------------------------------------- writing


@dataclass
class StoreFiles:
    """A store's own files beside its Whoosh index."""

    folder: Path

    def meta(self) -> dict:
        return read_json(self.folder / STORE_META) or {}

    def newest(self) -> int:
        found = generations(FileStorage(str(self.folder)))
        return found[-1] if found else 0

    def record(self, generation: int | None = None) -> dict:
        """Generation `generation`'s (else the newest's) `labels` and `updated`; empty for a
        store's first, empty generation."""
        generation = self.newest() if generation is None else generation
        return read_json(self.folder / RECORD_FILE.format(generation)) or {}

    def manifest(self, generation: int | None = None) -> dict[str, dict]:
        """The files generation `generation` (else the newest) holds."""
        generation = self.newest() if generation is None else generation
        files = (read_json(self.folder / MANIFEST_FILE.format(generation)) or {}).get("files")
        return files if isinstance(files, dict) else {}


def live_manifest(index_dir: Path) -> dict[str, dict]:
    """The files the live store's newest generation holds, whatever version of imr-search
    built it (the manifest's form has not changed): what a rebuild knows of the letters
    indexed before it. Empty where there is no live store."""
    pointer = read_json(index_dir / POINTER_FILE) or {}
    if not isinstance(pointer.get("store"), str):
        return {}
    return StoreFiles(index_dir / pointer["store"]).manifest()


def write_record(store: Path, generation: int, manifest: dict, labels: dict) -> None:
    """Before generation `generation`'s table of contents: its record and its lease file."""
    now = datetime.now(UTC).isoformat(timespec="seconds")
    write_json_atomically(store / MANIFEST_FILE.format(generation), {"files": manifest})
    write_json_atomically(
        store / RECORD_FILE.format(generation), {"labels": labels, "updated": now}
    )
    make_lock_file(generation_lease(store, generation))


def note_totals(store: Path, generation: int, letters: int, items: int) -> None:
    """After generation `generation`'s commit: its letters and items in its record, so that
    a query citing them need not count every document (a reader arriving before this counts
    them itself)."""
    path = store / RECORD_FILE.format(generation)
    record = read_json(path)
    if record is not None:
        write_json_atomically(path, dict(record, letters=letters, items=items))


# The write lock's open file while this process holds it. A writer process forked by the
# run closes its copy (`release_inherited_locks`): the lock then goes with the run itself,
# however the run ends.
RUN_LOCKS: list = []


@contextmanager
def write_lock(index_dir: Path) -> Iterator[None]:
    """The index's write lock, for the block. Raises IndexUnusable when another run has it,
    or when `index_dir` is no folder of an index (nothing is written there then)."""
    check_index_folder(index_dir)
    try:
        index_dir.mkdir(parents=True, exist_ok=True)
        handle = open(index_dir / LOCK_FILE, "a+b")  # noqa: SIM115 - held for the block
    except OSError as exc:
        raise IndexUnusable(f"cannot write to {index_dir}: {exc.strerror}") from None
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise IndexUnusable(in_use(index_dir)) from None
        RUN_LOCKS.append(handle)
        yield
    finally:
        if handle in RUN_LOCKS:
            RUN_LOCKS.remove(handle)
        handle.close()


def release_inherited_locks() -> None:
    """In a forked writer process: close the copies of the run's lock it inherited."""
    for handle in RUN_LOCKS:
        handle.close()
    RUN_LOCKS.clear()


def check_index_folder(index_dir: Path) -> None:
    """Refuse a path that is a file, or a folder holding anything but an index's files."""
    if index_dir.exists() and not index_dir.is_dir():
        raise IndexUnusable(f"{index_dir} is a file, not an index folder (choose another --index)")
    if not index_dir.is_dir() or (index_dir / POINTER_FILE).exists():
        return
    ours = (LOCK_FILE, POINTER_FILE, WATCHES_FILE, WATCHES_LOCK)
    if any(p.name not in ours and not p.name.startswith(STORE_PREFIX) for p in index_dir.iterdir()):
        raise IndexUnusable(
            f"{index_dir} holds something other than an imr-search index; refusing to "
            "overwrite it (choose another folder with --index)"
        )


def store_to_write(index_dir: Path, rebuild: bool) -> tuple[Path, bool]:
    """The store a run writes to, under the write lock: the live one, or a new one beside it
    (`--rebuild`, or no index yet), and whether it is new."""
    if (index_dir / POINTER_FILE).exists() and not rebuild:
        store = live_store(index_dir)
        if not (store / STORE_META).exists():
            raise rebuild_hint(index_dir, "has lost its store")
        return store, False
    store = index_dir / f"{STORE_PREFIX}{uuid.uuid4().hex[:12]}"
    (store / READERS_FOLDER).mkdir(parents=True)
    make_lock_file(store / STORE_LEASE)
    make_lock_file(generation_lease(store, 0))
    whoosh_index.create_in(str(store), build_schema(), indexname=INDEX_NAME)
    now = datetime.now(UTC).isoformat(timespec="seconds")
    write_json_atomically(store / STORE_META, {"created": now})
    return store, True


def open_store_index(store: Path):
    try:
        return whoosh_index.open_dir(str(store), indexname=INDEX_NAME)
    except EmptyIndexError:
        raise IndexUnusable(f"{store} holds no index; rebuild it") from None


def make_live(index_dir: Path, store: Path) -> None:
    """Make a new store the one readers use: one rename."""
    write_json_atomically(
        index_dir / POINTER_FILE,
        {
            "schema_version": SCHEMA_VERSION,
            "store": store.name,
            "created": StoreFiles(store).meta().get("created"),
        },
    )


def remove_stray_stores(index_dir: Path, keep: Path) -> None:
    """Remove the stores other than `keep` that no reader holds (a store replaced by a
    rebuild, a rebuild that was killed), and what an index of an older layout left."""
    for path in index_dir.iterdir():
        if path.name.startswith(STORE_PREFIX) and path != keep and path.is_dir():
            with lease(path / STORE_LEASE, exclusive=True, wait=False) as free:
                if free or not (path / STORE_LEASE).exists():
                    (path / STORE_META).unlink(missing_ok=True)  # a reader waiting sees it go
                    shutil.rmtree(path, ignore_errors=True)
        elif OLD_LAYOUT.match(path.name):
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)


def clean_store(storage, store: Path, generation: int, segments) -> None:
    """What Whoosh's `clean_files` does after a commit, but keeping every generation a
    reader may be reading: the one before this, and those whose lease is held."""
    kept = {generation: segments}
    older = [g for g in generations(storage) if g < generation]
    for number in reversed(older):
        if number == older[-1]:
            with suppress(Exception):  # a damaged old table of contents: nothing to keep
                kept[number] = TOC.read(storage, INDEX_NAME, gen=number).segments
            continue
        with lease(generation_lease(store, number), exclusive=True, wait=False) as free:
            if free or not generation_lease(store, number).exists():
                storage.delete_file(TOC._filename(INDEX_NAME, number))
                (store / RECORD_FILE.format(number)).unlink(missing_ok=True)
                (store / MANIFEST_FILE.format(number)).unlink(missing_ok=True)
                generation_lease(store, number).unlink(missing_ok=True)
                continue
        with suppress(Exception):
            kept[number] = TOC.read(storage, INDEX_NAME, gen=number).segments
    for lock in (store / READERS_FOLDER).glob("*.lock"):
        if lock.stem.isdigit() and int(lock.stem) not in kept:
            lock.unlink(missing_ok=True)
    needed = {segment.segment_id() for held in kept.values() for segment in held}
    pattern = TOC._segment_pattern(INDEX_NAME)
    for name in storage.list():
        match = pattern.match(name)
        if match and match.group(1) not in needed:
            with suppress(OSError):
                storage.delete_file(name)
    for folder in (facets.CACHE_FOLDER, answers.FOLDER):
        keep_segments(store / folder, needed)


# A temporary file a reader left while saving (facets.save_atomically) goes after this long:
# younger, it may be a save going on now.
TEMPORARY_SECONDS = 3600


def keep_segments(folder: Path, segment_ids: set[str]) -> None:
    """Drop the files kept for segments other than `segment_ids` (merged away, and no
    longer read by anyone): each is named by its segment's id, then a dot. What cannot
    be removed now (another user's file) is left for a later commit."""
    now = time.time()
    for path in folder.iterdir() if folder.exists() else ():
        with suppress(OSError):
            if path.name.startswith("."):
                if now - path.stat().st_mtime > TEMPORARY_SECONDS:
                    path.unlink(missing_ok=True)
            elif path.name.split(".", 1)[0] not in segment_ids:
                path.unlink(missing_ok=True)
