"""Saved searches that report new decisions: each watch is a query (and its facets) kept
beside the index; running it shows the matching items of the letters first indexed since
it was added or last ran.

New is judged by when a letter was first indexed (the indexer records it per letter, and
keeps it through re-reads of unchanged or changed files, renames and rebuilds), not by its
decision date: letters are published and collected late. A watch remembers the newest
first-indexed time of the commit it last ran on; runs of `index` take turns under the write
lock and stamp their letters with their own time, so anything indexed later is newer.
"""

from __future__ import annotations

import fcntl
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from ..engine.query import QueryError, read_query
from ..engine.snapshot import Snapshot, open_snapshot
from ..engine.store import (
    WATCHES_FILE,
    WATCHES_LOCK,
    IndexUnusable,
    live_store,
    read_json,
    write_json_atomically,
)
from ..indexer import BEFORE_RECORDED, first_indexed
from .results import (
    Hit,
    ParameterError,
    Provenance,
    Sort,
    facet_counts,
    facets_wanted,
    provenance_of,
    ranked,
    to_hit,
)


class UnknownWatch(QueryError):
    """A watch name that is not saved: an error in what was asked (exit status 2), not a
    search that found nothing."""


NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


@dataclass(frozen=True)
class Watch:
    name: str
    query: str
    facets: tuple[str, ...]
    added: str  # when, ISO 8601 UTC
    seen: str | None  # the newest first-indexed time it has reported up to (None: nothing)
    last_run: str | None = None

    def to_dict(self) -> dict:
        return dict(asdict(self), facets=list(self.facets))

    @property
    def notes(self) -> tuple[str, ...]:
        """How its query is read where another search reads it otherwise, as `query` says."""
        return read_query(self.query).notes


@dataclass(frozen=True)
class NewHit:
    hit: Hit
    indexed: str  # when its letter was first indexed, ISO 8601 UTC


@dataclass(frozen=True)
class WatchRun:
    """What one run of a watch found: the new matching items (up to the limit), how many
    there are, and their counts by outcome and the watch's facets."""

    watch: Watch  # as it was before this run
    new: int
    hits: tuple[NewHit, ...]
    facets: dict[str, dict[str, int]]
    provenance: Provenance


def check_name(name: str) -> None:
    if not NAME.fullmatch(name):  # `$` would let a closing line break through
        raise ParameterError(
            f"watch name {name!r}: use letters, digits, '.', '_' and '-' (up to 64), "
            "starting with a letter or digit"
        )


@contextmanager
def saved_watches(index_dir: Path) -> Iterator[dict[str, Watch]]:
    """The watches of the index at `index_dir`, by name, held for the block (another
    `watch` command waits) and written back after it. Raises IndexUnusable."""
    live_store(index_dir)  # an index must be there: its folder holds the watches
    try:
        handle = open(index_dir / WATCHES_LOCK, "a+b")  # noqa: SIM115 - held for the block
    except OSError as exc:
        raise IndexUnusable(f"cannot write to {index_dir}: {exc.strerror}") from None
    with handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        watches = read_watches(index_dir / WATCHES_FILE)
        before = dict(watches)
        yield watches
        if watches != before:
            write_json_atomically(
                index_dir / WATCHES_FILE,
                {"watches": [watch.to_dict() for watch in watches.values()]},
            )


def newest_indexed(snapshot: Snapshot) -> tuple[dict[str, str], str | None]:
    """Letter key -> when first indexed, and the newest of those times."""
    stamps = first_indexed(snapshot.manifest())
    return stamps, max(stamps.values(), default=BEFORE_RECORDED)


def read_watches(path: Path) -> dict[str, Watch]:
    """The watches saved in `path`, by name. A file there that cannot be read is refused
    rather than taken for none: the next `watch add` would write over every search in it.
    Raises IndexUnusable."""
    if not path.exists():
        return {}
    stored = read_json(path)
    try:
        entries = stored["watches"]
        return {
            entry["name"]: Watch(**dict(entry, facets=tuple(entry["facets"]))) for entry in entries
        }
    except (KeyError, TypeError, ValueError):
        raise IndexUnusable(
            f"{path}: the saved searches cannot be read; mend the file, or remove it to start "
            "with none"
        ) from None


def add_watch(index_dir: Path, name: str, query: str, facets: tuple[str, ...] = ()) -> Watch:
    """Save `query` (read as strictly as `search` reads it) with `facets` as watch `name`;
    it will report what is indexed from now on. Raises QueryError, IndexUnusable."""
    check_name(name)
    read_query(query)
    wanted = facets_wanted(facets)[1:]  # (outcome is always counted)
    with open_snapshot(index_dir) as snapshot:
        _, newest = newest_indexed(snapshot)
    with saved_watches(index_dir) as watches:
        if name in watches:
            raise ParameterError(f"there is a watch {name!r} already; remove it first")
        now = datetime.now(UTC).isoformat(timespec="seconds")
        watches[name] = Watch(name, query, wanted, now, newest)
        return watches[name]


def list_watches(index_dir: Path) -> list[Watch]:
    """The saved watches, in the order they were added. Raises IndexUnusable."""
    with saved_watches(index_dir) as watches:
        return list(watches.values())


def remove_watch(index_dir: Path, name: str) -> Watch:
    """Remove watch `name`. Raises UnknownWatch, IndexUnusable."""
    with saved_watches(index_dir) as watches:
        if name not in watches:
            raise UnknownWatch(f"no watch {name!r}; `imr-search watch list` shows them")
        return watches.pop(name)


def run_watches(index_dir: Path, names: tuple[str, ...] = (), limit: int = 10) -> list[WatchRun]:
    """Run the watches `names` (all, when none is named): each one's items of the letters
    first indexed since it was added or last ran, up to `limit` hits each, best first. Each
    then remembers this commit's newest letters as seen. Raises UnknownWatch, QueryError,
    IndexUnusable."""
    if limit < 1:
        raise QueryError("--limit starts at 1")
    with saved_watches(index_dir) as watches:
        unknown = [name for name in names if name not in watches]
        if unknown:
            raise UnknownWatch(f"no watch {unknown[0]!r}; `imr-search watch list` shows them")
        chosen = [watches[name] for name in dict.fromkeys(names)] or list(watches.values())
        with open_snapshot(index_dir) as snapshot:
            stamps, newest = newest_indexed(snapshot)
            runs = [run_one(snapshot, watch, stamps, limit) for watch in chosen]
        now = datetime.now(UTC).isoformat(timespec="seconds")
        for watch in chosen:
            seen = max(filter(None, (watch.seen, newest)), default=None)
            watches[watch.name] = replace(watch, seen=seen, last_run=now)
    return runs


def run_one(snapshot: Snapshot, watch: Watch, stamps: dict[str, str], limit: int) -> WatchRun:
    query = read_query(watch.query)
    ranking = ranked(snapshot, query, Sort.relevance).best()  # new hits in rank order
    keys = snapshot.letter_keys(ranking.docs)
    new = [
        at
        for at, key in enumerate(keys)
        if key in stamps and (watch.seen is None or stamps[key] > watch.seen)
    ]
    hits = tuple(NewHit(to_hit(snapshot, ranking, at), stamps[keys[at]]) for at in new[:limit])
    return WatchRun(
        watch=watch,
        new=len(new),
        hits=hits,
        facets=facet_counts(snapshot, ranking.docs[new], facets_wanted(watch.facets)),
        provenance=provenance_of(snapshot, watch.query, query.explained),
    )
