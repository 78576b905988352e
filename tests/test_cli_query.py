"""`imr-search query` and `imr-search show` through the real command line, on a real index
of the sample corpus."""

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from imr_search.cli import app
from imr_search.indexer import index_paths
from imr_search.search import search

from .conftest import GOLDEN, export_rows
from .oracles import category_of, drugs_named, raw_items, raw_summary, truth_row

README_QUERY = '"acute exacerbation" AND outcome:Upheld'
ANSI_COLOUR = re.compile(r"\x1b\[[0-9;]*3[0-7]m|\x1b\[[0-9;]*38;")


def run(*args: str, env: dict | None = None):
    result = CliRunner().invoke(app, list(args), env=env)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    return result


def json_records(result) -> list[dict]:
    return [json.loads(line) for line in result.stdout.splitlines()]


def table_rows(stdout: str) -> list[tuple[str, int]]:
    """(case, item number) of each row of a results table, in order."""
    return [
        (m.group(1), int(m.group(2)))
        for m in re.finditer(r"^│ (\S+)\s*│\s*(\d+) │ (?:Upheld|Overturned)", stdout, re.M)
    ]


def test_the_readme_query_in_each_format_agrees(index_dir):
    args = ("query", README_QUERY, "--index", str(index_dir), "--facet", "specialty")
    table = run(*args)
    as_json = run(*args, "--format", "json")
    as_csv = run(*args, "--format", "csv")
    assert table.exit_code == as_json.exit_code == as_csv.exit_code == 0

    records = json_records(as_json)
    hits, summary = records[:-1], records[-1]
    assert all(record["type"] == "hit" for record in hits)
    assert summary["type"] == "summary"
    expected = search(index_dir, README_QUERY, facets=("specialty",))
    assert [(h["case"], h["item_no"]) for h in hits] == [(h.case, h.item_no) for h in expected.hits]
    assert summary["total"] == expected.total == len(hits)
    assert summary["facets"] == expected.facets
    for hit in hits:
        assert hit["outcome"] == "Upheld"
        assert set(hit) >= {
            "case", "item_no", "item", "outcome", "decision_date", "specialties",
            "license_states", "drug", "category", "score", "snippet", "path",
        }  # fmt: skip
        assert re.search(r"acute exacerbations?", hit["snippet"], re.I)

    rows = export_rows(as_csv.stdout)
    assert [(r["case"], int(r["item_no"]), r["outcome"]) for r in rows] == [
        (h["case"], h["item_no"], h["outcome"]) for h in hits
    ]
    assert [r["snippet"] for r in rows] == [h["snippet"] for h in hits]

    assert table_rows(table.stdout) == [(h["case"], h["item_no"]) for h in hits]
    assert f"{len(hits)} items match" in table.stdout
    for value, count in summary["facets"]["specialty"].items():
        assert re.search(rf"│ {re.escape(value)}\s+│\s+{count} │", table.stdout), value
    assert re.search(rf"│ Upheld\s+│\s+{len(hits)} │\s+100% │", table.stdout)


def test_csv_holds_every_hit_up_to_the_limit(index_dir):
    total = search(index_dir, "mri").total
    assert total > 3
    rows = export_rows(
        run("query", "mri", "--index", str(index_dir), "-f", "csv", "-n", "3").stdout
    )
    assert list(rows[0])[:4] == ["case", "item_no", "item", "outcome"]
    assert len(rows) == 3
    rows = export_rows(
        run("query", "mri", "--index", str(index_dir), "-f", "csv", "-n", "500").stdout
    )
    assert len(rows) == total


def test_letters_in_json_and_table(index_dir):
    expected = search(index_dir, "flexeril", letters=True, limit=3)
    as_json = json_records(
        run("query", "flexeril", "--letters", "-n", "3", "--index", str(index_dir), "-f", "json")
    )
    letters, summary = as_json[:-1], as_json[-1]
    assert [letter["case"] for letter in letters] == [letter.case for letter in expected.letters]
    assert [[i["item_no"] for i in letter["items"]] for letter in letters] == [
        [i.item_no for i in letter.items] for letter in expected.letters
    ]
    assert summary["letters"] == expected.total_letters
    table = run("query", "flexeril", "--letters", "-n", "3", "--index", str(index_dir)).stdout
    positions = [table.index(letter.case) for letter in expected.letters]
    assert positions == sorted(positions)
    assert f"{expected.total} items in {expected.total_letters} letters match" in table


def test_explain_shows_how_the_query_was_read(index_dir):
    result = run(
        "query", "decided:2017 flexeril", "--explain", "--index", str(index_dir), "-f", "json"
    )
    assert "query read as: (decision_date:[2017-01-01 TO 2017-12-31] AND (" in result.stderr
    assert "drug:cyclobenzaprine" in result.stderr
    json_records(result)  # stdout stays JSON Lines


