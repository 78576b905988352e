"""Every sample letter, in every shape it reaches a user, against its truth row."""

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from imr_search.letters.files import read_letter

from .conftest import CORPUS, GOLDEN, truth_rows

ITEM_KEYS = ("item", "outcome", "original_request", "authorized")
EXTRACTED_SHAPES = ("layout", "raw", "pdfminer", "pymupdf")


def with_crlf(text: str) -> str:
    return text.replace("\n", "\r\n")


def double_spaced(text: str) -> str:
    """A blank line after every line, as the seed letters are written."""
    return text.replace("\n", "\n\n")


def shapes(row: dict) -> list[tuple[str, Path, Callable[[str], str] | None]]:
    """(shape, file, change to its text) for every shape of one truth row's letter: the
    file as it is, the PDF, the other extractors' texts, and the text with CRLF line ends
    and double-spaced (the seeds are double-spaced already)."""
    text = GOLDEN / row["file"]
    found = [("text", text, None), ("crlf", text, with_crlf)]
    if row["file"].startswith("real/"):
        found.append(("double-spaced", text, double_spaced))
        found.append(("pdf", CORPUS / f"{text.stem}.pdf", None))
        found += [(s, GOLDEN / "variants" / f"{text.stem}.{s}.txt", None) for s in EXTRACTED_SHAPES]
    else:
        found.append(("corpus", CORPUS / text.name, None))
    return found


CASES = [(row, *shape) for row in truth_rows() for shape in shapes(row)]


def test_every_shape_is_covered():
    real = [row for row in truth_rows() if row["file"].startswith("real/")]
    assert len(real) == 20 and len(truth_rows()) == 25
    for shape in EXTRACTED_SHAPES:
        assert sum(path.exists() for _, name, path, _ in CASES if name == shape) == len(real)
    corpus = sorted(path.name for path in CORPUS.iterdir())
    assert len(truth_rows()) == len(corpus)  # a truth row for every letter of the corpus
    assert sorted(path.name for _, _, path, _ in CASES if path.parent == CORPUS) == corpus


@pytest.mark.parametrize(
    ("row", "shape", "path", "change"),
    CASES,
    ids=[f"{Path(row['file']).stem}-{shape}" for row, shape, _, _ in CASES],
)
def test_letter_matches_truth(tmp_path, row, shape, path, change):
    if change:
        changed = tmp_path / path.name
        changed.write_bytes(change(path.read_text(encoding="utf-8")).encode("utf-8"))
        path = changed
    got = read_letter(path).to_dict()
    for key, expected in row.items():
        if key == "file":
            continue
        if key == "items":
            items = [{k: item[k] for k in ITEM_KEYS if k in item} for item in got["items"]]
            assert items == expected
        else:
            assert got[key] == expected, key
    assert got["warnings"] == []


def prose(text: str) -> str:
    # pdftotext drops a line-end hyphen ("10-30-" + "2016" -> "10-302016"); compare prose
    # without hyphens and spaces so that only that difference is forgiven.
    return re.sub(r"[\s-]", "", text)


@pytest.mark.parametrize("text_path", sorted((GOLDEN / "real").glob("*.txt")), ids=lambda p: p.stem)
def test_pdf_parses_to_the_same_record_as_its_pdftotext_text(text_path):
    from_text = read_letter(text_path).to_dict()
    from_pdf = read_letter(CORPUS / f"{text_path.stem}.pdf").to_dict()
    for record in (from_text, from_pdf):
        record.pop("path")
        record["summary"] = prose(record["summary"])
        for item in record["items"]:
            item["rationale"] = prose(item["rationale"])
    assert from_pdf == from_text


def test_older_format_2013_letter():
    letter = read_letter(GOLDEN / "older-format" / "2013-letter-excerpt.txt")
    assert [(i.item, i.outcome) for i in letter.items] == [
        ("a 28 day functional restoration program", "Upheld"),
        ("a 6 month follow-up aftercare program", "Upheld"),
    ]
    assert letter.decision_date.isoformat() == "2013-09-26"
    assert letter.application_received.isoformat() == "2013-09-06"
    assert letter.ur_denial_date.isoformat() == "2013-08-30"
    assert letter.injury_date.isoformat() == "2001-08-28"
    assert letter.specialties == ("Occupational Medicine",)
    assert letter.license_states == ("California",)
    assert (letter.age, letter.sex) == (44, "female")
    assert all(item.category == "program" for item in letter.items)
