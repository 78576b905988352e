"""Facet counts and ranges over arrays: each segment's values of a field, one row of value
numbers per document, kept on disk beside the index and read with numpy.

Whoosh's own overlapping facets rebuild a document -> values list from every posting of the
field at each query (most of a small query's time, measured in benchmarks/run.py). A
segment never changes once written (deletions only hide documents, and a query never
matches a hidden one), so its table is built once, when the segment first appears, and stays
valid as long as the segment does.
"""

from __future__ import annotations

import bisect
import json
import os
import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
from whoosh import query as wq
from whoosh.matching import ListMatcher, NullMatcher
from whoosh.util.times import datetime_to_long

from ..fields import DATE_FIELDS, FACETS, NUMERIC_FIELDS

CACHE_FOLDER = "facets"
NO_VALUE_ID = -1


@dataclass(frozen=True)
class SegmentFacet:
    """One facet field of one segment: `rows[doc]` holds the numbers of the document's
    values in `values`, first, then -1s to the table's width (all -1 for a document
    without one)."""

    values: list
    rows: np.ndarray

    def count(self, docs: np.ndarray) -> dict:
        """value -> how many of `docs` (segment document numbers) hold it; None for none."""
        if not len(docs):
            return {}
        chosen = self.rows[docs]
        # One tally of every cell, -1 shifted to 0 (no copy of the cells that hold values).
        tally = np.bincount(chosen.ravel() + 1, minlength=len(self.values) + 1)
        counts = {self.values[i - 1]: int(tally[i]) for i in np.flatnonzero(tally[1:]) + 1}
        without = int(np.count_nonzero(chosen[:, 0] == NO_VALUE_ID))  # (values come first)
        if without:
            counts[None] = without
        return counts


def build_segment_facet(reader, name: str) -> SegmentFacet:
    """From the postings of each of the field's values (full-precision terms only)."""
    field = reader.schema[name]
    held: list[list[int]] = [[] for _ in range(reader.doc_count_all())]
    values = []
    for number, encoded in enumerate(field.sortable_terms(reader, name)):
        value = field.from_bytes(encoded)
        # Dates as Whoosh's sortable numbers (microseconds), in order, for ranges.
        values.append(datetime_to_long(value) if isinstance(value, datetime) else value)
        for doc in reader.postings(name, encoded).all_ids():
            held[doc].append(number)
    width = max((len(row) for row in held), default=0) or 1
    rows = np.full((len(held), width), NO_VALUE_ID, dtype=np.int32)
    for doc, numbers in enumerate(held):
        rows[doc, : len(numbers)] = numbers
    return SegmentFacet(values, rows)


def cache_paths(index_dir: Path, segment_id: str, name: str) -> tuple[Path, Path]:
    """Where a segment's table for `name` is kept: its rows and its values."""
    folder = index_dir / CACHE_FOLDER
    return folder / f"{segment_id}.{name}.npy", folder / f"{segment_id}.{name}.json"


def segment_facet(index_dir: Path, reader, name: str) -> SegmentFacet:
    """The segment's table for `name`, from the cache, built and saved when missing."""
    rows_path, values_path = cache_paths(index_dir, reader.segment().segment_id(), name)
    try:
        return SegmentFacet(json.loads(values_path.read_text(encoding="utf-8")), np.load(rows_path))
    except (OSError, ValueError):
        pass
    built = build_segment_facet(reader, name)
    try:
        rows_path.parent.mkdir(exist_ok=True)
        save_atomically(rows_path, lambda f: np.save(f, built.rows), binary=True)
        save_atomically(values_path, lambda f: json.dump(built.values, f), binary=False)
    except OSError:
        pass  # a read-only index still counts, only slower
    return built


