"""The `imr-search` command: a thin layer over the library, one call per command."""

import gc
import inspect
import os
import signal
import sys
import time
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from .fields import BY_NAME, GROUP_FIELDS
from .sorting import DEFAULT_LIMIT, Sort

if TYPE_CHECKING:
    from rich.console import Console

# A command imports what it uses when it runs, so that `--help` imports no engine and a
# JSON query no rich tables, PDF library or parser (benchmarks/startup.py measures it).
# Annotations here are objects, not strings (no `from __future__ import annotations`):
# typer reads every command's at each start, and strings it would evaluate (7 ms).

app = typer.Typer(
    help="Search California workers' compensation Independent Medical Review decisions.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # Plain help, as click writes it: rich's would import rich for every `--help` (0.5 s
    # against 0.1 s), and it reads "[default: ...]" in a help text as markup.
    rich_markup_mode=None,
)


# The commands that can run for minutes, with the cycle collector on.
RUNS_LONG = frozenset({"index", "parse", "serve"})


@app.callback()
def imr_search(ctx: typer.Context) -> None:
    """Search California workers' compensation Independent Medical Review decisions."""
    if ctx.invoked_subcommand in RUNS_LONG:
        gc.enable()  # the console script starts every command without it


# As ripgrep: 0 found, 1 nothing found, 2 error.
EXIT_OK, EXIT_NOTHING, EXIT_ERROR = 0, 1, 2


class ParseFormat(StrEnum):
    json = "json"
    table = "table"


class ResultFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


class Measure(StrEnum):
    rate = "rate"
    days = "days"


class HitFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"
    cite = "cite"


def say(message: str) -> None:
    """One line on stderr, as every problem is told."""
    print(f"imr-search: {message}", file=sys.stderr, flush=True)


@contextmanager
def reported(query_text: str | None = None):
    """The library's refusals as one line on stderr and the exit status each calls for:
    1 for what is not there, 2 for a bad query or an unusable index."""
    from .engine.store import IndexUnusable
    from .search import NotFound, QueryError, query_problem

    try:
        yield
    except NotFound as exc:
        say(str(exc))
        raise typer.Exit(EXIT_NOTHING) from None
    except QueryError as exc:
        say(query_problem(query_text, exc) if query_text is not None else str(exc))
        raise typer.Exit(EXIT_ERROR) from None
    except IndexUnusable as exc:
        say(str(exc))
        raise typer.Exit(EXIT_ERROR) from None


def say_reading(result) -> None:
    """How the query was read where another search would read it otherwise, and what a
    query that matched nothing may have meant, when there is anything."""
    for note in result.notes:
        say(f"note: {note}")
    if result.suggestions:
        say(f"no items match; did you mean {' or '.join(result.suggestions)}?")


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
    check: Annotated[
        bool,
        typer.Option(
            "--check",
            help="Instead of the records, list the letters that parsed suspiciously, with"
            " counts per problem; exit status 2 when any did.",
        ),
    ] = False,
) -> None:
    """Parse letters into structured records (JSON Lines or tables).

    Every file is parsed even when others fail; each failure is one line on stderr, and
    the exit status is 2 when any file failed.
    """
    from .export import write_json_lines
    from .letters.files import find_letter_files, read_letter_or_reason
    from .render import print_check_report, print_letters

    if check:
        from .letters.check import check_files

        report = check_files(paths)
        print_check_report(report, output_console(soft_wrap=True))
        raise typer.Exit(EXIT_ERROR if report.suspicions else EXIT_OK)

    failed = False
    console = output_console()
    for path in find_letter_files(paths):
        reading = read_letter_or_reason(path)
        letter = reading.letter
        if letter is None:
            report_problem(path, reading.reason)
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
        int,
        typer.Option(
            "--jobs",
            "-j",
            help="Writer processes for 1,000 files or more [default: one per core].",
            show_default=False,
            min=0,
        ),
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

    from .indexer import index_paths

    index_dir = index_dir or default_index_dir()
    console = output_console(soft_wrap=True)
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

    # Ctrl-C reaches every process of the terminal's group; forked writer processes inherit
    # this handler and ignore it, the parent stops the run cleanly.
    parent = os.getpid()

    def interrupt(signum, frame) -> None:
        if os.getpid() == parent:
            raise KeyboardInterrupt

    signal.signal(signal.SIGINT, interrupt)
    try:
        with reported(), bar:
            report = index_paths(paths, index_dir, rebuild=rebuild, jobs=jobs, progress=progress)
    except KeyboardInterrupt:
        say("interrupted; the index is as it was before this run")
        raise typer.Exit(130) from None
    print_index_report(report, console)
    raise typer.Exit(EXIT_ERROR if report.skipped else EXIT_OK)


