"""The `imr-search` command: a thin layer over the library, one call per command."""

from __future__ import annotations

import os
import signal
import sys
import time
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from .indexer import IndexUnusable, default_index_dir, index_info, index_paths
from .letters import find_letter_files, read_letter_or_reason
from .render import print_letters, write_json_lines

app = typer.Typer(
    help="Search California workers' compensation Independent Medical Review decisions.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def imr_search() -> None:
    """Search California workers' compensation Independent Medical Review decisions."""


EXIT_OK, EXIT_ERROR = 0, 2


class ParseFormat(StrEnum):
    json = "json"
    table = "table"


def say(message: str) -> None:
    """One line on stderr, as every problem is told."""
    Console(stderr=True, highlight=False, soft_wrap=True).print(
        f"imr-search: {message}", markup=False
    )


def report_problem(path: Path | str, problem: str) -> None:
    say(f"{path}: {problem}")


@app.command()
def parse(
    paths: Annotated[list[Path], typer.Argument(help="Letter files (.txt, .pdf) or folders.")],
    format: Annotated[
        ParseFormat,
        typer.Option(
            "--format", "-f", help="json: JSON Lines, one letter a line; table: readable tables."
        ),
    ] = ParseFormat.json,
) -> None:
    """Parse letters into structured records (JSON Lines or tables).

    Every file is parsed even when others fail; each failure is one line on stderr, and
    the exit status is 2 when any file failed.
    """
    failed = False
    console = Console(highlight=False)
    for path in find_letter_files(paths):
        letter, reason = read_letter_or_reason(path)
        if letter is None:
            report_problem(path, reason)
            failed = True
            continue
        for warning in letter.warnings:
            report_problem(path, f"warning: {warning}")
        if format is ParseFormat.json:
            write_json_lines([letter.to_dict()], sys.stdout)
            sys.stdout.flush()
        else:
            print_letters([letter], console)
    raise typer.Exit(EXIT_ERROR if failed else EXIT_OK)


IndexOption = Annotated[
    Path | None,
    typer.Option("--index", help="Index folder [default: ./index, or $IMR_SEARCH_INDEX]."),
]


@app.command()
def index(
    paths: Annotated[list[Path], typer.Argument(help="Letter files (.txt, .pdf) or folders.")],
    index_dir: IndexOption = None,
    rebuild: Annotated[bool, typer.Option("--rebuild", help="Start a new index.")] = False,
    jobs: Annotated[
        int, typer.Option("--jobs", "-j", help="Parsing processes [default: one per core].")
    ] = 0,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only the summary.")] = False,
) -> None:
    """Index letters for searching; a re-run indexes only what changed.

    New and changed files are parsed and indexed, the letters of deleted files removed,
    the rest skipped. The same letter reached twice (by case number, or by content where
    it has none) is indexed once.
    """
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    index_dir = index_dir or default_index_dir()
    console = Console(highlight=False, soft_wrap=True)
    show_bar = not quiet and console.is_terminal
    bar = Progress(
        TextColumn("indexing"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]} letters/s"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        disable=not show_bar,
    )
    task = bar.add_task("files", total=None, rate="-")
    started = time.perf_counter()

    def progress(done: int, total: int) -> None:
        rate = done / max(time.perf_counter() - started, 1e-6)
        bar.update(task, completed=done, total=total, rate=f"{rate:.0f}")

    # Ctrl-C reaches every process of the terminal's group; forked workers (parsers, Whoosh
    # sub-writers) inherit this handler and ignore it, the parent stops the run cleanly.
    parent = os.getpid()

    def interrupt(signum, frame) -> None:
        if os.getpid() == parent:
            raise KeyboardInterrupt

    signal.signal(signal.SIGINT, interrupt)
    try:
        with bar:
            report = index_paths(paths, index_dir, rebuild=rebuild, jobs=jobs, progress=progress)
    except IndexUnusable as exc:
        say(str(exc))
        raise typer.Exit(EXIT_ERROR) from None
    except KeyboardInterrupt:
        say("interrupted; the index is as it was before this run")
        raise typer.Exit(130) from None
    print_index_report(report, console)
    raise typer.Exit(EXIT_ERROR if report.skipped else EXIT_OK)


DUPLICATES_SHOWN = 10


def print_index_report(report, console: Console) -> None:
    console.print(
        f"indexed {report.letters} letters, {report.items} items in {report.seconds:.1f} s: "
        f"{len(report.new)} new, {len(report.updated)} updated, {len(report.removed)} removed, "
        f"{report.unchanged} unchanged, {len(report.skipped)} skipped, "
        f"{len(report.duplicates)} duplicates",
        markup=False,
    )
    shown = list(report.duplicates.items())[:DUPLICATES_SHOWN]
    for path, kept in shown:
        console.print(f"  duplicate: {path} is the letter of {kept}; kept {kept}", markup=False)
    if len(report.duplicates) > len(shown):
        console.print(
            f"  ... and {len(report.duplicates) - len(shown)} more duplicates", markup=False
        )
    for path, reason in report.skipped.items():
        report_problem(path, f"skipped: {reason}")


@app.command()
def info(index_dir: IndexOption = None) -> None:
    """What an index holds: letters, items, decision dates, size, schema version."""
    index_dir = index_dir or default_index_dir()
    try:
        facts = index_info(index_dir)
    except IndexUnusable as exc:
        say(str(exc))
        raise typer.Exit(EXIT_ERROR) from None
    console = Console(highlight=False)
    for name, value in facts.items():
        console.print(f"{name.replace('_', ' ')}: {value}", markup=False)


def main() -> None:
    """The console script: the app, with any unforeseen error as one line, not a traceback."""
    try:
        app()
    except Exception as exc:  # noqa: BLE001
        say(f"internal error ({type(exc).__name__}: {exc})")
        sys.exit(EXIT_ERROR)
