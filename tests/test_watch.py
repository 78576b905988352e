"""Saved searches: a watch reports exactly the matching items of the letters first indexed
since it was added or last ran, through adds, changes, deletions, rebuilds and repeated
runs. The expected items come from a model of the folder kept by the test (which letters
are in the index, and from which step) and from the letters' truth rows and text."""

import json
import re
import shutil
from datetime import UTC, datetime

import pytest
from typer.testing import CliRunner

from imr_search.cli import app
from imr_search.indexer import index_paths

from .conftest import GOLDEN
from .oracles import raw_item, truth_items

# What each watch looks for, and which items the letters say match it.
WATCHED = {
    "overturned": ("outcome:overturned", lambda item: item.outcome == "Overturned"),
    "mri": (
        "mri",
        lambda item: any(
            re.search(r"\bmris?\b", text, re.I)
            for text in (item.item, *vars(raw_item(item)).values())
        ),
    ),
}

REAL = sorted(p.name for p in (GOLDEN / "real").glob("*.txt"))

# The steps: ("add", files) copies letters in and indexes; ("change", file) rewrites one
# (the same letter, new bytes) and indexes; ("delete", file) and ("rebuild",) likewise;
# ("index",) indexes an unchanged folder; ("watch", name) adds a watch; ("run", names)
# runs those watches (all when empty).
STEPS = [
    ("add", REAL[:6]),
    ("watch", "overturned"),
    ("watch", "mri"),
    ("run", ()),  # nothing indexed since
    ("add", REAL[6:12]),
    ("run", ("mri",)),  # the overturned watch has not run: it keeps what is new for it
    ("index",),
    ("run", ()),
    ("run", ()),  # a second run: nothing new
    ("change", REAL[0]),
    ("change", REAL[7]),
    ("run", ()),  # a changed letter is the same letter: not new
    ("delete", REAL[1]),
    ("add", REAL[12:15]),
    ("rebuild",),
    ("run", ()),  # a rebuild keeps when each letter was first indexed
    ("rebuild",),
    ("run", ()),
    ("add", [REAL[1]]),  # back after it had left the index: new again
    ("add", REAL[15:]),
    ("run", ("overturned",)),
    ("run", ()),
]


def run_cli(*args: str):
    return CliRunner().invoke(app, list(args))


def items_by_case() -> dict[str, list]:
    found: dict[str, list] = {}
    for item in truth_items():
        found.setdefault(item.case, []).append(item)
    return found


def test_a_watch_reports_exactly_the_newly_indexed_matching_items(tmp_path):
    letters, index = tmp_path / "letters", tmp_path / "ix"
    letters.mkdir()
    items = items_by_case()
    first_step: dict[str, int] = {}  # case -> the step its letter entered the index
    seen: dict[str, int] = {}  # watch -> the step of the commit it last saw
    stamps: dict[int, str] = {}  # step -> the time its letters were first indexed
    last_commit = 0
    reported_any = 0

    def index_folder(step: int, rebuild: bool = False) -> None:
        nonlocal last_commit
        index_paths([letters], index, rebuild=rebuild)
        present = {path.stem for path in letters.iterdir()}
        for case in list(first_step):
            if case not in present:
                del first_step[case]  # gone from the index
        for case in present:
            first_step.setdefault(case, step)
        last_commit = step

    for step, (action, *args) in enumerate(STEPS, start=1):
        if action == "add":
            for name in args[0]:
                shutil.copy(GOLDEN / "real" / name, letters / name)
            index_folder(step)
        elif action == "change":
            path = letters / args[0]
            path.write_text(path.read_text(encoding="utf-8") + "\n\n", encoding="utf-8")
            index_folder(step)
        elif action == "delete":
            (letters / args[0]).unlink()
            index_folder(step)
        elif action == "index":
            index_folder(step)
        elif action == "rebuild":
            index_folder(step, rebuild=True)
        elif action == "watch":
            query, _ = WATCHED[args[0]]
            added = run_cli("watch", "add", args[0], query, "--index", str(index))
            assert added.exit_code == 0, added.output
            seen[args[0]] = last_commit
        else:
            names = args[0] or tuple(seen)
            result = run_cli(
                "watch", "run", *args[0], "--format", "json", "-n", "1000", "--index", str(index)
            )
            records = [json.loads(line) for line in result.stdout.splitlines()]
            expected_any = False
            for name in names:
                _, matches = WATCHED[name]
                expected = {
                    item.key
                    for case, since in first_step.items()
                    if since > seen[name]
                    for item in items[case]
                    if matches(item)
                }
                hits = [r for r in records if r["type"] == "hit" and r["watch"] == name]
                assert {(h["case"], h["item_no"]) for h in hits} == expected, (step, name)
                (summary,) = [r for r in records if r["type"] == "watch" and r["name"] == name]
                assert summary["new"] == len(expected)
                for hit in hits:
                    truth = items[hit["case"]][0].row
                    assert hit["decision_date"] == truth.get("decision_date")
                    entered = first_step[hit["case"]]
                    assert stamps.setdefault(entered, hit["indexed"]) == hit["indexed"]
                expected_any = expected_any or bool(expected)
                reported_any += len(expected)
                seen[name] = last_commit
            assert result.exit_code == (0 if expected_any else 1), (step, result.output)
    assert reported_any >= 5
    # Letters first indexed in a later step were indexed later, today.
    ordered = [stamps[step] for step in sorted(stamps)]
    assert ordered == sorted(ordered) and len(set(ordered)) == len(ordered)
    today = datetime.now(UTC).date().isoformat()
    assert all(stamp.startswith(today) for stamp in ordered)