DUPLICATES_SHOWN = 10


def print_index_report(report, console: "Console") -> None:
    from .render import counted

    console.print(
        f"indexed {counted(report.letters, 'letter')}, {counted(report.items, 'item')} in "
        f"{report.seconds:.1f} s: "
        f"{len(report.new)} new, {len(report.updated)} updated, {len(report.removed)} removed, "
        f"{report.unchanged} unchanged, {len(report.skipped)} skipped, "
        f"{len(report.duplicates)} duplicates",
    )
    shown = list(report.duplicates.items())[:DUPLICATES_SHOWN]
    for path, kept in shown:
        console.print(f"  duplicate: {path} is the letter of {kept}; kept {kept}")
    if len(report.duplicates) > len(shown):
        console.print(f"  ... and {len(report.duplicates) - len(shown)} more duplicates")
    for path, reason in report.skipped.items():
        report_problem(path, f"skipped: {reason}")


@app.command()
def info(index_dir: IndexOption = None) -> None:
    """What an index holds: letters, items, decision dates, size, schema version."""
    from .indexer import index_info

    with reported():
        facts = index_info(index_dir or default_index_dir())
    console = output_console()
    for name, value in facts.items():
        console.print(f"{name.replace('_', ' ')}: {value}")


# Every item is counted by outcome already.
GROUPS = ", ".join(
    f"{name} (in bands of {BY_NAME[name].band})" if BY_NAME[name].band else name
    for name in GROUP_FIELDS
)

NoColorOption = Annotated[
    bool, typer.Option("--no-color", help="Plain output (as with NO_COLOR set, or when piped).")
]


FacetOption = Annotated[
    list[str] | None,
    typer.Option(
        "--facet",
        "-F",
        help=f"Count matching items by a field (repeatable): {GROUPS}. Outcome is always counted.",
    ),
]
FormatOption = Annotated[
    HitFormat,
    typer.Option(
        "--format",
        "-f",
        help="table; json: JSON Lines, hits then a summary; csv: hits; cite: each hit as a "
        "brief cites it.",
    ),
]


def output_console(no_color: bool = False, soft_wrap: bool = False) -> "Console":
    """Where a command prints for people. Nothing printed is read as rich markup or emoji
    codes: what letters and folders say ("[copy]", "[/]", ":pill:") is shown as written."""
    from rich.console import Console

    return Console(
        highlight=False, markup=False, emoji=False, no_color=no_color or None, soft_wrap=soft_wrap
    )


def default_index_dir() -> Path:
    from .engine.store import default_index_dir as from_the_environment

    return from_the_environment()


