"""Tables stay readable on narrow terminals: at 80 and 60 columns no cell is cut to "…"
or cropped at the screen's edge, every word of what the table shows is there whole (words
longer than their column fold, so only short words are checked), and nothing is wider
than the screen."""

import itertools
import json
import re
import shutil

import pytest
from typer.testing import CliRunner

from imr_search.cli import app

WIDTHS = [80, 60]
SHORT = 9  # words up to this long fit any column the tables give them


def run(width: int, *args: str):
    result = CliRunner(env={"COLUMNS": str(width), "NO_COLOR": "1"}).invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


def words_of(*texts: str) -> set[str]:
    return {w for text in texts for w in re.findall(r"[\w.%()–-]+", text) if len(w) <= SHORT}


def shown_whole(width: int, table: str, words: set[str]) -> None:
    assert "…" not in table
    assert all(len(line) <= width for line in table.splitlines())
    missing = {word for word in words if not re.search(rf"(?<![\w.]){re.escape(word)}", table)}
    assert not missing, missing


@pytest.mark.parametrize("width", WIDTHS)
def test_query_table(index_dir, width):
    args = ["query", "mri OR flexeril", "--index", str(index_dir), "-n", "5"]
    hits = [json.loads(line) for line in run(200, *args, "-f", "json").splitlines()][:-1]
    words = words_of(*(f"{h['case']} {h['outcome']} {h['item']}" for h in hits))
    words |= words_of(*(", ".join(h["specialties"]) for h in hits))
    shown_whole(width, run(width, *args), words)


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("by", [["specialty"], ["specialty", "category"]])
def test_stats_table(index_dir, width, by):
    args = [
        "stats",
        "*",
        "--index",
        str(index_dir),
        *[part for name in by for part in ("--by", name)],
    ]
    groups = [json.loads(line) for line in run(200, *args, "-f", "json").splitlines()][:-1]
    words = words_of(*(" ".join(g["group"].values()) for g in groups))
    words |= {f"{g['rate']:.1%}" for g in groups if g["rate"] is not None}
    shown_whole(width, run(width, *args), words)


@pytest.mark.parametrize("width", WIDTHS)
def test_letter_tables(index_dir, width):
    letter = json.loads(run(200, "show", "CM16-0230651", "--index", str(index_dir), "-f", "json"))
    words = words_of(*(f"{item['item']} {item['outcome']}" for item in letter["items"]))
    shown_whole(width, run(width, "show", "CM16-0230651", "--index", str(index_dir)), words)


@pytest.mark.parametrize("width", WIDTHS)
def test_a_letter_from_a_deep_folder(tmp_path, width):
    """However long the source file's path, it folds; nothing else is cut for it."""
    from .conftest import CORPUS

    deep = tmp_path / ("folder-" * 12) / ("letters-" * 8)
    deep.mkdir(parents=True)
    shutil.copy(CORPUS / "CM16-0230651.pdf", deep)
    run(200, "index", str(deep), "--index", str(tmp_path / "ix"))
    letter = json.loads(
        run(200, "show", "CM16-0230651", "--index", str(tmp_path / "ix"), "-f", "json")
    )
    words = words_of(*(f"{item['item']} {item['outcome']}" for item in letter["items"]))
    shown_whole(width, run(width, "show", "CM16-0230651", "--index", str(tmp_path / "ix")), words)


COMMANDS = ["parse", "index", "query", "stats", "similar", "show", "info"]


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("command", COMMANDS)
def test_help_wraps_its_paragraphs_at_the_screen_width(width, command):
    """Each line of a help paragraph is filled: the next line's first word did not fit."""
    shown = run(width, command, "--help")
    prose = re.split(r"\n(?:Arguments|Options):", shown.split("Usage:")[1])[0].splitlines()[1:]
    paragraphs = [[]]
    for line in prose:
        if line.strip():
            paragraphs[-1].append(line.strip())
        elif paragraphs[-1]:
            paragraphs.append([])
    text_width = width - 4  # click's help: two columns left free, the prose indented by two
    for lines in paragraphs:
        for line, following in itertools.pairwise(lines):
            assert len(line) + 1 + len(following.split()[0]) > text_width, (line, following)


@pytest.mark.parametrize("command", COMMANDS)
def test_help_shows_every_default(command):
    """Each option's default, from the command's own parameters, is in its help: "[default:
    10]", or the words its help gives for a default worked out when it runs."""
    import typer.main

    cli_command = typer.main.get_command(app).commands[command]
    shown = " ".join(run(200, command, "--help").replace("│", " ").split())
    checked = 0
    for param in cli_command.params:
        default = param.default
        if default in (None, False, ()) or getattr(param, "show_default", True) is False:
            written = re.findall(r"\[default: [^\]]*\]", getattr(param, "help", "") or "")
        else:
            written = [f"[default: {getattr(default, 'value', default)}]"]
        for text in written:
            assert " ".join(text.split()) in shown, (param.name, text)
            checked += 1
    assert checked or command in ("parse", "info", "show"), command
