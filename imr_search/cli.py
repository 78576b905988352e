"""The `imr-search` command: a thin layer over the library, one call per command."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from .letters import LetterError, find_letter_files, read_letter
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


EXIT_OK, EXIT_NOTHING, EXIT_ERROR = 0, 1, 2


class ParseFormat(StrEnum):
    json = "json"
    table = "table"


def error_console() -> Console:
    return Console(stderr=True, highlight=False, soft_wrap=True)


def report(path: Path | str, problem: str) -> None:
    error_console().print(f"imr-search: {path}: {problem}", markup=False)


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
        try:
            letter = read_letter(path)
        except LetterError as exc:
            report(path, str(exc))
            failed = True
            continue
        except Exception as exc:  # noqa: BLE001 - one line per file, never a traceback
            report(path, f"unexpected error ({type(exc).__name__}: {exc})")
            failed = True
            continue
        for warning in letter.warnings:
            report(path, f"warning: {warning}")
        if format is ParseFormat.json:
            write_json_lines([letter.to_dict()], sys.stdout)
            sys.stdout.flush()
        else:
            print_letters([letter], console)
    raise typer.Exit(EXIT_ERROR if failed else EXIT_OK)