@app.command()
def query(
    query_text: Annotated[
        str,
        typer.Argument(
            metavar="QUERY",
            help="What to find, e.g. '\"acute exacerbation\" AND outcome:Upheld'; see README.",
        ),
    ],
    index_dir: IndexOption = None,
    limit: Annotated[
        int | None,
        typer.Option(
            "--limit", "-n", help=f"Items (or letters) a page [default: {DEFAULT_LIMIT}]."
        ),
    ] = None,
    page: Annotated[
        int | None, typer.Option("--page", "-p", help="Which page, from 1 [default: 1].")
    ] = None,
    sort: Annotated[
        Sort,
        typer.Option("--sort", help="relevance; decided: oldest first; -decided: newest first."),
    ] = Sort.relevance,
    facet: FacetOption = None,
    letters: Annotated[
        bool, typer.Option("--letters", help="One row per letter, its matching items under it.")
    ] = False,
    format: FormatOption = HitFormat.table,
    explain: Annotated[
        bool, typer.Option("--explain", help="Print how the query was read (on stderr).")
    ] = False,
    every: Annotated[
        bool,
        typer.Option(
            "--all",
            help="Every matching item, not a page (with --format csv or json), written as "
            "it is read.",
        ),
    ] = False,
    no_color: NoColorOption = False,
) -> None:
    """Find items: the matching items, ranked, with the sentence that matched, and counts.

    Exit status: 0 when something matched, 1 when nothing did, 2 on an error.
    """
    from .search import search

    if every:
        if limit is not None or page is not None:
            say("--all writes every item, not a page: leave out --limit and --page")
            raise typer.Exit(EXIT_ERROR)
        export_every_hit(query_text, index_dir, sort, facet, letters, format, explain)
    with reported(query_text):
        result = search(
            index_dir or default_index_dir(),
            query_text,
            limit=DEFAULT_LIMIT if limit is None else limit,
            page=1 if page is None else page,
            sort=sort,
            facets=tuple(facet or ()),
            letters=letters,
        )
    if explain:
        say(f"query read as: {result.explained}")
    say_reading(result)
    write_result(result, format, no_color)


def export_every_hit(query_text, index_dir, sort, facet, letters, format, explain) -> None:
    """`query --all`: every hit as CSV, JSON Lines or citations, each written as it is
    read."""
    from .search import every_hit

    if letters or format is HitFormat.table:
        say("--all writes every item as --format csv, json or cite, without --letters")
        raise typer.Exit(EXIT_ERROR)
    with (
        reported(query_text),
        every_hit(
            index_dir or default_index_dir(), query_text, sort=sort, facets=tuple(facet or ())
        ) as result,
    ):
        if explain:
            say(f"query read as: {result.explained}")
        say_reading(result)
        write_as(format, True, result, HITS, result.total)


HITS, STATS = "hits", "stats"  # what a result holds, for `write_as`


def write_result(result, format: HitFormat, no_color: bool) -> None:
    """Hits as asked, then the exit status: 0 when something matched, else 1."""
    write_as(format, no_color, result, HITS, found=result.total > 0)


def write_as(format, no_color: bool, result, holds: str, found: bool) -> None:
    """`result` (HITS or STATS) as `format` asks: a rich table, or lines for programs;
    then exit 0 when something was `found`, else 1."""
    if format == "table":
        from .render import print_search_result, print_stats

        table = {HITS: print_search_result, STATS: print_stats}[holds]
        table(result, output_console(no_color))
    else:
        from . import export

        lines = {
            (HITS, "json"): export.write_search_json,
            (HITS, "csv"): export.write_search_csv,
            (HITS, "cite"): export.write_citations,
            (STATS, "json"): export.write_stats_json,
            (STATS, "csv"): export.write_stats_csv,
        }
        lines[holds, format](result, sys.stdout)
    raise typer.Exit(EXIT_OK if found else EXIT_NOTHING)


@app.command()
def stats(
    query_text: Annotated[
        str, typer.Argument(metavar="QUERY", help="Which items to count, as for `query`.")
    ],
    by: Annotated[
        list[str],
        typer.Option(
            "--by",
            "-b",
            help=f"Group by this field (once or twice): {GROUPS}.",
        ),
    ],
    minimum: Annotated[
        int, typer.Option("--min", help='Fold groups of fewer items into "other".')
    ] = 1,
    measure: Annotated[
        Measure,
        typer.Option(
            "--measure",
            help="rate: overturn rates, each group beside the rest; days: days from the "
            "application and from the UR denial to the decision (median and quartiles).",
        ),
    ] = Measure.rate,
    index_dir: IndexOption = None,
    format: Annotated[
        ResultFormat,
        typer.Option("--format", "-f", help="table; json: JSON Lines, groups then totals; csv."),
    ] = ResultFormat.table,
    no_color: NoColorOption = False,
) -> None:
    """How often denials are overturned: items, upheld, overturned and the overturn rate
    with its 95% Wilson interval, for the items matching QUERY, by one or two fields; each
    group's rate less the rest's, with its 95% interval (Newcombe's); or how many days
    decisions took.

    Exit status: 0 when something matched, 1 when nothing did, 2 on an error.
    """
    from .search import stats as stats_of

    with reported(query_text):
        result = stats_of(
            index_dir or default_index_dir(),
            query_text,
            tuple(by),
            minimum,
            days=measure is Measure.days,
        )
    say_reading(result)
    write_as(format, no_color, result, STATS, found=result.total.items > 0)


