"""`query --all`: every matching item written, in constant memory, each export saying how it
was obtained. The expected rows come from the letters' text, not from the index."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from imr_search.cli import app

from .conftest import COMMAND, ROOT, export_rows
from .oracles import raw_item, truth_items

sys.path.insert(0, str(ROOT / "benchmarks"))
from synthetic import write_letters  # noqa: E402

# About 50,000 items, the export of a large matter: 72 s to build on 2 busy cores (a run
# may set IMR_SEARCH_EXPORT_LETTERS lower while working on something else).
SYNTHETIC_LETTERS = int(os.environ.get("IMR_SEARCH_EXPORT_LETTERS", 22_300))
MAX_GROWTH_KB = 50 * 1024

# Run in a fresh process whose only child is the command: its children's peak RSS is the
# command's own (the test process's children include index writer processes).
PEAK_RSS = """
import resource, subprocess, sys
with open(sys.argv[1], "w") as out:
    code = subprocess.run(sys.argv[2:], stdout=out).returncode
print(code, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


@pytest.fixture(scope="module")
def synthetic_index(tmp_path_factory) -> tuple[Path, Path]:
    from imr_search.indexer import index_paths

    folder = tmp_path_factory.mktemp("synthetic")
    write_letters(folder / "letters", SYNTHETIC_LETTERS)
    index_paths([folder / "letters"], folder / "ix", jobs=2)
    return folder / "letters", folder / "ix"


def letter_items(letters: Path) -> set[tuple[str, int]]:
    """(case, item number) of every item of the synthetic letters, from their text: each
    item has one "Claims Administrator guideline:" line."""
    found = set()
    for path in letters.iterdir():
        text = path.read_text(encoding="utf-8")
        case = re.search(r"^CM\d\d-\d{7}$", text, re.M).group(0)
        count = text.count("\nClaims Administrator guideline:")
        found |= {(case, n) for n in range(1, count + 1)}
    return found


def peak_rss_kb(output: Path, *args: str) -> int:
    command = [COMMAND, *args]
    done = subprocess.run(
        [sys.executable, "-c", PEAK_RSS, str(output), *command],
        capture_output=True,
        text=True,
        check=True,
    )
    code, peak = map(int, done.stdout.split())
    assert code == 0, done.stderr
    return peak


def test_every_item_is_written_with_memory_of_a_ten_row_page(synthetic_index, tmp_path):
    letters, index = synthetic_index
    expected = letter_items(letters)
    assert len(expected) >= 50_000 or SYNTHETIC_LETTERS < 22_300
    # Every synthetic rationale says the request is (or is not) "medically necessary".
    query = ["query", "medically", "--index", str(index), "--format", "csv"]
    page, every = tmp_path / "page.csv", tmp_path / "all.csv"
    page_peak = peak_rss_kb(page, *query, "--limit", "10")
    every_peak = peak_rss_kb(every, *query, "--all")
    assert len(export_rows(page.read_text(encoding="utf-8"))) == 10
    rows = export_rows(every.read_text(encoding="utf-8"))
    assert len(rows) == len(expected)
    assert {(row["case"], int(row["item_no"])) for row in rows} == expected
    assert every_peak - page_peak <= MAX_GROWTH_KB, (page_peak, every_peak)


def run(*args: str):
    return CliRunner().invoke(app, list(args))


def own_texts(item) -> tuple[str, ...]:
    raw = raw_item(item)
    return item.item, raw.rationale, raw.claims_guideline, raw.maximus_guideline


def test_all_as_json_lines_is_every_item_then_the_summary(index_dir):
    result = run("query", "mri", "--all", "--format", "json", "--index", str(index_dir))
    assert result.exit_code == 0, result.output
    *hits, summary = [json.loads(line) for line in result.stdout.splitlines()]
    expected = {
        item.key
        for item in truth_items()
        if any(re.search(r"\bmris?\b", text, re.I) for text in own_texts(item))
    }
    found = {(hit["case"], hit["item_no"]) for hit in hits}
    assert found == expected
    assert len(hits) == summary["total"]
    assert summary["type"] == "summary"
    assert summary["provenance"]["query"] == "mri"


def test_all_is_for_exports_only(index_dir):
    for extra in (["--format", "table"], ["--format", "csv", "--letters"]):
        result = run("query", "mri", "--all", "--index", str(index_dir), *extra)
        assert result.exit_code == 2
        assert "--all writes every item as --format csv, json or cite" in result.stderr
