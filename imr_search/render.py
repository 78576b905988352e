"""Output for a terminal: letters, search results, statistics and watches as rich tables
and panels (export.py writes them for other programs). Nothing here parses or searches."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from rich import box
from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from .fields import OVERTURNED, UPHELD
from .search import (
    Hit,
    OutcomeCounts,
    SearchResult,
    Snippet,
    StatsResult,
)

if TYPE_CHECKING:  # in annotations only: a query's table loads no letter records
    from .letters.models import Letter

OUTCOME_STYLE = {UPHELD: "bold red", OVERTURNED: "bold green"}


NO_OUTCOME_SHOWN = "(no outcome)"  # an item whose decision could not be read


def outcome_label(outcome: str) -> str:
    """An item's outcome in words, saying so when it has none."""
    return outcome or NO_OUTCOME_SHOWN


def outcome_text(outcome: str) -> Text:
    return Text(outcome_label(outcome), style=OUTCOME_STYLE.get(outcome, "yellow"))


def letter_facts(letter: Letter) -> list[tuple[str, str]]:
    """The facts of a letter's header that it states, label and value, in reading order
    (the source file apart: a page links it)."""
    rows = [
        ("Decision date", letter.decision_date),
        ("Date assigned", letter.date_assigned),
        ("Date of injury", letter.injury_date),
        ("UR denial date", letter.ur_denial_date),
        ("Application received", letter.application_received),
        ("Priority", letter.priority),
        ("Reviewer", ", ".join(letter.specialties)),
        ("Licensed in", ", ".join(letter.license_states)),
        ("Patient", " ".join(str(v) for v in (letter.age, letter.sex) if v)),
    ]
    return [(label, str(value)) for label, value in rows if value]


def letter_panel(letter: Letter) -> Panel:
    """A letter as a reader wants to see it: header facts, then one row per item."""
    facts = Table.grid(padding=(0, 2))
    facts.add_column(style="bold")
    facts.add_column(overflow="fold")  # a long path folds, never cut
    for label, value in [*letter_facts(letter), ("Source", letter.path)]:
        facts.add_row(label, value)
    items = Table(expand=True, show_lines=True)
    items.add_column("#", justify="right", width=3)
    items.add_column("Item", ratio=3, overflow="fold")
    # as wide as "Overturned": "evaluation and management" wraps
    items.add_column("Outcome / category", max_width=len("Overturned"))
    items.add_column("Guideline (MAXIMUS)", ratio=2, overflow="fold")
    for item in letter.items:
        described = Text(item.item)
        details = [
            item.drug,
            item.drug_class,
            item.dose,
            f"#{item.quantity}" if item.quantity else None,
        ]
        if item.drug:
            described.append("\n" + " · ".join(d for d in details if d), style="dim")
        if item.original_request:
            described.append(
                f"\noriginal request: {item.original_request}\nauthorized: {item.authorized}",
                style="dim",
            )
        cited = item.maximus_guideline
        guideline = ", ".join(cited.sources)
        if cited.sections:
            guideline += ": " + "; ".join(cited.sections)
        if cited.pages:
            guideline += " p. " + ", ".join(cited.pages)
        items.add_row(
            str(item.position),
            described,
            outcome_text(item.outcome) + Text(f"\n{item.category or ''}", style="dim"),
            guideline,
        )
    parts = [facts, items]
    parts += [Text(f"warning: {warning}", style="yellow") for warning in letter.warnings]
    return Panel(Group(*parts), title=Text(letter.case, style="bold"), title_align="left")


def print_letters(letters: Iterable[Letter], console: Console) -> None:
    for letter in letters:
        console.print(letter_panel(letter))


def letter_detail(letter: Letter) -> Group:
    """All of a letter as parsed, for reading: header facts, summary, then each item with
    its outcome, both sides' guidelines and the rationale."""
    parts: list = [letter_panel(letter)]
    if letter.summary:
        parts += [Text("\nClinical case summary", style="bold"), Text(letter.summary)]
    for item in letter.items:
        heading = Text(f"\n#{item.position} {item.item}: ", style="bold")
        parts.append(heading + outcome_text(item.outcome))
        for label, cited in (
            ("Cited by the claims administrator", item.claims_guideline),
            ("Cited by the reviewer", item.maximus_guideline),
        ):
            if cited.text:
                parts.append(Text(f"{label}: ", style="dim") + Text(cited.text))
        parts.append(Text(item.rationale))
    return Group(*parts)


# ---------------------------------------------------------------- search results

MARK_STYLE = "bold reverse"


def snippet_text(snippet: Snippet) -> Text:
    text = Text(snippet.text)
    for start, end in snippet.marks:
        text.stylize(MARK_STYLE, start, end)
    return text


# Below this many columns a table leaves out what it can show elsewhere (the specialty under
# the item, the rate's bar), so that what remains is not squeezed to a few letters a line.
WIDE = 100


