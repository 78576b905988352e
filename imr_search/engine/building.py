"""Writing to a store: new segments of letters, and the run's commit of them with its
deletions. A run holds the index's write lock (store.py), so no writer here takes Whoosh's."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from whoosh.reading import SegmentReader

from ..letters.models import Letter
from . import facets
from .documents import Labels, documents, note_labels
from .snapshot import Snapshot
from .store import (
    Opened,
    generations,
    note_totals,
    open_searcher,
    open_store_index,
    write_record,
)
from .writer import TermPoolWriter

WRITER_LIMIT_MB = 256

# When a commit merges segments. Each run adds segments (a large run one per writer process,
# a weekly update one), and a query pays for each segment it reads, so segments of about the
# same size are merged once there are MERGE_FACTOR of them: their count grows with the log of
# the letters, not with the runs. A segment of MERGE_UP_TO documents or more is never merged
# (merging goes at about 2,000 documents a second: a merge stays under two minutes); below
# MERGE_FLOOR documents, sizes count as one.
MERGE_FACTOR = 10
MERGE_UP_TO = 250_000
MERGE_FLOOR = 1_000


def size_tier(documents: int) -> int:
    return len(str(max(documents, MERGE_FLOOR)))  # the number of digits: a power of ten


def merge_policy(writer, segments: list) -> list:
    """Whoosh's merge policy interface: merge segments into `writer` (`add_reader`), and
    return those kept as they are. The segments under MERGE_UP_TO documents of each size
    tier with MERGE_FACTOR or more of them are merged, the smallest first, up to MERGE_UP_TO
    documents in all."""
    tiers: dict[int, list] = {}
    for segment in segments:
        if 0 < segment.doc_count() < MERGE_UP_TO:
            tiers.setdefault(size_tier(segment.doc_count()), []).append(segment)
    merging, total = [], 0
    for tier in sorted(tiers):
        if len(tiers[tier]) < MERGE_FACTOR:
            continue
        for segment in sorted(tiers[tier], key=lambda s: s.doc_count()):
            if total + segment.doc_count() > MERGE_UP_TO:
                break
            merging.append(segment)
            total += segment.doc_count()
    if len(merging) < 2:
        return segments
    for segment in merging:
        with SegmentReader(writer.storage, writer.schema, segment) as reader:
            writer.add_reader(reader)
    return [segment for segment in segments if segment not in merging]


def pool_writer(store: Path) -> TermPoolWriter:
    # Segments as separate files: opening a compound segment copies each of its parts into
    # memory (Whoosh reads them through BytesIO), 40 ms a search on 20,000 letters.
    return TermPoolWriter(
        open_store_index(store), _lk=False, limitmb=WRITER_LIMIT_MB, compound=False
    )


@dataclass(frozen=True, slots=True)
class Added:
    """Where a letter's documents went in a new segment."""

    first: int
    count: int


class LetterFailed(Exception):
    """A letter that could not be indexed whole; `added` says what it left, to be dropped."""

    def __init__(self, reason: str, added: Added):
        super().__init__(reason)
        self.added = added


class SegmentBuilder:
    """One new segment of letters, written here or in a writer process, and the spellings
    of the facet values of the letters given to it (`labels`). Gathered for the segment,
    not reported with each letter: a letter's were 2.5 KB in the run's memory until its
    commit, 4 GB for the whole state's letters. A spelling of a letter left out (a copy of
    one indexed, one that failed half-way) is a spelling of the same value still."""

    def __init__(self, store: Path):
        self.store = store
        self.writer = pool_writer(store)
        self.labels: Labels = {}

    def add(self, letter: Letter, key: str) -> Added:
        """Index `letter` under `key`. Raises LetterFailed."""
        first = self.writer.docnum
        try:
            for document in documents(letter, key):
                self.writer.add_document(**document)
                note_labels(self.labels, document)
        except Exception as exc:  # noqa: BLE001 - one letter's fault, reported as its own
            reason = f"cannot be indexed ({type(exc).__name__}: {exc})"
            raise LetterFailed(reason, Added(first, self.writer.docnum - first)) from None
        return Added(first, self.writer.docnum - first)

    def finish(self):
        """The segment written, or None where nothing was added; its facet tables built now,
        while other writers work, rather than after the commit."""
        writer = self.writer
        if not writer._added:
            writer._close_segment()
            return None
        written = writer._finalize_segment()
        with SegmentReader(writer.storage, writer.schema, written) as reader:
            facets.prepare_segment(self.store, reader)
        return written


class Commit:
    """The run's own writer: it deletes letters, drops what is not to be kept from the new
    segments, merges small segments and commits."""

    def __init__(self, store: Path):
        self.store = store
        self.writer = pool_writer(store)
        self.writer.mergetype = merge_policy

    def delete_letter(self, key: str) -> None:
        """Delete the letter indexed under `key` from the segments committed before."""
        self.writer.delete_by_term("letter_key", key)

    @staticmethod
    def drop(segment, added: Added) -> None:
        """Delete the documents a letter added to a new segment."""
        for docnum in range(added.first, added.first + added.count):
            segment.delete_document(docnum)

    def commit(self, segments: list, manifest: dict, labels: dict) -> None:
        """Commit with the new `segments`, and the manifest and labels that go with them."""
        self.writer.commit_with(
            segments, lambda generation: write_record(self.store, generation, manifest, labels)
        )

    def totals(self) -> tuple[int, int]:
        """After the commit: the tables of its new segments built, so that no query waits
        for them; the letters and items indexed."""
        storage = self.writer.storage
        generation = generations(storage)[-1]
        with open_searcher(self.store, storage, generation) as searcher:
            facets.prepare(self.store, searcher)
            snapshot = Snapshot(Opened(self.store, generation, searcher))
            letters, items = snapshot.letters_and_items()
        note_totals(self.store, generation, letters, items)
        return letters, items

    def cancel(self) -> None:
        self.writer.cancel()  # the new segments' files go at the next commit
