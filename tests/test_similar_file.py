"""`similar --file`: a document that is not in the index (an IMR letter held out of it, as
the state's PDF or as text, or a UR denial written here) finds first a decision about the
same treatment. What "the same treatment" is comes from the items' text by the oracle's
rules (kind of treatment; for a medication, the same drug or class), not from the index."""

import json
import shutil

import pytest
from typer.testing import CliRunner

from imr_search.cli import app
from imr_search.indexer import index_paths

from .conftest import CORPUS
from .oracles import category_of, drug_class_of, drugs_named, truth_items

# Every fourth letter of corpus/, in name order (seed letters as text, the others as PDFs),
# is held out of the index the tests search.
HELD_OUT = sorted(CORPUS.iterdir())[::4]
# A known miss: the index holds no carpal tunnel surgery, and the decisions nearest the
# letter's words are the nerve studies of carpal tunnel syndrome (EMG/NCV), not a surgery.
MISSES = {"CM17-0015218"}


def same_treatment(asked: str, found: str) -> bool:
    if category_of(asked) != category_of(found):
        return False
    if category_of(asked) != "medication":
        return True
    shared = set(drugs_named(asked)) & set(drugs_named(found))
    return bool(shared) or drug_class_of(asked) == drug_class_of(found)


def items_of(case: str) -> list[str]:
    return [item.item for item in truth_items() if item.case == case]


@pytest.fixture(scope="module")
def held_out_index(tmp_path_factory):
    folder = tmp_path_factory.mktemp("held-out")
    (folder / "letters").mkdir()
    for path in sorted(CORPUS.iterdir()):
        if path not in HELD_OUT:
            shutil.copy(path, folder / "letters" / path.name)
    index_paths([folder / "letters"], folder / "ix")
    return folder / "ix"


def run(*args: str):
    return CliRunner().invoke(app, list(args))


def similar_hits(index, path, limit: int = 1) -> list[dict]:
    result = run(
        "similar", "--file", str(path), "-n", str(limit), "-f", "json", "--index", str(index)
    )
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.stdout.splitlines()][:-1]


@pytest.mark.parametrize(
    "letter",
    [
        pytest.param(path, marks=pytest.mark.xfail(strict=True, reason="no such surgery"))
        if path.stem in MISSES
        else path
        for path in HELD_OUT
    ],
    ids=lambda path: path.name,
)
def test_a_held_out_letter_finds_a_decision_about_the_same_treatment_first(held_out_index, letter):
    asked = items_of(letter.stem)
    indexed = [item for item in truth_items() if item.case not in {p.stem for p in HELD_OUT}]
    # (the index has a decision about one of its treatments to find)
    assert any(same_treatment(a, item.item) for a in asked for item in indexed)
    (top,) = similar_hits(held_out_index, letter)
    assert top["case"] not in {p.stem for p in HELD_OUT}
    assert any(same_treatment(a, top["item"]) for a in asked), (asked, top["item"])


def test_the_outcome_spread_is_that_of_the_decisions_shown(held_out_index):
    result = run(
        "similar",
        "--file",
        str(HELD_OUT[0]),
        "-n",
        "5",
        "-f",
        "json",
        "--index",
        str(held_out_index),
    )
    *hits, summary = [json.loads(line) for line in result.stdout.splitlines()]
    outcomes = {(i.case, i.position): i.outcome for i in truth_items()}
    assert [outcomes[(h["case"], h["item_no"])] for h in hits] == [h["outcome"] for h in hits]
    counted = {o: [h["outcome"] for h in hits].count(o) for o in {h["outcome"] for h in hits}}
    assert summary["facets"]["outcome"] == counted and summary["total"] == len(hits) == 5


# Written here as a claims adjuster or a physician would write them: none is an IMR letter.
DENIALS = {
    "flexeril": (
        "UTILIZATION REVIEW DETERMINATION\n"
        "Requested: Flexeril 10mg #60 for chronic low back pain with spasm.\n"
        "Determination: NON-CERTIFIED. Guidelines support muscle relaxants only as a short\n"
        "course for an acute flare; this patient has taken them for months.\n",
        "Flexeril 10mg #60",
    ),
    "mri": (
        "Dear Dr. Smith,\n"
        "Your request for an MRI of the lumbar spine without contrast is denied. There are no\n"
        "red flags and no documented neurological deficits on examination.\n",
        "MRI of the lumbar spine",
    ),
    "therapy": (
        "Physician's report. The worker continues to have neck and low back pain. I request 6\n"
        "more sessions of physical therapy; the prior therapy sessions helped her function.\n",
        "physical therapy sessions",
    ),
}


@pytest.mark.parametrize("name", DENIALS)
def test_a_handwritten_denial_finds_its_treatment(index_dir, tmp_path, name):
    text, treatment = DENIALS[name]
    path = tmp_path / f"{name}.txt"
    path.write_text(text, encoding="utf-8")
    (top,) = similar_hits(index_dir, path)
    assert same_treatment(treatment, top["item"]), top["item"]


@pytest.mark.parametrize(
    "args, message",
    [
        (["--file", "missing.pdf"], "missing.pdf: no such file"),
        ([], "similar takes CASE[#ITEM] or --file PATH"),
        (["CM16-0230651#9", "--file", "x.txt"], "similar takes CASE[#ITEM] or --file PATH"),
    ],
)
def test_what_similar_cannot_read_is_one_line_and_exit_2(index_dir, args, message):
    result = run("similar", *args, "--index", str(index_dir))
    assert result.exit_code == 2
    assert message in result.stderr


def test_an_empty_document_is_named(index_dir, tmp_path):
    path = tmp_path / "empty.txt"
    path.write_text("", encoding="utf-8")
    result = run("similar", "--file", str(path), "--index", str(index_dir))
    assert result.exit_code == 2 and f"{path}: empty file" in result.stderr


@pytest.mark.parametrize("text", ["the and of a", "12 34 56"])
def test_a_document_that_names_nothing_to_compare_is_refused(index_dir, tmp_path, text):
    """No treatment and no telling word: nothing to be like, said rather than guessed."""
    path = tmp_path / "nothing.txt"
    path.write_text(text + "\n")
    result = run("similar", "--file", str(path), "--index", str(index_dir))
    assert result.exit_code == 1 and "the document has no words to compare" in result.stderr
