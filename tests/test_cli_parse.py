"""`imr-search parse` on good and bad input, through the real command line."""

import json
import shutil

import pytest
from typer.testing import CliRunner

from imr_search.cli import app
from imr_search.letters.parse import ITEM_WITHOUT_OUTCOME

from .conftest import CORPUS, GOLDEN, truth_rows
from .oracles import truth_row

GOOD_TEXT = GOLDEN / "real" / "CM16-0213037.txt"
GOOD_PDF = CORPUS / "CM17-0019011.pdf"


def run(*args: str):
    result = CliRunner().invoke(app, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def letters_out(result) -> list[dict]:
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_parse_folder_as_json_lines():
    result = run("parse", str(CORPUS))
    assert result.exit_code == 0, result.stderr
    letters = letters_out(result)
    assert sorted(map(str, (letter["case"] for letter in letters))) == sorted(
        map(str, (row["case"] for row in truth_rows()))
    )
    by_case = {letter["case"]: letter for letter in letters}
    flexeril = by_case["CM16-0230651"]["items"][8]
    assert flexeril["item"] == truth_row("CM16-0230651")["items"][8]["item"] == "Flexeril 10mg #60"
    assert flexeril["drug"] == "cyclobenzaprine"
    assert flexeril["rationale"].startswith("The California MTUS")
    assert flexeril["maximus_guideline"]["sources"] == ["MTUS"]
    assert result.stderr == ""


def test_parse_table():
    result = run("parse", "--format", "table", str(GOOD_PDF))
    assert result.exit_code == 0
    assert "CM17-0019011" in result.stdout
    assert "Naproxen 500mg #60" in result.stdout
    assert "Overturned" in result.stdout


def make_bad_inputs(folder):
    """One file of each kind of bad input, named for what is wrong with it."""
    (folder / "empty.txt").write_bytes(b"")
    (folder / "binary.txt").write_bytes(bytes(range(256)) * 8)
    (folder / "invoice.txt").write_text("Invoice 2231\nTotal due: $120.00\n")
    pdf = GOOD_PDF.read_bytes()
    (folder / "truncated.pdf").write_bytes(pdf[: len(pdf) // 2])
    shutil.copy(GOLDEN / "encrypted.pdf", folder / "encrypted.pdf")
    with open(folder / "huge.txt", "wb") as f:
        f.truncate(50 * 1024 * 1024)
    (folder / "notapdf.pdf").write_text("hello")


BAD_MESSAGES = {
    "empty.txt": "empty file",
    "binary.txt": "binary file, not text",
    "invoice.txt": "not an IMR determination letter",
    "truncated.pdf": "damaged or truncated PDF",
    "encrypted.pdf": "encrypted PDF (password required)",
    "huge.txt": "file too large for a letter (52 MB",
    "notapdf.pdf": "not a PDF file",
}


@pytest.mark.parametrize("bad_name", sorted(BAD_MESSAGES))
def test_bad_input_named_on_stderr_and_good_files_still_parsed(tmp_path, bad_name):
    make_bad_inputs(tmp_path)
    bad = tmp_path / bad_name
    result = run("parse", str(GOOD_TEXT), str(bad), str(GOOD_PDF))
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"imr-search: {bad}: {BAD_MESSAGES[bad_name]}")
    assert "Traceback" not in result.output
    assert [letter["case"] for letter in letters_out(result)] == ["CM16-0213037", "CM17-0019011"]


def test_folder_with_every_bad_input_reports_each_once(tmp_path):
    make_bad_inputs(tmp_path)
    shutil.copy(GOOD_TEXT, tmp_path / "good.txt")
    result = run("parse", str(tmp_path))
    assert result.exit_code == 2
    reported = sorted(
        line.split(": ")[1].rsplit("/", 1)[-1] for line in result.stderr.strip().splitlines()
    )
    assert reported == sorted(BAD_MESSAGES)
    assert [letter["case"] for letter in letters_out(result)] == ["CM16-0213037"]


def test_non_utf8_letter_is_read_with_a_warning(tmp_path):
    text = GOOD_TEXT.read_text(encoding="utf-8").replace("claimant", "claimant’s")
    latin = tmp_path / "cp1252.txt"
    latin.write_bytes(text.encode("cp1252"))
    result = run("parse", str(latin))
    assert result.exit_code == 0
    assert result.stderr.strip() == f"imr-search: {latin}: warning: not valid UTF-8; read as cp1252"
    (letter,) = letters_out(result)
    assert letter["case"] == "CM16-0213037"
    assert "claimant’s" in letter["items"][0]["rationale"]


def test_missing_file(tmp_path):
    result = run("parse", str(tmp_path / "nope.txt"), str(GOOD_TEXT))
    assert result.exit_code == 2
    assert result.stderr.strip() == f"imr-search: {tmp_path / 'nope.txt'}: no such file"
    assert len(letters_out(result)) == 1


def test_check_reports_nothing_on_the_sample_corpus():
    result = run("parse", "--check", str(CORPUS))
    assert result.exit_code == 0
    assert result.stdout == "25 letters checked, none suspicious\n"


UNDECIDED_REVIEW = (
    "MEDICAL PROFESSIONAL REVIEW\nCM13-0000007\nISSUE AT DISPUTE:\nLumbar epidural steroid"
    " injection\nCASE SUMMARY:\nA 41 year old female.\nMEDICAL REVIEWER QUALIFICATIONS:\n"
    "The reviewer is Board Certified in Anesthesiology and is licensed to practice in"
    " California.\n"
)


def plant_problems(folder):
    """One letter of each problem, named for it, made from a good letter's text."""
    good = GOOD_TEXT.read_text(encoding="utf-8")
    issues = "IMR ISSUES, DECISIONS AND RATIONALES\n"
    (folder / "no-items.txt").write_text(good[: good.index(issues) + len(issues)])
    (folder / "no-outcome.txt").write_text(UNDECIDED_REVIEW)
    heading = "MRI of the right shoulder without contrast: Upheld"
    swallowed = "the text of a page run on into the heading with no full stop\n" * 3
    (folder / "long-heading.txt").write_text(good.replace(heading, swallowed + heading))
    # The injury date (the header's first 10/13/2016) after the UR denial (11/03/2016, truth.jsonl).
    (folder / "dates.txt").write_text(good.replace("10/13/2016", "11/30/2016", 1))
    (folder / "invoice.txt").write_text("Invoice 2231\nTotal due: $120.00\n")
    (folder / "empty.txt").write_bytes(b"")
    shutil.copy(GOOD_TEXT, folder / "good.txt")


FIRST_HEADING = "MRI of the right shoulder without contrast: Upheld"
SECOND_HEADING = "MRI of the cervical spine without contrast: Upheld"
LOST_ITEM = f"item without an outcome ({ITEM_WITHOUT_OUTCOME})"


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        # The first of the letter's two items loses its outcome: it is read as no item.
        ((FIRST_HEADING, FIRST_HEADING.removesuffix(" Upheld")), LOST_ITEM),
        # The second loses it: its body would be taken for the first item's.
        ((SECOND_HEADING, SECOND_HEADING.removesuffix(" Upheld")), LOST_ITEM),
        (
            ("CLINICAL CASE SUMMARY\n", ""),
            "layout not recognised (no CLINICAL CASE SUMMARY section)",
        ),
    ],
    ids=["first-item-outcome-gone", "second-item-outcome-gone", "summary-heading-gone"],
)
def test_check_reports_what_the_current_layout_loses(tmp_path, edit, expected):
    good = GOOD_TEXT.read_text(encoding="utf-8")
    assert good.count(edit[0]) == 1
    (tmp_path / "edited.txt").write_text(good.replace(*edit))
    result = run("parse", "--check", str(tmp_path))
    assert result.exit_code == 2
    assert result.stdout.splitlines()[0] == f"{tmp_path / 'edited.txt'}: {expected}"


def test_check_reports_each_planted_problem(tmp_path):
    plant_problems(tmp_path)
    result = run("parse", "--check", str(tmp_path))
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    lines = result.stdout.splitlines()
    assert lines == [
        f"{tmp_path / 'dates.txt'}: header dates out of order (injury_date 2016-11-30,"
        " ur_denial_date 2016-11-03, application_received 2016-11-03, date_assigned"
        " 2016-11-09, decision_date 2016-12-09)",
        f"{tmp_path / 'empty.txt'}: file could not be read (empty file)",
        f"{tmp_path / 'invoice.txt'}: layout not recognised",
        f"{tmp_path / 'long-heading.txt'}: item heading longer than any real one (item 1:"
        " 225 characters)",  # 3 lines of 60, 3 spaces, the 42 of the heading
        f"{tmp_path / 'no-items.txt'}: no items",
        f"{tmp_path / 'no-outcome.txt'}: item without an outcome (item 1: Lumbar epidural"
        " steroid injection)",
        "7 letters checked, 6 suspicious",
        "  file could not be read: 1",
        "  layout not recognised: 1",
        "  no items: 1",
        "  item without an outcome: 1",
        "  item heading longer than any real one: 1",
        "  header dates out of order: 1",
    ]
