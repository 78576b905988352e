"""The term pool writer (writer.py) writes the segment Whoosh's own writer writes: every
term with the same postings, the same field lengths and the same stored fields, the term
table and postings file byte for byte, including when its pool spills runs to disk and
merges them."""

import pytest
from whoosh import index as whoosh_index
from whoosh.writing import SegmentWriter

from imr_search.indexer import documents, letter_key
from imr_search.schema import build_schema
from imr_search.writer import TermPool, TermPoolWriter


def build(folder, letters, make_writer):
    folder.mkdir()
    ix = whoosh_index.create_in(str(folder), build_schema(), indexname="imr")
    writer = make_writer(ix)
    for letter in letters:
        for document in documents(letter, letter_key(letter)):
            writer.add_document(**document)
    writer.commit()
    return ix


def segment_files(folder) -> dict[str, bytes]:
    """The bytes of the segment's term table and postings, by extension."""
    return {
        path.suffix: path.read_bytes()
        for path in folder.glob("*.*")
        if path.suffix in (".trm", ".pst")
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


@pytest.fixture(scope="module")
def whoosh_built(letters, tmp_path_factory):
    folder = tmp_path_factory.mktemp("whoosh") / "ix"
    built = build(folder, letters, lambda ix: SegmentWriter(ix, compound=False))
    return contents(built), segment_files(folder)


@pytest.mark.parametrize("limitmb", [128, 0.05])  # in memory; spilled to ~100 runs
def test_same_segment_as_whoosh_writes(letters, whoosh_built, tmp_path, limitmb, monkeypatch):
    runs = []
    save = TermPool.save
    monkeypatch.setattr(TermPool, "save", lambda pool: (save(pool), runs.append(1)))
    ix = build(
        tmp_path / "ix", letters, lambda ix: TermPoolWriter(ix, limitmb=limitmb, compound=False)
    )
    postings, lengths, stored = contents(ix)
    (expected_postings, expected_lengths, expected_stored), expected_files = whoosh_built
    assert postings.keys() == expected_postings.keys()
    assert postings == expected_postings
    assert lengths == expected_lengths
    assert stored == expected_stored
    assert (len(runs) > 50) == (limitmb < 1)
    # Blocks, their statistics and the term table: the very bytes Whoosh writes.
    assert expected_files.keys() == {".trm", ".pst"}
    assert segment_files(tmp_path / "ix") == expected_files