@pytest.mark.parametrize("command", ["query", "stats"])
def test_spaces_beside_westlaw_connectors_get_one_line_on_stderr(index_dir, command):
    by = ("--by", "category") if command == "stats" else ()
    mixed = run(command, "flexeril exacerbation /s pain", *by, "--index", str(index_dir))
    notes = [line for line in mixed.stderr.splitlines() if "note:" in line]
    assert len(notes) == 1 and "read as AND" in notes[0] and "Westlaw reads them as OR" in notes[0]
    as_json = run(command, "flexeril exacerbation /s pain", *by, "-f", "json", "--index",
                  str(index_dir))  # fmt: skip
    assert "Westlaw reads them as OR" in json_records(as_json)[-1]["notes"][0]
    grouped = run(command, "flexeril /s (exacerbation OR pain)", *by, "--index", str(index_dir))
    assert "note:" not in grouped.stderr
    plain = run(command, "flexeril", *by, "-f", "json", "--index", str(index_dir))
    assert "notes" not in json_records(plain)[-1]


def test_no_hits_exits_1_and_says_so(index_dir):
    result = run("query", "zyzzyva", "--index", str(index_dir))
    assert result.exit_code == 1
    assert "no items match" in result.stdout
    as_json = run("query", "zyzzyva", "--index", str(index_dir), "-f", "json")
    assert as_json.exit_code == 1
    (summary,) = json_records(as_json)
    del summary["provenance"]  # (tests/test_provenance.py)
    assert [summary] == [
        {
            "type": "summary",
            "query": "zyzzyva",
            "total": 0,
            "page": 1,
            "limit": 10,
            "facets": {"outcome": {}},
            "suggestions": [],  # no word of the letters is near it
        }
    ]


ERRORS = [
    (['"acute exacerbation'], "query '\"acute exacerbation': unclosed quote at column 1"),
    (["mri AND"], "AND at column 5 has nothing after it"),
    (["colour:red"], "unknown field 'colour' at column 1; fields: case, item_no, item,"),
    (["mri", "--facet", "colour"], "cannot count by 'colour'; facets: outcome, specialty"),
    (["decided:soon"], "decision_date:soon at column 9 is not a date"),
    (["mri", "--page", "0"], "--limit and --page start at 1"),
    (["mri", "--all", "-f", "csv", "--limit", "2"], "--all writes every item, not a page"),
    (["mri", "--all", "-f", "json", "--page", "3"], "--all writes every item, not a page"),
]


@pytest.mark.parametrize("args, message", ERRORS)
def test_query_errors_are_one_line_and_exit_2(index_dir, args, message):
    result = run("query", *args, "--index", str(index_dir))
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert message in result.stderr


def test_a_missing_index_says_to_build_one(tmp_path):
    result = run("query", "mri", "--index", str(tmp_path / "nowhere"))
    assert result.exit_code == 2
    assert "run `imr-search index PATH` first" in result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["query", "*", "--facet", "year"],
        ["query", "decided:2016 flexeril"],
        ["query", '"physical therapy"~3'],
        ["query", "*", "--sort", "-decided"],
        ["stats", "*", "--by", "year"],
    ],
)
def test_an_index_of_no_letters_answers_with_none(tmp_path, args):
    (tmp_path / "empty").mkdir()
    ix = str(tmp_path / "ix")
    built = run("index", str(tmp_path / "empty"), "--index", ix)
    assert built.exit_code == 0 and "indexed 0 letters, 0 items" in built.stdout
    result = run(*args, "--index", ix, env={"COLUMNS": "120"})  # items, upheld, overturned
    assert result.exit_code == 1
    assert result.stderr == ""
    if args[0] == "stats":
        assert re.search(r"total\s+0\s+0\s+0", result.stdout)
    else:
        assert "no items match" in result.stdout


def test_colour_only_on_request_of_a_terminal(index_dir):
    args = ("query", "outcome:Overturned", "--index", str(index_dir))
    assert not ANSI_COLOUR.search(run(*args).stdout)  # not a terminal: plain
    forced = {"FORCE_COLOR": "1", "TERM": "xterm-256color"}
    assert ANSI_COLOUR.search(run(*args, env=forced).stdout)
    assert not ANSI_COLOUR.search(run(*args, env={**forced, "NO_COLOR": "1"}).stdout)
    assert not ANSI_COLOUR.search(run(*args, "--no-color", env=forced).stdout)


# ---------------------------------------------------------------- show


SHOWN = "CM17-0019120"  # a letter of two items, from a PDF


def opening(text: str, words: int) -> str:
    return " ".join(text.split()[:words])


