"""A parse health report: which letters parsed suspiciously, and how.

A user with 100,000 letters cannot read them all; these are the signs that a letter's text
was not read as it should have been, each found from the parsed letter alone.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ..fields import OVERTURNED, UPHELD
from .files import find_letter_files, read_letter_or_reason
from .models import Letter
from .parse import ITEM_WITHOUT_OUTCOME, NO_ISSUES, NO_SUMMARY, NOT_A_LETTER
from .pieces import in_order_of_events

UNREADABLE = "file could not be read"
NOT_RECOGNISED = "layout not recognised"
NO_ITEMS = "no items"
NO_OUTCOME = "item without an outcome"
LONG_HEADING = "item heading longer than any real one"
DATES_OUT_OF_ORDER = "header dates out of order"
PROBLEMS = (UNREADABLE, NOT_RECOGNISED, NO_ITEMS, NO_OUTCOME, LONG_HEADING, DATES_OUT_OF_ORDER)

# The longest item heading of the sample letters is 105 characters ("Acute inpatient
# rehabilitation physical therapy and occupational therapy 7-10 days for left foot
# fracture"); one far longer has swallowed text that is no heading.
LONGEST_HEADING = 150


@dataclass(frozen=True)
class Suspicion:
    path: str
    problem: str  # one of PROBLEMS
    detail: str = ""


@dataclass(frozen=True)
class CheckReport:
    letters: int  # files checked
    suspicions: tuple[Suspicion, ...]

    @property
    def counts(self) -> dict[str, int]:
        """Letters with each problem, in the order of PROBLEMS."""
        found = Counter(problem for _, problem in {(s.path, s.problem) for s in self.suspicions})
        return {problem: found[problem] for problem in PROBLEMS if found[problem]}


def check_letter(letter: Letter) -> list[Suspicion]:
    """What looks wrong in one parsed letter."""
    found = []
    missing = [warning for warning in letter.warnings if warning in (NO_SUMMARY, NO_ISSUES)]
    if missing:
        found.append(Suspicion(letter.path, NOT_RECOGNISED, "; ".join(missing)))
    # Items are found by their outcomes, so one without an outcome in the current layout
    # is known only from the parser's count of item bodies.
    if ITEM_WITHOUT_OUTCOME in letter.warnings:
        found.append(Suspicion(letter.path, NO_OUTCOME, ITEM_WITHOUT_OUTCOME))
    if not letter.items:
        found.append(Suspicion(letter.path, NO_ITEMS))
    for item in letter.items:
        if item.outcome not in (UPHELD, OVERTURNED):
            found.append(Suspicion(letter.path, NO_OUTCOME, f"item {item.position}: {item.item}"))
        if len(item.item) > LONGEST_HEADING:
            found.append(
                Suspicion(
                    letter.path,
                    LONG_HEADING,
                    f"item {item.position}: {len(item.item)} characters",
                )
            )
    dates = {
        name: getattr(letter, name)
        for name in (
            "injury_date",
            "ur_denial_date",
            "application_received",
            "date_assigned",
            "decision_date",
        )
    }
    if not in_order_of_events(dates):
        shown = ", ".join(f"{name} {day}" for name, day in dates.items() if day)
        found.append(Suspicion(letter.path, DATES_OUT_OF_ORDER, shown))
    return found


def check_files(paths: Iterable[Path]) -> CheckReport:
    """Every letter file under `paths`, parsed and checked; a file that yields no letter
    is a suspicion too, with its reason."""
    checked = 0
    suspicions: list[Suspicion] = []
    for path in find_letter_files(paths):
        checked += 1
        reading = read_letter_or_reason(path)
        letter, reason = reading.letter, reading.reason
        if letter is None:
            problem = NOT_RECOGNISED if reason == NOT_A_LETTER else UNREADABLE
            suspicions.append(
                Suspicion(str(path), problem, "" if reason == NOT_A_LETTER else reason)
            )
        else:
            suspicions += check_letter(letter)
    return CheckReport(checked, tuple(suspicions))
