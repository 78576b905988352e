"""`--format cite` and the provenance of exports: each citation's fields against the letter
(its truth row and its text), and each export's record of how it was obtained against the
index folder and the clock."""

import json
import re
from datetime import UTC, datetime

import pytest
from typer.testing import CliRunner

from imr_search.cli import app

from .conftest import CORPUS
from .oracles import case_of, truth_rows, unbroken_text

# The Bluebook's abbreviations of the months (table T12).
BLUEBOOK_MONTHS = {
    1: "Jan.", 2: "Feb.", 3: "Mar.", 4: "Apr.", 5: "May", 6: "June",
    7: "July", 8: "Aug.", 9: "Sept.", 10: "Oct.", 11: "Nov.", 12: "Dec.",
}  # fmt: skip

CITATION = re.compile(
    r"^(?P<numbered>Case No\. )?(?P<case>\S+), IMR Final Determination"
    r"(?: \((?P<month>[A-Z][a-z]+\.?) (?P<day>\d+), (?P<year>\d{4})\))?"
    r", item (?P<number>\d+), (?P<item>.+): (?P<outcome>Upheld|Overturned)"
    r' \("(?P<quote>[^"]*)"\)\.$'
)


def run(*args: str):
    return CliRunner().invoke(app, list(args))


def plain(text: str) -> str:
    """Words only, lower case: how a quotation and a letter's text are compared, whatever
    the extractor did with spacing and punctuation."""
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))


@pytest.mark.parametrize("query", ['"acute exacerbation"', "mri", "physical therapy", "*"])
def test_each_citation_field_is_the_letters(index_dir, query):
    result = run("query", query, "--all", "--format", "cite", "--index", str(index_dir))
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines
    rows = {case_of(row): row for row in truth_rows()}
    for line in lines:
        cited = CITATION.match(line)
        assert cited, line
        row = rows[cited["case"]]
        assert bool(cited["numbered"]) == (row["case"] is not None), line
        if row.get("decision_date"):
            decided = datetime.fromisoformat(row["decision_date"])
            shown = (cited["month"], int(cited["day"]), int(cited["year"]))
            assert shown == (BLUEBOOK_MONTHS[decided.month], decided.day, decided.year), line
        else:
            assert cited["month"] is None, line
        item = row["items"][int(cited["number"]) - 1]
        assert cited["item"] == item["item"]
        assert cited["outcome"] == item["outcome"]
        quote = plain(cited["quote"].replace("'", '"'))
        assert quote and quote in plain(unbroken_text(row)), line


def test_a_citation_quotes_the_sentence_that_matched(index_dir):
    result = run("query", '"acute exacerbation"', "-f", "cite", "--index", str(index_dir))
    for line in result.stdout.splitlines():
        assert re.search(r"acute exacerbations?", CITATION.match(line)["quote"], re.I)


def toc_generations(index_dir) -> tuple[str, int]:
    """The live store's folder and its newest generation, from the folder's files: the
    pointer file, and the tables of contents Whoosh names _imr_N.toc."""
    store = json.loads((index_dir / "imr-search.json").read_text())["store"]
    found = [
        int(m.group(1))
        for m in (re.match(r"_imr_(\d+)\.toc$", p.name) for p in (index_dir / store).iterdir())
        if m
    ]
    return store, max(found)


def corpus_rows() -> list[dict]:
    """The truth rows of the letters of corpus/ (as text or PDF)."""
    names = {p.stem for p in CORPUS.iterdir()}
    return [row for row in truth_rows() if row["file"].split("/")[-1].rsplit(".")[0] in names]


def corpus_letters() -> int:
    return len(corpus_rows())


