"""Whoosh's segment writer with a posting pool in columns, and field lengths in memory.

Whoosh pools every posting as a tuple, sorts them all when the segment is written, spills
sorted runs to disk whenever its memory estimate is reached and merges them posting by
posting; then, for every posting it writes, it reads the document's field length back from
the new segment's column file. Together that was over half of an indexing profile. Here the
pool keeps each field's postings as columns (term number, document, weight, value) in the
order added and sorts them by term with numpy (documents arrive in order, so a stable sort
by term is enough), spills runs of whole terms, the lengths are read once per field, and
each term's blocks are written in one pass. Writing the codec's files directly uses the
internals of Whoosh-Reloaded 2.7.5's W3 codec (pinned in pyproject.toml);
tests/test_writer.py checks every block, its statistics and every term's statistics against
Whoosh's own writer.

The writer also takes a document's postings from postings.py (one pass per text) and works
a document out whole before writing any of it.
"""

from __future__ import annotations

import heapq
import pickle
import uuid
import zlib
from array import array
from functools import lru_cache
from itertools import groupby, repeat
from operator import gt, itemgetter, sub
from pathlib import Path

import numpy as np
from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC, W3Codec, W3TermInfo
from whoosh.columns import TranslatingColumnReader
from whoosh.index import TOC
from whoosh.system import pack_int, pack_ushort
from whoosh.util.numeric import length_to_byte
from whoosh.writing import SegmentWriter

from ..fields import BY_NAME, Kind
from .postings import EMPTY, Postings, marks_postings, prose_postings
from .ranking import BYTE_TO_LENGTH, length_bytes, postings
from .schema import MARKS_OF
from .store import clean_store

# What a posting costs the pool, roughly, in bytes: its term number, document number and
# weight in arrays, its value in a list, with its share of the value bytes (a term's own
# entry is counted apart).
POSTING_BYTES = 80
TERM_BYTES = 200
# Blocks of fewer postings are written uncompressed.
COMPRESS_FROM = 4
# Postings a block holds at most (Whoosh's writer: 128). A query reads every block of its
# terms, with work for each; larger blocks made a phrase over 40,000 items 20% faster and
# the index 6% smaller. Whoosh reads blocks of any length.
BLOCK_POSTINGS = 512
# Whoosh pickles blocks with protocol 2, which has no opcode for bytes: each posting's
# value is pickled as a call to `codecs.encode` on a string, and unpickled by calling it.
# Protocol 5 has one, and pickles arrays as their bytes: a block of positions reads five
# times as fast. Any protocol reads back through `pickle.loads`, as Whoosh reads blocks.
BLOCK_PICKLE_PROTOCOL = 5


class FieldPool:
    """One field's postings in the order they were added, as columns, and its terms."""

    def __init__(self):
        self.term_numbers: dict[bytes, int] = {}
        self.terms = array("q")  # each posting's term, by number
        self.docs = array("q")
        self.weights = array("d")
        self.values: list[bytes] = []

    def add(self, docnum: int, postings: Postings) -> int:
        """Add a document's postings; how many of their terms were new."""
        numbers, known = self.term_numbers, len(self.term_numbers)
        self.terms.extend([numbers.setdefault(term, len(numbers)) for term in postings.terms])
        self.docs.extend(repeat(docnum, len(postings)))
        self.weights.extend(postings.weights)
        self.values.extend(postings.values)
        return len(numbers) - known

    def add_term(self, text: bytes, docs: np.ndarray, weights: np.ndarray, values) -> int:
        """Add one term's postings in documents `docs`, in order; 1 if the term is new."""
        numbers, known = self.term_numbers, len(self.term_numbers)
        self.terms.extend(repeat(numbers.setdefault(text, known), len(docs)))
        self.docs.extend(docs.tolist())
        self.weights.extend(weights.tolist())
        self.values.extend(values)
        return len(numbers) - known

    def sorted_terms(self):
        """(term, documents, weights, values) for each term in order, its postings in the
        order they were added."""
        texts = sorted(self.term_numbers)
        rank = np.empty(len(texts), dtype=np.int64)
        rank[[self.term_numbers[text] for text in texts]] = np.arange(len(texts))
        keys = rank[np.frombuffer(self.terms, dtype=np.int64)]
        order = np.argsort(keys, kind="stable")
        docs = np.frombuffer(self.docs, dtype=np.int64)[order]
        weights = np.frombuffer(self.weights, dtype=np.float64)[order]
        values = np.empty(len(self.values), dtype=object)
        values[:] = self.values
        values = values[order]
        ends = np.cumsum(np.bincount(keys, minlength=len(texts))).tolist()
        for text, start, end in zip(texts, [0, *ends], ends, strict=False):
            yield (
                text,
                docs[start:end].tolist(),
                weights[start:end].tolist(),
                values[start:end].tolist(),
            )