def hits_table(
    hits: Iterable[Hit],
    width: int,
    title: str | None = None,
    of_letter: bool = False,
    indexed: list[str] | None = None,
) -> Table:
    """One row per hit: case and decision date (and the day its letter was `indexed`, when
    given), item number, outcome, specialty (under the item, narrower than WIDE), and the
    item with the matching sentence under it. A letter's own hits (`of_letter`) leave out
    what its title says."""
    table = Table(title=title, title_justify="left", expand=True, show_lines=True)
    own_column = not of_letter and width >= WIDE
    if not of_letter:
        table.add_column("Case / decided" + (" / indexed" if indexed else ""), no_wrap=True)
    table.add_column("#", justify="right", no_wrap=True)
    table.add_column("Outcome", no_wrap=True)
    if own_column:
        # (as wide as a long word, "Rehabilitation", so that words wrap whole)
        table.add_column("Specialty", min_width=14, max_width=18, overflow="fold")
    table.add_column("Item and matching text", ratio=4, overflow="fold")
    for at, hit in enumerate(hits):
        decided = hit.decision_date.isoformat() if hit.decision_date else ""
        if indexed:
            decided += f"\n{indexed[at][:10]}"
        specialties = ", ".join(hit.specialties)
        described = Text(hit.item, style="bold")
        if specialties and not of_letter and not own_column:
            described += Text("\n" + specialties, style="dim")
        described += Text("\n") + snippet_text(hit.snippet)
        cells = [str(hit.item_no), outcome_text(hit.outcome)]
        if not of_letter:
            cells.insert(0, f"{hit.case}\n{decided}")
        if own_column:
            cells.append(specialties)
        table.add_row(*cells, described)
    return table


def facet_table(name: str, counts: dict[str, int], total: int) -> Table:
    table = Table(title=name, title_justify="left")
    table.add_column(name)
    table.add_column("items", justify="right")
    table.add_column("share", justify="right")
    for value, count in counts.items():
        shown = outcome_text(value) if name == "outcome" else value
        table.add_row(shown, str(count), f"{count / total:.0%}" if total else "")
    return table


def print_search_result(result: SearchResult, console: Console) -> None:
    if result.letters is not None:
        for letter in result.letters:
            title = " · ".join(
                part
                for part in (
                    letter.case,
                    letter.decision_date.isoformat() if letter.decision_date else "",
                    ", ".join(letter.specialties),
                    letter.path,
                )
                if part
            )
            console.print(hits_table(letter.items, console.width, title=title, of_letter=True))
    elif result.hits:
        console.print(hits_table(result.hits, console.width))
    console.print(Text(result_summary(result)))
    if not result.total:
        return
    for name, counts in result.facets.items():
        console.print(facet_table(name, counts, result.total))


def result_summary(result: SearchResult) -> str:
    if result.letters is not None:
        first = (result.page - 1) * result.limit
        shown = f"letters {first + 1}-{first + len(result.letters)}" if result.letters else "none"
        return (
            f"{counted(result.total, 'item')} in {counted(result.total_letters, 'letter')} "
            f"{'matches' if result.total == 1 else 'match'}; "
            f"showing {shown} (page {result.page})"
        )
    if not result.total:
        return "no items match"
    first = (result.page - 1) * result.limit
    shown = f"{first + 1}-{first + len(result.hits)}" if result.hits else "none"
    verb = "matches" if result.total == 1 else "match"
    return f"{counted(result.total, 'item')} {verb}; showing {shown} (page {result.page})"


def counted(number: int, thing: str) -> str:
    """A count and its noun: 1 item, 2 items."""
    return f"{number} {thing}" if number == 1 else f"{number} {thing}s"


# ---------------------------------------------------------------- watches


def print_watch_runs(runs, console: Console) -> None:
    """Each watch: its name and query, its new hits, "and N more", their outcome counts."""
    for run in runs:
        watch = run.watch
        since = f"since {watch.seen[:19].replace('T', ' ')} UTC" if watch.seen else "ever"
        console.print(
            Text(f"{watch.name}: {watch.query}", style="bold")
            + Text(f" · {run.new or 'no'} new {'item' if run.new == 1 else 'items'} ({since})")
        )
        if not run.hits:
            continue
        hits = [new.hit for new in run.hits]
        console.print(hits_table(hits, console.width, indexed=[n.indexed for n in run.hits]))
        if run.new > len(run.hits):
            console.print(f"and {run.new - len(run.hits)} more")
        for name, counts in run.facets.items():
            console.print(facet_table(name, counts, run.new))


def print_watches(watches, console: Console) -> None:
    """`watch list`: one line a watch."""
    if not watches:
        console.print("no watches; add one with `imr-search watch add NAME QUERY`")
    for watch in watches:
        facets = "".join(f" --facet {name}" for name in watch.facets)
        ran = f"last run {watch.last_run}" if watch.last_run else "not run yet"
        console.print(f"{watch.name}: {watch.query}{facets} (added {watch.added}, {ran})")


# ---------------------------------------------------------------- outcome statistics

