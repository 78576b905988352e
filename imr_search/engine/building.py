"""Writing to a store: new segments of letters, and the run's commit of them with its
deletions. A run holds the index's write lock (store.py), so no writer here takes Whoosh's."""

from __future__ import annotations

from dataclasses import dataclass, field
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


def pool_writer(store: Path) -> TermPoolWriter:
    # Segments as separate files: opening a compound segment copies each of its parts into
    # memory (Whoosh reads them through BytesIO), 40 ms a search on 20,000 letters.
    return TermPoolWriter(
        open_store_index(store), _lk=False, limitmb=WRITER_LIMIT_MB, compound=False
    )


@dataclass(frozen=True)
class Added:
    """Where a letter's documents went in a new segment, and its facet values' spellings."""

    first: int
    count: int
    labels: Labels = field(default_factory=dict)


class LetterFailed(Exception):
    """A letter that could not be indexed whole; `added` says what it left, to be dropped."""

    def __init__(self, reason: str, added: Added):
        super().__init__(reason)
        self.added = added


class SegmentBuilder:
    """One new segment of letters, written here or in a writer process."""

    def __init__(self, store: Path):
        self.store = store
        self.writer = pool_writer(store)

    def add(self, letter: Letter, key: str) -> Added:
        """Index `letter` under `key`. Raises LetterFailed."""
        first, labels = self.writer.docnum, {}
        try:
            for document in documents(letter, key):
                self.writer.add_document(**document)
                note_labels(labels, document)
        except Exception as exc:  # noqa: BLE001 - one letter's fault, reported as its own
            reason = f"cannot be indexed ({type(exc).__name__}: {exc})"
            raise LetterFailed(reason, Added(first, self.writer.docnum - first)) from None
        return Added(first, self.writer.docnum - first, labels)

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