def check_provenance(provenance: dict, index_dir, query: str, before, after) -> None:
    store, generation = toc_generations(index_dir)
    assert provenance["query"] == query
    assert provenance["index"]["store"] == store
    assert provenance["index"]["generation"] == generation
    assert provenance["index"]["letters"] == corpus_letters()
    assert provenance["index"]["items"] == sum(len(row["items"]) for row in corpus_rows())
    searched = datetime.fromisoformat(provenance["searched_at"])
    assert before.replace(microsecond=0) <= searched <= after


def timed_run(command: str, query: str, form: str, index_dir):
    """`command` (query or stats) on `query` as `form`, and the time before and after."""
    extra = ["--by", "category"] if command == "stats" else []
    before = datetime.now(UTC)
    result = run(command, query, *extra, "-f", form, "--index", str(index_dir))
    return result, before, datetime.now(UTC)


@pytest.mark.parametrize("command", ["query", "stats"])
def test_json_summaries_say_how_they_were_obtained(index_dir, command):
    result, before, after = timed_run(command, "flexeril decided:2017", "json", index_dir)
    summary = json.loads(result.stdout.splitlines()[-1])
    check_provenance(summary["provenance"], index_dir, "flexeril decided:2017", before, after)
    # As read: the date's whole year, the drug by every name.
    read_as = summary["provenance"]["read_as"]
    assert "decision_date:[2017-01-01 TO 2017-12-31]" in read_as
    assert "drug:cyclobenzaprine" in read_as and "flexeril" in read_as


@pytest.mark.parametrize("command", ["query", "stats"])
def test_csv_exports_open_with_how_they_were_obtained(index_dir, command):
    result, before, after = timed_run(command, "mri", "csv", index_dir)
    opening = dict(
        re.match(r"# ([^:]+): (.*)$", line).groups()
        for line in result.stdout.splitlines()
        if line.startswith("#")
    )
    store, generation = toc_generations(index_dir)
    assert opening["query"] == "mri"
    assert "item:mri" in opening["read as"]
    assert opening["index"].startswith(f"{store} generation {generation}, ")
    assert f", {corpus_letters()} letters, " in opening["index"]
    searched = datetime.fromisoformat(opening["searched at"])
    assert before.replace(microsecond=0) <= searched <= after


def test_provenance_follows_the_index_through_a_new_commit(tmp_path):
    import shutil

    from imr_search.indexer import index_paths

    letters = tmp_path / "letters"
    letters.mkdir()
    for name in ("CM16-0230651.pdf", "CM17-0019120.pdf"):
        shutil.copy(CORPUS / name, letters / name)
    index = tmp_path / "ix"
    index_paths([letters], index)
    first = json.loads(
        run("query", "*", "-f", "json", "--index", str(index)).stdout.split("\n")[-2]
    )
    shutil.copy(CORPUS / "CM16-0213037.pdf", letters / "CM16-0213037.pdf")
    index_paths([letters], index)
    second = json.loads(
        run("query", "*", "-f", "json", "--index", str(index)).stdout.split("\n")[-2]
    )
    assert (first["provenance"]["index"]["letters"], second["provenance"]["index"]["letters"]) == (
        2,
        3,
    )
    assert second["provenance"]["index"]["generation"] == toc_generations(index)[1]
    assert second["provenance"]["index"]["generation"] > first["provenance"]["index"]["generation"]


def test_every_month_is_abbreviated_as_a_brief_does():
    from datetime import date

    from imr_search.export import brief_date

    for month, abbreviation in BLUEBOOK_MONTHS.items():
        assert brief_date(date(2017, month, 9)) == f"{abbreviation} 9, 2017"


def test_similar_says_how_it_was_obtained(index_dir):
    before = datetime.now(UTC)
    result = run("similar", "CM16-0238035#5", "-f", "json", "--index", str(index_dir))
    after = datetime.now(UTC)
    summary = json.loads(result.stdout.splitlines()[-1])
    provenance = summary["provenance"]
    check_provenance(provenance, index_dir, "similar to CM16-0238035#5", before, after)
    assert provenance["read_as"].startswith("like CM16-0238035#5: item:")