@pytest.fixture
def watched_index(tmp_path):
    letters = tmp_path / "letters"
    letters.mkdir()
    for name in REAL[:3]:
        shutil.copy(GOLDEN / "real" / name, letters / name)
    index_paths([letters], tmp_path / "ix")
    return letters, tmp_path / "ix"


def test_watches_are_kept_beside_the_index_through_a_rebuild(watched_index):
    letters, index = watched_index
    added = run_cli(
        "watch", "add", "pt", '"physical therapy"', "-F", "category", "--index", str(index)
    )
    assert added.exit_code == 0, added.output
    index_paths([letters], index, rebuild=True)
    listed = run_cli("watch", "list", "--index", str(index))
    assert listed.stdout.startswith('pt: "physical therapy" --facet category (added ')
    assert run_cli("watch", "remove", "pt", "--index", str(index)).exit_code == 0
    assert "no watches" in run_cli("watch", "list", "--index", str(index)).stdout


@pytest.mark.parametrize(
    "args, message",
    [
        (["add", "w", "mri AND"], "query 'mri AND': AND at column 5 has nothing after it"),
        (["add", "w", "mri", "--facet", "colour"], "cannot count by 'colour'"),
        (["add", "no good", "mri"], "imr-search: watch name 'no good'"),  # not the query's
        (["add", "abc\n", "mri"], "watch name 'abc\\n'"),
        (["run", "nope"], "no watch 'nope'"),
        (["remove", "nope"], "no watch 'nope'"),
        (["run", "--limit", "0"], "--limit starts at 1"),
    ],
)
def test_a_bad_watch_is_one_clear_line_and_exit_2(watched_index, args, message):
    _, index = watched_index
    result = run_cli("watch", *args, "--index", str(index))
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.output


def test_running_no_watches_says_so(watched_index):
    _, index = watched_index
    result = run_cli("watch", "run", "--index", str(index))
    assert result.exit_code == 1 and "no watches to run" in result.stderr


def test_a_watch_name_is_saved_once(watched_index):
    _, index = watched_index
    assert run_cli("watch", "add", "w", "mri", "--index", str(index)).exit_code == 0
    again = run_cli("watch", "add", "w", "knee", "--index", str(index))
    assert again.exit_code == 2 and "there is a watch 'w' already" in again.stderr


def test_a_damaged_watches_file_is_refused_not_written_over(watched_index):
    _, index = watched_index
    assert run_cli("watch", "add", "w", "mri", "--index", str(index)).exit_code == 0
    saved = index / "watches.json"
    saved.write_text(saved.read_text()[:-5])  # cut short, as by a full disk
    damaged = saved.read_text()
    for args in (["add", "v", "knee"], ["list"], ["run"]):
        result = run_cli("watch", *args, "--index", str(index))
        assert result.exit_code == 2 and "the saved searches cannot be read" in result.stderr
    assert saved.read_text() == damaged


def test_no_index_is_an_error(tmp_path):
    result = run_cli("watch", "add", "w", "mri", "--index", str(tmp_path / "none"))
    assert result.exit_code == 2 and "run `imr-search index PATH` first" in result.stderr


def test_and_n_more_past_the_limit(watched_index):
    letters, index = watched_index
    run_cli("watch", "add", "all", "*", "--index", str(index))
    for name in REAL[3:6]:
        shutil.copy(GOLDEN / "real" / name, letters / name)
    index_paths([letters], index)
    new = sum(len(items_by_case()[name.removesuffix(".txt")]) for name in REAL[3:6])
    result = run_cli("watch", "run", "--limit", "2", "--index", str(index), "--no-color")
    assert result.exit_code == 0
    assert f"all: * · {new} new items" in result.stdout
    assert f"and {new - 2} more" in result.stdout


def test_an_index_from_before_first_indexed_times_reports_only_what_comes_after(tmp_path):
    """An index built before first-indexed times were recorded: its letters are old to a
    watch, through a rebuild too; a letter added later is new."""
    letters = tmp_path / "letters"
    letters.mkdir()
    for name in REAL[:3]:
        shutil.copy(GOLDEN / "real" / name, letters / name)
    index = tmp_path / "ix"
    index_paths([letters], index)
    for manifest in index.glob("store-*/manifest-*.json"):  # as an older version wrote it
        saved = json.loads(manifest.read_text())
        for entry in saved["files"].values():
            entry.pop("first_indexed", None)
        manifest.write_text(json.dumps(saved))
    assert run_cli("watch", "add", "w", "*", "--index", str(index)).exit_code == 0
    assert run_cli("watch", "run", "--index", str(index)).exit_code == 1
    index_paths([letters], index, rebuild=True)
    assert run_cli("watch", "run", "--index", str(index)).exit_code == 1
    shutil.copy(GOLDEN / "real" / REAL[3], letters / REAL[3])
    index_paths([letters], index)
    ran = run_cli("watch", "run", "--index", str(index), "-f", "json")
    summary = json.loads(ran.stdout.splitlines()[-1])
    added = [item for item in truth_items() if item.row["file"].endswith(REAL[3])]
    assert ran.exit_code == 0 and summary["new"] == len(added)


def test_adding_a_watch_says_how_its_query_is_read_as_query_does(watched_index):
    _, index = watched_index
    added = run_cli("watch", "add", "w", "pain /s chronic mri", "--index", str(index))
    assert added.exit_code == 0
    assert "note: the spaces between words are read as AND" in added.stderr
    plain = run_cli("watch", "add", "v", "pain /s chronic", "--index", str(index))
    assert "note:" not in plain.stderr
