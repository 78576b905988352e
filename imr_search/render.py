"""Output: letters and results as JSON Lines or rich tables. Nothing here parses or searches."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import IO

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from .models import OVERTURNED, UPHELD, Letter

OUTCOME_STYLE = {UPHELD: "bold red", OVERTURNED: "bold green"}


def write_json_lines(records: Iterable[dict], out: IO[str]) -> None:
    for record in records:
        out.write(json.dumps(record, ensure_ascii=False) + "\n")


def outcome_text(outcome: str) -> Text:
    return Text(outcome, style=OUTCOME_STYLE.get(outcome, "yellow"))


def letter_panel(letter: Letter) -> Panel:
    """A letter as a reader wants to see it: header facts, then one row per item."""
    facts = Table.grid(padding=(0, 2))
    facts.add_column(style="bold")
    facts.add_column()
    rows = [
        ("Decision date", letter.decision_date),
        ("Date assigned", letter.date_assigned),
        ("Date of injury", letter.injury_date),
        ("UR denial date", letter.ur_denial_date),
        ("Application received", letter.application_received),
        ("Reviewer", ", ".join(letter.specialties)),
        ("Licensed in", ", ".join(letter.license_states)),
        ("Patient", " ".join(str(v) for v in (letter.age, letter.sex) if v)),
        ("Source", letter.path),
    ]
    for label, value in rows:
        if value:
            facts.add_row(label, str(value))
    items = Table(expand=True, show_lines=True)
    items.add_column("#", justify="right", width=3)
    items.add_column("Item", ratio=3)
    items.add_column("Outcome")
    items.add_column("Category")
    items.add_column("Guideline (MAXIMUS)", ratio=2)
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
            outcome_text(item.outcome),
            item.category or "",
            guideline,
        )
    parts = [facts, items]
    parts += [Text(f"warning: {warning}", style="yellow") for warning in letter.warnings]
    return Panel(Group(*parts), title=Text(letter.case, style="bold"), title_align="left")


def print_letters(letters: Iterable[Letter], console: Console) -> None:
    for letter in letters:
        console.print(letter_panel(letter))