def save_atomically(path: Path, write, binary: bool) -> None:
    """`write(f)` to a temporary file of this process and thread, on disk before it is
    renamed to `path`: a reader finds the whole file or none, after a crash too."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    with open(temporary, "wb" if binary else "w", encoding=None if binary else "utf-8") as f:
        write(f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(temporary, path)


def by_segment(searcher, docnums: np.ndarray):
    """(segment reader, its first document number, `docnums` within it as its own numbers)
    for each segment holding some of `docnums` (the searcher's document numbers)."""
    for reader, offset, at in segment_places(searcher, docnums):
        yield reader, offset, docnums[at] - offset


def segment_places(searcher, docnums: np.ndarray):
    """(segment reader, its first document number, the places in `docnums` of its
    documents) for each segment holding some of `docnums`."""
    leaves = searcher.reader().leaf_readers()
    offsets = np.array([offset for _, offset in leaves])
    segment_of = np.searchsorted(offsets, docnums, side="right") - 1
    for number, (reader, offset) in enumerate(leaves):
        at = np.flatnonzero(segment_of == number)
        if len(at):
            yield reader, offset, at


def holding(index_dir: Path, searcher, docnums: np.ndarray, name: str, wanted) -> np.ndarray:
    """Which of `docnums` hold a value of `name` for which `wanted(value)` is true
    (`wanted(None)` for those holding none), as a boolean array in their order."""
    kept = np.zeros(len(docnums), dtype=bool)
    for reader, offset, at in segment_places(searcher, docnums):
        table = segment_facet(index_dir, reader, name)
        rows = table.rows[docnums[at] - offset]
        chosen = [number for number, value in enumerate(table.values) if wanted(value)]
        found = np.isin(rows, chosen).any(axis=1)
        if wanted(None):
            found |= (rows == NO_VALUE_ID).all(axis=1)
        kept[at] = found
    return kept


def facet_counts(index_dir: Path, searcher, docnums: np.ndarray, names) -> dict[str, dict]:
    """field -> value -> how many of `docnums` (the searcher's document numbers) hold it."""
    counts: dict[str, dict] = {name: {} for name in names}
    for reader, _, docs in by_segment(searcher, docnums):
        for name in names:
            for value, n in segment_facet(index_dir, reader, name).count(docs).items():
                counts[name][value] = counts[name].get(value, 0) + n
    return counts


def docs_by_value(index_dir: Path, searcher, docnums: np.ndarray, name: str) -> dict:
    """value -> the set of `docnums` (the searcher's document numbers) holding it; None for
    those holding none."""
    grouped: dict = {}
    for reader, offset, docs in by_segment(searcher, docnums):
        table = segment_facet(index_dir, reader, name)
        rows = table.rows[docs]
        for value_id in np.unique(rows[rows != NO_VALUE_ID]):
            held = docs[(rows == value_id).any(axis=1)] + offset
            grouped.setdefault(table.values[value_id], set()).update(held.tolist())
        without = docs[(rows == NO_VALUE_ID).all(axis=1)] + offset
        if len(without):
            grouped.setdefault(None, set()).update(without.tolist())
    return grouped


def prepare(index_dir: Path, searcher) -> None:
    """Build the tables of new segments now, so that no query waits for them."""
    for reader, _ in searcher.reader().leaf_readers():
        if reader.doc_count_all():  # an index of no letters: no segment
            prepare_segment(index_dir, reader)


def prepare_segment(index_dir: Path, reader) -> None:
    """Build a segment's tables, where missing."""
    for name in (*FACETS, *RANGE_FIELDS):
        segment_facet(index_dir, reader, name)


# ---------------------------------------------------------------- ranges

# Single-valued dates and numbers a range query can read from the tables instead of
# walking Whoosh's numeric terms: `injured:<2014` reads ~700 day terms at this index's
# precision, a union of 700 posting lists (over a second on 20,000 letters).
RANGE_FIELDS = (*DATE_FIELDS, *NUMERIC_FIELDS)


class TableRange(wq.Query):
    """A numeric or date range, matched from a segment's value table with numpy. `start`
    and `end` are Whoosh's sortable numbers (ints; microseconds for dates), None for open."""

    def __init__(self, index_dir: Path, fieldname: str, start, end, boost: float = 1.0):
        self.index_dir = index_dir
        self.fieldname = fieldname
        self.start = start
        self.end = end
        self.boost = boost

    def __eq__(self, other):
        return type(other) is type(self) and (self.fieldname, self.start, self.end) == (
            other.fieldname,
            other.start,
            other.end,
        )

    def __hash__(self):
        return hash((type(self), self.fieldname, self.start, self.end))

    def __str__(self):
        return f"{self.fieldname}:[{self.start or ''} TO {self.end or ''}]"

    def estimate_size(self, ixreader):
        return ixreader.doc_count()

    def docs(self, reader) -> np.ndarray:
        """The segment's live documents in the range, in order."""
        table = segment_facet(self.index_dir, reader, self.fieldname)
        first = 0 if self.start is None else bisect.bisect_left(table.values, self.start)
        last = (
            len(table.values) if self.end is None else bisect.bisect_right(table.values, self.end)
        )
        held = table.rows[:, 0]
        docs = np.flatnonzero((held >= first) & (held < last))
        if reader.has_deletions():
            docs = docs[~np.isin(docs, list(reader.deleted_docs_set))]
        return docs.astype(np.int64)

    def matcher(self, searcher, context=None):
        docs = self.docs(searcher.reader())
        if not len(docs):
            return NullMatcher()
        return ListMatcher(docs.tolist(), all_weights=self.boost)


def with_table_ranges(parsed: wq.Query, index_dir: Path) -> wq.Query:
    """`parsed` with each numeric or date range on a table field read from the tables."""

    def swap(part):
        if isinstance(part, wq.NumericRange) and part.fieldname in RANGE_FIELDS:
            start = part.start if part.start is None or not part.startexcl else part.start + 1
            end = part.end if part.end is None or not part.endexcl else part.end - 1
            return TableRange(index_dir, part.fieldname, start, end, part.boost)
        return part

    return parsed.accept(swap)