class TermPool:
    """Postings by field, spilled to disk as runs of whole terms past a memory limit."""

    def __init__(self, tempstore, limitmb: float):
        self.tempstore = tempstore
        self.limit = int(limitmb * 1024 * 1024)
        self.fields: dict[str, FieldPool] = {}
        self.size = 0
        self.runs: list[str] = []

    def add(self, fieldname: str, docnum: int, postings: Postings) -> None:
        """A document's postings in one field."""
        pool = self.fields.get(fieldname)
        if pool is None:
            pool = self.fields[fieldname] = FieldPool()
        self.grown(len(postings), pool.add(docnum, postings))

    def add_term(self, fieldname: str, text: bytes, docs, weights, values) -> None:
        """One term's postings in the documents `docs` (in order) of a segment merged in."""
        pool = self.fields.get(fieldname)
        if pool is None:
            pool = self.fields[fieldname] = FieldPool()
        self.grown(len(docs), pool.add_term(text, docs, weights, values))

    def grown(self, postings: int, new_terms: int) -> None:
        self.size += POSTING_BYTES * postings + TERM_BYTES * new_terms
        if self.size > self.limit:
            self.save()

    def held_terms(self):
        """(key, documents, weights, values) for each term held, in order."""
        for fieldname in sorted(self.fields):
            for text, *held in self.fields[fieldname].sorted_terms():
                yield ((fieldname, text), *held)

    def save(self) -> None:
        """Write the terms held so far, in order, as a run on disk."""
        if not self.fields:
            return
        name = f"{uuid.uuid4().hex}.terms"  # writer processes share the temporary folder
        with self.tempstore.create_file(name).raw_file() as f:
            for term in self.held_terms():
                pickle.dump(term, f, pickle.HIGHEST_PROTOCOL)
        self.runs.append(name)
        self.fields, self.size = {}, 0

    def read_run(self, name: str):
        with self.tempstore.open_file(name).raw_file() as f:
            while True:
                try:
                    yield pickle.load(f)
                except EOFError:
                    return

    def sorted_terms(self):
        """(key, documents, weights, values) for each term in order, its postings in
        document order."""
        for key, docs, weights, values in self.merged_terms():
            if any(map(gt, docs, docs[1:])):  # segments merged in may interleave
                order = sorted(range(len(docs)), key=docs.__getitem__)
                docs, weights, values = ([seq[i] for i in order] for seq in (docs, weights, values))
            yield key, docs, weights, values

    def merged_terms(self):
        if not self.runs:
            yield from self.held_terms()
            return
        self.save()
        merged = heapq.merge(*map(self.read_run, self.runs), key=itemgetter(0))
        for key, parts in groupby(merged, key=itemgetter(0)):
            parts = list(parts)
            yield (
                key,
                [doc for part in parts for doc in part[1]],
                [weight for part in parts for weight in part[2]],
                [value for part in parts for value in part[3]],
            )

    def cleanup(self) -> None:
        for name in self.runs:
            self.tempstore.delete_file(name)
        self.runs = []


def field_lengths(perdoc, fieldname: str) -> list[int]:
    """Each document's length of `fieldname` in a new segment, as Whoosh stores it (rounded
    through its length byte); 0 for a field without lengths."""
    held = length_bytes(perdoc, fieldname)
    if held is None:
        return [0] * perdoc.doc_count_all()
    return BYTE_TO_LENGTH[held].astype(np.int64).tolist()


def write_terms(fieldwriter, schema, perdoc, terms) -> None:
    """What Whoosh's `add_postings` does, a term at a time, into the codec's files."""
    current = None
    for (fieldname, text), docs, weights, values in terms:
        if fieldname != current:
            if current is not None:
                fieldwriter.finish_field()
            field = schema[fieldname]
            fieldwriter.start_field(fieldname, field)
            current, lengths = fieldname, field_lengths(perdoc, fieldname)
            fixed = field.format.fixed_value_size()
        terminfo = W3TermInfo()
        write_blocks(fieldwriter, terminfo, docs, weights, values, lengths, fixed)
        fieldwriter._tindex.add(pack_ushort(fieldwriter._fieldid) + text, terminfo.to_bytes())
    if current is not None:
        fieldwriter.finish_field()