def test_show_prints_the_whole_letter(index_dir):
    row = truth_row(SHOWN)
    result = run("show", SHOWN.lower(), "--index", str(index_dir))
    assert result.exit_code == 0, result.stderr
    flat = " ".join(result.stdout.split())
    assert row["decision_date"] in flat
    assert opening(raw_summary(row), 12) in flat
    assert ", ".join(row["specialties"]) in flat
    for n, (item, raw) in enumerate(zip(row["items"], raw_items(row), strict=True), start=1):
        assert f"#{n} " in flat and item["outcome"] in flat
        assert opening(raw.rationale, 12) in flat
        assert opening(raw.maximus_guideline, 6) in flat
    assert f"{SHOWN}.pdf" in result.stdout


def test_show_one_item(index_dir):
    row = truth_row(SHOWN)
    result = run("show", SHOWN, "--item", "2", "--index", str(index_dir))
    flat = " ".join(result.stdout.split())
    assert "#2 " in flat and opening(raw_items(row)[1].rationale, 12) in flat
    assert "#1 " not in flat and row["items"][0]["item"].split()[0] not in flat
    assert opening(raw_summary(row), 12) in flat


def test_show_one_item_as_json(index_dir):
    row = truth_row(SHOWN)
    result = run("show", SHOWN, "--item", "2", "--index", str(index_dir), "-f", "json")
    assert result.exit_code == 0
    (record,) = json_records(result)
    assert record["case"] == SHOWN
    (item,) = record["items"]
    truth, raw = row["items"][1], raw_items(row)[1]
    assert (item["position"], item["item"], item["outcome"]) == (2, truth["item"], truth["outcome"])
    assert " ".join(item["rationale"].split()) == raw.rationale
    assert " ".join(item["maximus_guideline"]["text"].split()) == raw.maximus_guideline
    drug = " / ".join(drugs_named(truth["item"])) or None
    assert (item["category"], item["drug"]) == (category_of(truth["item"]), drug)


@pytest.mark.parametrize(
    "args, message",
    [
        (["CM00-0000000"], "no letter CM00-0000000 in the index"),
        (["CM17-0019120", "--item", "9"], "CM17-0019120 has no item 9; its items are 1-2"),
    ],
)
def test_show_what_is_not_there_exits_1(index_dir, args, message):
    result = run("show", *args, "--index", str(index_dir))
    assert result.exit_code == 1
    assert message in result.stderr


ONE_LETTER = GOLDEN / "real" / "CM16-0213037.txt"  # a real letter, as text


def one_letter_in(folder: Path) -> Path:
    """ONE_LETTER copied into `folder` (made with its parents): the copy's path."""
    folder.mkdir(parents=True)
    copy = folder / ONE_LETTER.name
    copy.write_text(ONE_LETTER.read_text())
    return copy


@pytest.fixture(scope="module")
def marked_folder(tmp_path_factory):
    """A real letter in folders whose names rich would read as markup, and its index."""
    # Rich reads "[copy]" as a style and drops it, ":pill:" as an emoji, and stops at "[/]".
    root = tmp_path_factory.mktemp("marked")
    letter_file = one_letter_in(root / "letters [copy]" / "x [" / "] :pill:")
    index_paths([root / "letters [copy]"], root / "ix", jobs=1)
    return letter_file, root / "ix"


@pytest.mark.parametrize(
    "args",
    [
        ["query", "*", "--letters", "--index", "{index}"],
        ["show", ONE_LETTER.stem, "--index", "{index}"],
        ["parse", "{letter}", "--format", "table"],
    ],
)
def test_what_folders_and_letters_say_is_printed_as_written(marked_folder, args):
    letter_file, index = marked_folder
    filled = [arg.format(index=index, letter=letter_file) for arg in args]
    result = run(*filled, env={"COLUMNS": "1000"})
    assert result.exit_code == 0, result.output
    assert str(letter_file) in result.stdout


def test_the_index_report_counts_one_letter_as_one(tmp_path):
    source = one_letter_in(tmp_path / "letters").parent
    items = len(truth_row(ONE_LETTER.stem)["items"])
    result = run("index", str(source), "--index", str(tmp_path / "ix"), "-q")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"indexed 1 letter, {items} items in ")


def test_show_warns_when_the_file_changed_since_indexing(tmp_path):
    letter_file = one_letter_in(tmp_path / "letters")
    index_paths([letter_file.parent], tmp_path / "ix", jobs=1)
    letter_file.write_text(letter_file.read_text() + "\n")
    result = run("show", ONE_LETTER.stem, "--index", str(tmp_path / "ix"))
    assert result.exit_code == 0
    assert "has changed since it was indexed" in result.stderr
