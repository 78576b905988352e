"""The term pool writer (writer.py) writes the segment Whoosh's own writer writes: every
term with the same postings, the same field lengths and the same stored fields, the same
term statistics and the same blocks with the same block statistics, including when its pool
spills runs to disk and merges them."""

import io
import pickle
import struct
import zlib
from array import array

import pytest
from whoosh import index as whoosh_index
from whoosh.codec.whoosh3 import W3Codec
from whoosh.writing import SegmentWriter

from imr_search.engine.documents import documents
from imr_search.engine.schema import build_schema
from imr_search.engine.writer import COMPRESS_FROM, TermPool, TermPoolWriter
from imr_search.indexer import letter_key


def build(folder, letters, make_writer):
    folder.mkdir()
    ix = whoosh_index.create_in(str(folder), build_schema(), indexname="imr")
    writer = make_writer(ix)
    for letter in letters:
        for document in documents(letter, letter_key(letter)):
            writer.add_document(**document)
    writer.commit()
    return ix


def posting_blocks(folder, segment: str = "*") -> list[tuple]:
    """Every block of the postings file, in order: its statistics, its compression level and
    its unpickled data. (The bytes themselves differ: the pickle protocol is another, and a
    value shared by several postings is pickled once.)"""
    (path,) = folder.glob(f"{segment}.pst")
    data, at, blocks = path.read_bytes(), 0, []
    while at < len(data):
        if data[at : at + 4] == b"W3Bl":  # a term's postings begin
            at += 4
        (length,) = struct.unpack("!i", data[at : at + 4])
        block = io.BytesIO(data[at + 4 : at + 4 + abs(length)])
        count, last, top_weight, compression, *lengths = pickle.load(block)
        packed = block.read()
        unpacked = pickle.loads(zlib.decompress(packed) if compression else packed)
        # Gaps and weights as Whoosh reads them: tuples, or arrays it iterates.
        read = tuple(tuple(part) if isinstance(part, array) else part for part in unpacked)
        blocks.append(((count, last, top_weight, *lengths), compression, read))
        at += 4 + abs(length)
    return blocks


def term_statistics(ix) -> dict:
    """Each term's statistics as the term table holds them, but where its postings are."""
    with ix.reader() as reader:
        return {
            (fieldname, text): {
                name: value
                for name, value in vars(reader.term_info(fieldname, text)).items()
                if name not in ("_offset", "_length")
            }
            for fieldname, text in reader.all_terms()
        }


def contents(ix) -> tuple[dict, dict, list]:
    """Every term's postings, every document's field lengths, every stored document."""
    with ix.reader() as reader:
        postings = {}
        for fieldname, text in reader.all_terms():
            matcher = reader.postings(fieldname, text)
            found = []
            while matcher.is_active():
                found.append((matcher.id(), matcher.weight(), matcher.value()))
                matcher.next()
            postings[(fieldname, text)] = found
        scored = [name for name, field in reader.schema.items() if field.scorable]
        lengths = {
            (doc, name): reader.doc_field_length(doc, name)
            for doc in reader.all_doc_ids()
            for name in scored
        }
        return postings, lengths, list(reader.all_stored_fields())


# Blocks this small give the sample letters' common terms several blocks each (the writer's
# own, BLOCK_POSTINGS, are larger than the corpus: tests/test_ranking.py reads those).
BLOCK = 8


@pytest.fixture(scope="module")
def whoosh_built(letters, tmp_path_factory):
    folder = tmp_path_factory.mktemp("whoosh") / "ix"
    codec = W3Codec(blocklimit=BLOCK)
    built = build(folder, letters, lambda ix: SegmentWriter(ix, compound=False, codec=codec))
    return contents(built), posting_blocks(folder), term_statistics(built)


@pytest.mark.parametrize("limitmb", [128, 0.05])  # in memory; spilled to ~100 runs
def test_same_segment_as_whoosh_writes(letters, whoosh_built, tmp_path, limitmb, monkeypatch):
    runs = []
    save = TermPool.save
    monkeypatch.setattr(TermPool, "save", lambda pool: (save(pool), runs.append(1)))
    ix = build(
        tmp_path / "ix",
        letters,
        lambda ix: TermPoolWriter(ix, limitmb=limitmb, blocklimit=BLOCK, compound=False),
    )
    postings, lengths, stored = contents(ix)
    (expected_postings, expected_lengths, expected_stored), blocks, statistics = whoosh_built
    assert postings.keys() == expected_postings.keys()
    assert postings == expected_postings
    assert lengths == expected_lengths
    assert stored == expected_stored
    assert (len(runs) > 50) == (limitmb < 1)
    written = posting_blocks(tmp_path / "ix")
    assert [(info, data) for info, _, data in written] == [(info, data) for info, _, data in blocks]
    # Whoosh compresses every block; a block of a few postings is better left as it is.
    assert {(info[0] >= COMPRESS_FROM, level) for info, level, _ in written} == {
        (True, 3),
        (False, 0),
    }
    assert term_statistics(ix) == statistics
    assert max(held["_df"] for held in statistics.values()) > 3 * BLOCK  # terms of many blocks


def segments_with_deletions(folder, letters):
    """The letters in three segments written by Whoosh's own writer, a few documents of
    each deleted (one term's only postings among them)."""
    ix = build(folder, [], lambda ix: SegmentWriter(ix, codec=W3Codec(blocklimit=BLOCK)))
    third = len(letters) // 3
    for part in (letters[:third], letters[third : 2 * third], letters[2 * third :]):
        writer = SegmentWriter(ix, compound=False, codec=W3Codec(blocklimit=BLOCK))
        for letter in part:
            for document in documents(letter, letter_key(letter)):
                writer.add_document(**document)
        writer.commit(merge=False)
    writer = ix.writer()
    for doc in (0, 1, 7, 30, 31, 50, 71):
        writer.delete_document(doc)
    writer.commit(merge=False)
    return ix


def test_merging_writes_what_whoosh_merges(letters, tmp_path):
    """Segments with deleted documents merged into one: by Whoosh's own writer, and by the
    term pool writer's merge in arrays; the same segment."""
    expected = segments_with_deletions(tmp_path / "whoosh", letters)
    ours = segments_with_deletions(tmp_path / "ours", letters)
    assert len(ours.reader().leaf_readers()) == 3 and ours.reader().has_deletions()
    SegmentWriter(expected, codec=W3Codec(blocklimit=BLOCK), compound=False).commit(optimize=True)
    TermPoolWriter(ours, blocklimit=BLOCK, compound=False).commit(optimize=True)
    assert len(ours.reader().leaf_readers()) == 1 and not ours.reader().has_deletions()
    assert contents(ours) == contents(expected)
    assert term_statistics(ours) == term_statistics(expected)
    written, merged = (
        posting_blocks(tmp_path / name, ix.reader().segment().segment_id())
        for name, ix in (("ours", ours), ("whoosh", expected))
    )
    assert [(info, data) for info, _, data in written] == [(info, data) for info, _, data in merged]