def write_blocks(fieldwriter, terminfo, docs, weights, values, lengths, fixed) -> None:
    """A term's postings as Whoosh's W3 block writer writes them (its `_write_block`, for
    postings that are all at hand), with the term's statistics in `terminfo`, but pickled
    with BLOCK_PICKLE_PROTOCOL, the gaps between documents and the weights as the arrays
    Whoosh reads them into. A block of a few postings is left uncompressed: compressing it
    only made it longer (Whoosh means to skip compressing small blocks, but its check is
    overwritten) and slower to write and to read."""
    codec, size = fieldwriter._codec, fieldwriter._codec._blocklimit
    written = [WHOOSH3_HEADER_MAGIC]
    for start in range(0, len(docs), size):
        ids = docs[start : start + size]
        stored_weights = array("f", weights[start : start + size])  # as Whoosh keeps them
        gaps = array("I", (ids[0], *map(sub, ids[1:], ids[:-1])))
        if stored_weights.count(1.0) == len(ids):
            packed_weights = None
        elif stored_weights.count(stored_weights[0]) == len(ids):
            packed_weights = stored_weights[0]
        else:
            packed_weights = stored_weights
        if fixed == 0:
            packed_values = None
        elif fixed is None or fixed < 0:
            packed_values = tuple(filter(None, values[start : start + size]))
        else:
            packed_values = b"".join(values[start : start + size])
        data = pickle.dumps((gaps, packed_weights, packed_values), BLOCK_PICKLE_PROTOCOL)
        level = codec._compression if len(docs) - start >= COMPRESS_FROM else 0
        if level:
            data = zlib.compress(data, level)
        known = [length for length in map(lengths.__getitem__, ids) if length]
        shortest, longest = (min(known), max(known)) if known else (None, 0)
        top_weight = max(0, *weights[start : start + size])
        info = pickle.dumps(
            (
                len(ids),
                ids[-1],
                top_weight,
                level,
                length_to_byte(shortest),
                length_to_byte(longest),
            ),
            BLOCK_PICKLE_PROTOCOL,
        )
        last = start + size >= len(docs)
        written += (
            pack_int(-(len(info) + len(data)) if last else len(info) + len(data)),
            info,
            data,
        )
        # What W3TermInfo.add_block keeps of each block.
        terminfo._weight += sum(stored_weights)
        terminfo._df += len(ids)
        if terminfo._minlength is None:
            terminfo._minlength = shortest
        elif shortest is not None:
            terminfo._minlength = min(terminfo._minlength, shortest)
        terminfo._maxlength = max(terminfo._maxlength, longest)
        terminfo._maxweight = max(terminfo._maxweight, top_weight)
        if terminfo._minid is None:
            terminfo._minid = ids[0]
        terminfo._maxid = ids[-1]
    postings = b"".join(written)
    terminfo.set_extent(fieldwriter._postfile.tell(), len(postings))
    fieldwriter._postfile.write(postings)