BAR_WIDTH = 12


def rate_bar(counts: OutcomeCounts) -> Text:
    """The overturn rate as a filled bar on a 0-100% scale, its 95% interval shaded."""
    bar = Text()
    if counts.rate is None:
        return bar
    low, high = counts.interval
    for cell in range(BAR_WIDTH):
        middle = (cell + 0.5) / BAR_WIDTH
        if middle <= counts.rate:
            bar.append("█", style=OUTCOME_STYLE[OVERTURNED])
        elif low <= middle <= high:
            bar.append("░", style="dim")
        else:
            bar.append("·", style="dim")
    return bar


def print_stats(result: StatsResult, console: Console) -> None:
    """The groups' overturn rates beside the rest's (or with `--measure days`, their days
    to a decision), then the total."""
    days = result.total_days is not None
    table = Table(
        title=f"{'days to decision' if days else 'overturn rates'}: {result.query}",
        title_justify="left",
        show_footer=True,
        box=box.SIMPLE_HEAD,
    )
    for index, name in enumerate(result.by):
        longest = max((len(group.values[name] or "") for group in result.groups), default=0)
        table.add_column(
            name,
            footer="total" if index == 0 else "",
            min_width=min(max(longest, len(name), 5), 14 if len(result.by) == 1 else 10),
            max_width=24,
            overflow="fold",
        )
    if days:
        print_days(result, table)
    else:
        print_rates(result, table, wide=console.width >= STATS_WIDE)
    console.print(table)


def print_rates(result: StatsResult, table: Table, wide: bool) -> None:
    total = result.total
    for header, footer in (
        ("items", str(total.items)),
        *([("upheld", str(total.upheld))] if wide else []),  # items less overturned
        ("overturned", str(total.overturned)),
        ("rate (95% CI)", rate_text(total)),
        (VERSUS_REST, ""),
    ):
        wraps = header in ("rate (95% CI)", VERSUS_REST)
        table.add_column(
            header,
            justify="right",
            footer=footer,
            no_wrap=not wraps,  # a rate wraps before its interval, which folds
            min_width=len("(10.0–90.0)") if wraps else None,
            overflow="fold",
        )
    if wide:
        table.add_column("0-100%", footer=rate_bar(total), no_wrap=True)
    for group in result.groups:
        counts = group.counts
        table.add_row(
            *group.values.values(),
            str(counts.items),
            *([str(counts.upheld)] if wide else []),
            str(counts.overturned),
            rate_text(counts),
            difference_text(group.difference),
            *([rate_bar(counts)] if wide else []),
        )


VERSUS_REST = "vs rest (95% CI)"
# Below this many columns the rates table leaves out the bar and the upheld count (items
# less overturned): as WIDE, with room for the difference from the rest.
STATS_WIDE = WIDE + 12


def difference_text(difference: tuple[float, float, float] | None) -> str:
    """ "+12.3 (-1.2–25.0)": a group's rate less the rest's and its 95% interval, in
    percentage points."""
    if difference is None:
        return ""
    value, low, high = (100 * part for part in difference)
    return f"{value:+.1f} ({low:.1f}–{high:.1f})".replace("-", "−")


SPAN_HEADERS = {"received": "days from application", "denied": "days from UR denial"}


def print_days(result: StatsResult, table: Table) -> None:
    for span, header in SPAN_HEADERS.items():
        table.add_column(
            header,
            justify="right",
            footer=spread_text(result.total_days[span]),
            min_width=len("(10.0–90.0)"),
            overflow="fold",
        )
    table.add_column("letters", justify="right", footer=str(letters_measured(result.total_days)))
    for group in result.groups:
        table.add_row(
            *group.values.values(),
            *(spread_text(group.days[span]) for span in SPAN_HEADERS),
            str(letters_measured(group.days)),
        )


def letters_measured(days) -> int:
    return max(spread.letters for spread in days.values())


def spread_text(spread) -> str:
    """ "28 (23–35)": the median days and the quartiles around it."""
    if spread.quartiles is None:
        return ""
    low, median, high = spread.quartiles
    return f"{median:g} ({low:g}–{high:g})"


def rate_text(counts: OutcomeCounts) -> str:
    """ "4.2% (0.7-20.2)": the overturn rate and its 95% interval, in percent."""
    if counts.interval is None:
        return ""
    low, high = counts.interval
    return f"{counts.rate:.1%} ({low * 100:.1f}–{high * 100:.1f})"


def print_check_report(report, console: Console) -> None:
    """`parse --check`: a line a suspicion, then the count of letters with each problem."""
    for suspicion in report.suspicions:
        detail = f" ({suspicion.detail})" if suspicion.detail else ""
        console.print(f"{suspicion.path}: {suspicion.problem}{detail}")
    suspicious = len({suspicion.path for suspicion in report.suspicions})
    console.print(f"{report.letters} letters checked, {suspicious or 'none'} suspicious")
    for problem, letters in report.counts.items():
        console.print(f"  {problem}: {letters}")