@app.command()
def similar(
    reference: Annotated[
        str | None,
        typer.Argument(
            metavar="CASE[#ITEM]",
            help="The item to match, e.g. CM16-0230651#9 (the item number may be left out "
            "for a letter of one item).",
            show_default=False,
        ),
    ] = None,
    document: Annotated[
        Path | None,
        typer.Option(
            "--file",
            help="Instead, a document not in the index (.txt or .pdf): a UR denial, a request "
            "for authorization, a physician's report, an IMR letter.",
            show_default=False,
        ),
    ] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", help="How many decisions.")] = 10,
    index_dir: IndexOption = None,
    format: FormatOption = HitFormat.table,
    no_color: NoColorOption = False,
) -> None:
    """The decisions of other letters most like one item: its item text, rationale and the
    letter's summary, and the same drug and kind of treatment; with their outcome counts.
    With --file, the decisions most like a document that is not in the index.

    Exit status: 0 when something matched, 1 when nothing did, 2 on an error.
    """
    from .search import read_reference, similar_to_file
    from .search import similar as similar_to

    if (reference is None) == (document is None):
        say("similar takes CASE[#ITEM] or --file PATH (one of them)")
        raise typer.Exit(EXIT_ERROR)
    with reported():
        if document is not None:
            result = similar_to_file(index_dir or default_index_dir(), document, limit=limit)
        else:
            case, item = read_reference(reference)
            result = similar_to(index_dir or default_index_dir(), case, item, limit=limit)
    write_result(result, format, no_color)


@app.command()
def show(
    case: Annotated[str, typer.Argument(help="The case number, as query results show it.")],
    item: Annotated[
        int | None, typer.Option("--item", "-i", help="Only this item (its number).")
    ] = None,
    index_dir: IndexOption = None,
    format: Annotated[
        ParseFormat, typer.Option("--format", "-f", help="table: for reading; json: the record.")
    ] = ParseFormat.table,
    no_color: NoColorOption = False,
) -> None:
    """Show a whole letter as parsed: dates, reviewer, summary, each item's outcome,
    guidelines and rationale, and its source file."""
    from .search.letter import find_letter

    with reported():
        letter, warnings = find_letter(index_dir or default_index_dir(), case, item)
    for warning in warnings:
        say(f"warning: {warning}")
    if format is ParseFormat.json:
        from .export import write_json_lines

        write_json_lines([letter.to_dict()], sys.stdout)
    else:
        from .render import letter_detail

        output_console(no_color).print(letter_detail(letter))


@app.command()
def serve(
    index_dir: IndexOption = None,
    host: Annotated[
        str,
        typer.Option(
            "--host", help="Address to listen on; any but 127.0.0.1 lets in others on the network."
        ),
    ] = "127.0.0.1",
    port: Annotated[
        int, typer.Option("--port", help="Port to listen on (0: any free one).", min=0, max=65535)
    ] = 8765,
    open_page: Annotated[
        bool, typer.Option("--open", help="Open the page in the default browser.")
    ] = False,
) -> None:
    """A local web page over the index: search with facets, filters and exports, overturn
    rates as a chart, whole letters, and a JSON API. Read-only; Ctrl-C stops it."""
    import webbrowser

    from .indexer import index_info
    from .web import make_server
    from .web.app import is_loopback

    index_dir = index_dir or default_index_dir()
    with reported():
        index_info(index_dir)  # a missing or unusable index is told now, not at each page
    try:
        server = make_server(index_dir, host, port)
    except OSError as exc:
        say(f"cannot listen on {host}:{port}: {exc.strerror or exc}")
        raise typer.Exit(EXIT_ERROR) from None
    except ValueError:  # waitress's word for an address no resolver knows
        say(f"cannot listen on {host}:{port}: no such address")
        raise typer.Exit(EXIT_ERROR) from None
    shown_host = f"[{host}]" if ":" in host else host
    url = f"http://{shown_host}:{server.effective_port}/"
    console = output_console(soft_wrap=True)
    console.print(f"serving {index_dir} at {url} (Ctrl-C stops)")
    if not is_loopback(host):
        say(
            f"listening on {host}, not on this machine alone: anyone who can reach it "
            "can read the index"
        )
    if open_page:
        webbrowser.open(url)
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()


