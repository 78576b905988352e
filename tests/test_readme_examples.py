"""The README's example outputs are what the commands print on `corpus/`, and every count
and rate in them is recomputed here from the letters: the truth rows, the letters' own
text, and an overturn interval found by bisection rather than by the code's formula."""

import json
import re
from datetime import UTC, datetime

import pytest
from typer.testing import CliRunner

from imr_search.cli import app

from .conftest import CORPUS, ROOT, as_in_readme, truth_rows
from .oracles import hybrid_by_bisection, wilson_by_bisection

README = (ROOT / "README.md").read_text(encoding="utf-8")


def block_after(command: str) -> str:
    """The fenced block that follows the fenced block whose first line is `command`; or,
    where the command opens a block of its own output, the rest of that block."""
    blocks = re.findall(r"```\n(.*?)```", README, re.S)
    for at, block in enumerate(blocks):
        lines = block.splitlines()
        if lines and lines[0] == command:
            rest = lines[1:]
            if rest and not rest[0].startswith("imr-search "):  # its output, in its block
                return "\n".join(rest) + "\n"
            return blocks[at + 1]
    raise AssertionError(f"no README block opens with {command!r}")


def printed(index_dir, args: list[str], columns: int) -> str:
    result = CliRunner().invoke(
        app, [*args, "--index", str(index_dir), "--no-color"], env={"COLUMNS": str(columns)}
    )
    assert result.exit_code == 0, result.output
    text = result.stdout.replace(str(CORPUS), "/home/me/imr-search/corpus")
    text = as_in_readme(text)
    return "\n".join(line.rstrip() for line in text.splitlines()).strip("\n") + "\n"


# (the command as the README shows it, how wide a terminal its output was printed on)
EXAMPLES = [
    ("""imr-search query '"acute exacerbation" AND outcome:Upheld' --limit 2""", 100),
    ("imr-search stats '*' --by specialty --min 5", 112),
    ("imr-search similar CM16-0238035#5 --limit 2", 100),
    ("imr-search query 'drug:flexeril decided:2017' --format json --limit 1", 100),
    ("""imr-search query 'flexeril /s "acute exacerbation"'""", 100),
    ("""imr-search query '"short course" decided:2017' --format cite""", 100),
    ("imr-search stats 'category:imaging OR category:therapy' --by category --measure days", 100),
]


@pytest.mark.parametrize("command, columns", EXAMPLES)
def test_an_example_output_is_what_the_command_prints(index_dir, command, columns):
    args = re.findall(r"'[^']*'|\S+", command)[1:]
    args = [arg.strip("'") for arg in args]
    assert printed(index_dir, args, columns) == block_after(command)


def own_text_items(letters, pattern: str) -> list:
    """The items whose own text (heading, rationale, either citation) has `pattern`."""
    return [
        item
        for letter in letters
        for item in letter.items
        if any(
            re.search(pattern, text, re.I)
            for text in (
                item.item,
                item.rationale,
                item.claims_guideline.text,
                item.maximus_guideline.text,
            )
        )
    ]


def test_the_query_example_counts_the_upheld_items_that_say_it(letters):
    shown = block_after(EXAMPLES[0][0])
    expected = [
        item
        for item in own_text_items(letters, r"\bacute\s+exacerbations?\b")
        if item.outcome == "Upheld"
    ]
    assert f"{len(expected)} items match; showing 1-2 (page 1)" in shown
    assert re.search(rf"│ Upheld\s+│\s+{len(expected)} │\s+100% │", shown)


def test_the_stats_example_is_the_truth_rows_by_specialty():
    shown = block_after(EXAMPLES[1][0])

    def names(row) -> set[str]:
        return {
            re.sub(r"\s+", " ", s.replace("&", "and")).strip().lower() for s in row["specialties"]
        }

    def counted(rows) -> list[int]:
        items = [item for row in rows for item in row["items"]]
        return [len(items), sum(item["outcome"] == "Overturned" for item in items)]

    groups = {name: counted(r for r in truth_rows() if name in names(r)) for name in
              {name for row in truth_rows() for name in names(row)}}  # fmt: skip
    ordered = sorted(groups.items(), key=lambda pair: (-pair[1][0], pair[0]))
    kept = [counts for _, counts in ordered if counts[0] >= 5]
    small = {name for name, counts in ordered if counts[0] < 5}
    other = counted(row for row in truth_rows() if names(row) & small)  # each item once
    items, overturned = counted(truth_rows())
    expected = [*kept, other, [items, overturned]]
    rows = re.findall(r"(\d+)\s+(\d+)\s+(\d+)\s+([\d.]+)% \(([\d.]+)–([\d.]+)\)(.*)", shown)
    assert len(rows) == len(expected)
    for (n, up, over, rate, low, high, rest), (n_, x) in zip(rows, expected, strict=True):
        assert (int(n), int(up), int(over)) == (n_, n_ - x, x)
        assert float(rate) == round(100 * x / n_, 1)
        lower, upper = wilson_by_bisection(x, n_)
        assert (float(low), float(high)) == (round(100 * lower, 1), round(100 * upper, 1))
        if n_ == items:  # the total: no rest
            continue
        difference = re.match(r"\s+([+−][\d.]+) \((−?[\d.]+)–(−?[\d.]+)\)", rest).groups()
        shown_points = [float(part.replace("−", "-")) for part in difference]
        points = [100 * p for p in hybrid_by_bisection(x, n_, overturned - x, items - n_)]
        assert shown_points == [round(p, 1) for p in points]