class TermPoolWriter(SegmentWriter):
    def __init__(self, ix, limitmb: float = 128, blocklimit: int = BLOCK_POSTINGS, **kwargs):
        super().__init__(ix, limitmb=limitmb, codec=W3Codec(blocklimit=blocklimit), **kwargs)
        self.pool = TermPool(self._tempstorage, limitmb)
        # A letter's summary and other fields are in each of its items: a text's postings
        # are worked out once while it recurs. Short values (a date, a case, an outcome)
        # recur across letters too, and are kept for longer.
        self.prose_postings = lru_cache(maxsize=256)(prose_postings)
        self.marks_postings = lru_cache(maxsize=256)(marks_postings)
        self.value_postings = lru_cache(maxsize=4096)(self.indexed_value)
        self.before_toc = None  # what `commit_with` writes before the table of contents

    def postings(self, fieldname: str, value) -> Postings:
        if fieldname in MARKS_OF:
            return self.marks_postings(value)
        if BY_NAME[fieldname].kind is Kind.PROSE:
            return self.prose_postings(value)
        return self.value_postings(fieldname, value)

    def indexed_value(self, fieldname: str, value) -> Postings:
        return Postings.of(self.schema[fieldname].index(value))

    def add_document(self, **fields):
        # Whoosh's, without what the schema does not use (boosts, spelling fields, term
        # vectors), with the text fields' postings from `postings`, and everything worked
        # out before anything is written: a value that cannot be indexed leaves no trace
        # (Whoosh's leaves the postings of the fields before it). As in Whoosh's, a value
        # under `_stored_<field>` is stored in place of the field's, and None stores none.
        self._check_state()
        prepared = []
        for fieldname in sorted(name for name in fields if not name.startswith("_")):
            value = fields[fieldname]
            if value is None:
                continue
            field = self.schema[fieldname]
            postings = self.postings(fieldname, value) if field.indexed else EMPTY
            column = field.to_column_value(value) if field.column_type else None
            stored = fields.get(f"_stored_{fieldname}", value) if field.stored else None
            prepared.append((fieldname, field, stored, postings, column))
        perdoc, docnum = self.perdocwriter, self.docnum
        perdoc.start_doc(docnum)
        for fieldname, field, stored, postings, column in prepared:
            if postings:
                self.pool.add(fieldname, docnum, postings)
            length = sum(postings.frequencies) if field.scorable else 0
            perdoc.add_field(fieldname, field, stored, length)
            if field.column_type:
                perdoc.add_column_value(fieldname, field.column_type, column)
        perdoc.finish_doc()
        self._added = True
        self.docnum += 1

    # Merging a segment into this one: Whoosh's steps, in arrays. Whoosh's reads every
    # document's length of every field through its column, and adds every posting to the
    # pool one at a time: merging 22,598 items took 76 s, five times their build.
    def write_per_doc(self, fieldnames, reader) -> np.ndarray:
        """Whoosh's: the stored fields, lengths and column values of the live documents of
        `reader`, added as new documents. Each old document's new number (-1: deleted)."""
        schema, perdoc = self.schema, self.perdocwriter
        count = reader.doc_count_all()
        docmap = np.full(count, -1, dtype=np.int64)
        names = sorted(fieldnames)
        lengths = {
            name: BYTE_TO_LENGTH[held].astype(np.int64).tolist()
            if (held := length_bytes(reader._perdoc, name)) is not None
            else None
            for name in names
        }
        columns = {
            name: reader.column_reader(name, schema[name].column_type)
            for name in names
            if schema[name].column_type and reader.has_column(name)
        }
        for name, column in columns.items():
            if isinstance(column, TranslatingColumnReader):
                columns[name] = column.raw_column()
        for docnum, stored in reader.iter_docs():
            docmap[docnum] = self.docnum
            perdoc.start_doc(self.docnum)
            for name in names:
                held = lengths[name]
                perdoc.add_field(name, schema[name], stored.get(name), held[docnum] if held else 0)
                if name in columns:
                    perdoc.add_column_value(name, schema[name].column_type, columns[name][docnum])
            perdoc.finish_doc()
            self.docnum += 1
        return docmap

    def add_postings_to_pool(self, reader, startdoc, docmap):
        """Whoosh's: the postings of the live documents of `reader`, a term at a time, at
        their new numbers (`write_per_doc`)."""
        for fieldname in reader.indexed_field_names():
            if fieldname not in self.schema:
                continue
            for text in reader.lexicon(fieldname):
                docs, weights, values = postings(reader.postings(fieldname, text), values=True)
                moved = docmap[docs]
                kept = moved >= 0
                if not kept.any():  # only in deleted documents: the merged segment lacks it
                    continue
                self.pool.add_term(
                    fieldname, text, moved[kept], weights[kept], values[kept].tolist()
                )

    def commit_with(self, segments, before_toc) -> None:
        """Whoosh's commit, with `segments` finished by other writers added as they are (they
        are the size of a run: not for merging into this one), and `before_toc(generation)`
        called before the table of contents makes the generation visible. The writer's
        `mergetype` chooses the segments to merge; a segment left with no live document (all
        its letters removed, or read again) is dropped."""
        self._check_state()
        self.before_toc = before_toc
        final = self._merge_segments(None, None, None)
        if self._added:
            final.append(self._finalize_segment())
        else:
            self._close_segment()
        self._commit_toc([segment for segment in final + segments if segment.doc_count()])
        self._finish()

    def _commit_toc(self, segments):
        # Whoosh's, keeping the files of every generation a reader may be reading, where
        # Whoosh deletes every file the new generation does not use (store.py).
        if self.before_toc:
            self.before_toc(self.generation)
        toc = TOC(self.schema, segments, self.generation)
        toc.write(self.storage, self.indexname)
        clean_store(self.storage, Path(self.storage.folder), self.generation, segments)

    def _flush_segment(self):
        # Whoosh's, with the postings written a term at a time.
        self.perdocwriter.close()
        perdoc = self.per_document_reader()
        write_terms(self.fieldwriter, self.schema, perdoc, self.pool.sorted_terms())
        self.fieldwriter.close()
        perdoc.close()