watch_app = typer.Typer(
    help="Saved searches that report the items of newly indexed letters.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(watch_app, name="watch")


@watch_app.command("add")
def watch_add(
    name: Annotated[str, typer.Argument(help="A name for the search, e.g. flexeril-ortho.")],
    query_text: Annotated[
        str, typer.Argument(metavar="QUERY", help="What to watch for, as for `query`.")
    ],
    facet: FacetOption = None,
    index_dir: IndexOption = None,
) -> None:
    """Save a search: its query is checked as `query` checks it, and from now on `watch run`
    reports the matching items of letters indexed after this."""
    from .search.watch import add_watch

    with reported(query_text):
        watch = add_watch(index_dir or default_index_dir(), name, query_text, tuple(facet or ()))
    for note in watch.notes:
        say(f"note: {note}")
    output_console().print(f"watching {watch.name}: {watch.query}")


@watch_app.command("list")
def watch_list(index_dir: IndexOption = None) -> None:
    """The saved searches, with when each was added and last run."""
    from .render import print_watches
    from .search.watch import list_watches

    with reported():
        watches = list_watches(index_dir or default_index_dir())
    print_watches(watches, output_console(soft_wrap=True))


@watch_app.command("remove")
def watch_remove(
    name: Annotated[str, typer.Argument(help="The saved search to remove.")],
    index_dir: IndexOption = None,
) -> None:
    """Remove a saved search."""
    from .search.watch import remove_watch

    with reported():
        remove_watch(index_dir or default_index_dir(), name)


@watch_app.command("run")
def watch_run(
    names: Annotated[
        list[str] | None, typer.Argument(metavar="[NAME]...", help="Which (default: all).")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", help="Hits shown per search.")] = 10,
    index_dir: IndexOption = None,
    format: Annotated[
        ParseFormat,
        typer.Option("--format", "-f", help="table; json: JSON Lines, hits then a line a search."),
    ] = ParseFormat.table,
    no_color: NoColorOption = False,
) -> None:
    """Report the items matching each saved search among letters first indexed since it
    was added or last ran (by when a letter was indexed, not its decision date).

    Exit status: 0 when something is new, 1 when nothing is, 2 on an error; for cron.
    """
    from .search.watch import run_watches

    with reported():
        runs = run_watches(index_dir or default_index_dir(), tuple(names or ()), limit)
    if not runs:
        say("no watches to run; add one with `imr-search watch add NAME QUERY`")
    if format is ParseFormat.json:
        from .export import write_watch_json

        write_watch_json(runs, sys.stdout)
    else:
        from .render import print_watch_runs

        print_watch_runs(runs, output_console(no_color))
    raise typer.Exit(EXIT_OK if any(run.new for run in runs) else EXIT_NOTHING)


def reflowed(doc: str) -> str:
    """A docstring's paragraphs each on one line, for the help to wrap at the terminal's
    width (typer keeps a docstring's line breaks, which then break lines mid-sentence)."""
    return "\n\n".join(" ".join(part.split()) for part in inspect.cleandoc(doc).split("\n\n"))


for registered in [*app.registered_commands, *watch_app.registered_commands]:
    registered.help = reflowed(registered.callback.__doc__ or "")


def main() -> None:
    """The console script: the app, with any unforeseen error as one line, not a traceback."""
    from .whoosh_pin import WrongWhoosh

    try:
        app()
    except WrongWhoosh as exc:  # found when a command first imports the engine
        say(str(exc))
        sys.exit(EXIT_ERROR)
    except Exception as exc:  # noqa: BLE001
        say(f"internal error ({type(exc).__name__}: {exc})")
        sys.exit(EXIT_ERROR)