def test_the_stats_json_example_is_the_tools_and_the_truths(index_dir):
    block = re.search(r"```\n(\{\"type\": \"group\".*?)```", README, re.S).group(1)
    first, *_, summary = [json.loads(line) for line in block.splitlines() if line != "..."]
    lines = printed(index_dir, ["stats", "*", "--by", "category", "--format", "json"], 100)
    printed_lines = [json.loads(line) for line in lines.splitlines()]
    assert first == printed_lines[0] and summary == printed_lines[-1]
    rows = truth_rows()
    items = sum(len(row["items"]) for row in rows)
    overturned = sum(i["outcome"] == "Overturned" for row in rows for i in row["items"])
    assert (summary["items"], summary["overturned"]) == (items, overturned)
    for line in (first, summary):
        lower, upper = wilson_by_bisection(line["overturned"], line["items"])
        assert line["ci_low"] == pytest.approx(lower, abs=1e-9)
        assert line["ci_high"] == pytest.approx(upper, abs=1e-9)


def test_the_similar_example_shows_each_item_as_decided():
    shown = block_after(EXAMPLES[2][0])
    outcomes = {
        ((row["case"] or row["file"].split("/")[-1].rsplit(".", 1)[0]), n): item["outcome"]
        for row in truth_rows()
        for n, item in enumerate(row["items"], start=1)
    }
    hits = re.findall(r"│ (\S+)\s+│\s+(\d+) │ (Upheld|Overturned)", shown)
    assert hits
    for case, number, outcome in hits:
        assert outcomes[(case, int(number))] == outcome
    for outcome, count in {o: [h[2] for h in hits].count(o) for _, _, o in hits}.items():
        assert re.search(rf"│ {outcome}\s+│\s+{count} │", shown)


def test_the_json_example_counts_the_flexeril_items_decided_in_2017():
    shown = block_after(EXAMPLES[3][0]).splitlines()
    summary = json.loads(shown[-1])
    expected = [
        (row["case"], item["item"])
        for row in truth_rows()
        if (row.get("decision_date") or "").startswith("2017")
        for item in row["items"]
        if re.search(r"flexeril|cyclobenzaprine", item["item"], re.I)
    ]
    assert summary["total"] == len(expected)
    hit = json.loads(shown[0])
    assert (hit["case"], hit["item"]) in expected


def test_the_index_example_counts_the_corpus():
    rows = truth_rows()
    corpus = [
        r
        for r in rows
        if (CORPUS / r["file"].split("/")[-1]).exists()
        or (CORPUS / (r["file"].split("/")[-1].rsplit(".", 1)[0] + ".pdf")).exists()
    ]
    line = next(line for line in README.splitlines() if line.startswith("indexed 25 letters"))
    letters, items = map(int, re.match(r"indexed (\d+) letters, (\d+) items", line).groups())
    assert (letters, items) == (len(corpus), sum(len(r["items"]) for r in corpus))


def test_the_parse_check_example_is_what_it_prints(tmp_path, monkeypatch):
    """The README's `parse --check` example, on the folder it describes: corpus/ with one
    letter's second outcome gone."""
    import shutil

    from .conftest import GOLDEN

    letters = tmp_path / "letters"
    shutil.copytree(CORPUS, letters)
    (letters / "CM16-0213037.pdf").unlink()
    text = (GOLDEN / "real" / "CM16-0213037.txt").read_text(encoding="utf-8")
    heading = "MRI of the cervical spine without contrast: Upheld"
    assert text.count(heading) == 1
    (letters / "CM16-0213037.txt").write_text(
        text.replace(heading, heading.removesuffix(" Upheld"))
    )
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["parse", "--check", "letters/"])
    assert result.exit_code == 2
    assert result.stdout == block_after("imr-search parse --check letters/")


def test_the_watch_example_is_what_it_prints(tmp_path, monkeypatch):
    """The README's `watch run` example, on the folder it describes: corpus/ indexed without
    two letters, the search added, the two letters indexed."""
    import shutil

    letters = tmp_path / "letters"
    shutil.copytree(CORPUS, letters)
    held_back = ["CM17-0019120.pdf", "CM17-0016761.pdf"]
    for name in held_back:
        (letters / name).unlink()
    monkeypatch.chdir(tmp_path)
    runner = CliRunner(env={"COLUMNS": "100"})
    assert runner.invoke(app, ["index", "-q", "letters/"]).exit_code == 0
    adding = next(line for line in README.splitlines() if line.startswith("imr-search watch add"))
    args = [arg.strip("'") for arg in re.findall(r"'[^']*'|\S+", adding)[1:]]
    assert runner.invoke(app, args).exit_code == 0
    for name in held_back:
        shutil.copy(CORPUS / name, letters / name)
    assert runner.invoke(app, ["index", "-q", "letters/"]).exit_code == 0
    result = runner.invoke(app, ["watch", "run", "--limit", "2", "--no-color"])
    assert result.exit_code == 0
    shown = block_after("imr-search watch run --limit 2")
    # The times of this run, as the README shows them (its letters indexed the same day).
    since = re.search(r"\(since ([\d-]+) [^)]+\)", shown)
    text = re.sub(r"\(since [^)]+\)", since.group(0), result.stdout)
    text = re.sub(r"(?<=│ )" + datetime.now(UTC).date().isoformat(), since.group(1), text)
    assert "\n".join(line.rstrip() for line in text.splitlines()) + "\n" == shown


def test_the_similar_file_example_is_what_it_prints(index_dir, tmp_path, monkeypatch):
    """The README's `similar --file` example, on the denial it shows."""
    command = "imr-search similar --file ur-denial.txt --limit 2"
    at = README.index(command)
    denial = re.findall(r"```\n(.*?)```", README[:at], re.S)[-1]
    assert denial.startswith("UTILIZATION REVIEW DETERMINATION")
    (tmp_path / "ur-denial.txt").write_text(denial, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    args = command.split()[1:]
    assert printed(index_dir, args, 100) == block_after(command)
