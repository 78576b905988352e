"""What every layout's letter says in the same words: dates, the header table, the
reviewer's credentials, the summary's facts about the worker, an item's body fields.

The readers of each layout (parse.py, older.py) find where these stand; the functions here
read them.
"""

from __future__ import annotations

import re
from datetime import date
from functools import lru_cache
from itertools import combinations

from dateutil import parser as dateparser

from .models import Citation, Item, Letter

DATE = r"\d{1,2}[/-]\d{1,2}[/-](?:\d{4}|\d{2})\b|[A-Z][a-z]{2,8}\.? \d{1,2},? \d{4}"
# Case numbers in every form seen: "CM16-0230651" and, in early 2013, "IMR 13-000004".
CASE_NUMBER = re.compile(r"\bC[A-Z]\d{2}-\d{7}\b|\bIMR \d{2}-\d{6}\b")


def join_lines(text: str) -> str:
    """Lines of one passage as a single line of prose."""
    return " ".join(text.split())


@lru_cache(maxsize=8192)  # letters repeat their dates; dateutil took a third of parsing
def to_date(value: str) -> date | None:
    """An ISO date from the many ways letters write one; None when it is no date."""
    try:
        parsed = dateparser.parse(value, dayfirst=False, fuzzy=False)
    except (ValueError, OverflowError):
        return None
    # Two-digit years are pivoted by dateutil around today; an injury is never in the future.
    if parsed.date() > date.today():
        parsed = parsed.replace(year=parsed.year - 100)
    return parsed.date()


# ---------------------------------------------------------------- header table

DATE_LABELS = {
    "Date Assigned:": "date_assigned",
    "Decision Date:": "decision_date",
    "Date of Injury:": "injury_date",
    "UR Denial Date:": "ur_denial_date",
    "Application": "application_received",
}
HEADER_TOKEN = re.compile(
    r"(?P<label>Date Assigned:|Decision Date:|Date of Injury:|UR Denial Date:|Application)"
    r"|(?P<date>\b\d{1,2}/\d{1,2}/\d{4}\b)"
)
HEADER_PRIORITY = re.compile(r"\b(?:Standard|Expedited|Urgent)\b")
# The order of events a letter records, in each column of its header table: each date is
# on or after the one before it.
DATE_ORDER = (
    ("injury_date", "ur_denial_date", "application_received"),
    ("date_assigned", "decision_date"),
)


def read_header(text: str) -> dict:
    """Header table fields, whatever the extractor did to the table.

    pdftotext prints all labels of a column and then their values; `-layout`, `-raw` and
    pypdfium2 put a label and its value on one row; pdfminer.six puts some values before
    their labels. In every shape the dates come in the order of their labels, so the n-th
    date is the n-th date label's. Where a value is missing or a stray date is there, the
    pairings kept are those in that order that the order of events allows (DATE_ORDER),
    and a date is read where they all agree on it; the others are left unread.
    """
    labels: list[str] = []
    dates: list[date] = []
    for token in HEADER_TOKEN.finditer(text):
        if token.group("label"):
            labels.append(DATE_LABELS[token.group()])
        elif (day := to_date(token.group())) is not None:
            dates.append(day)
    fields: dict = dict(match_dates(labels, dates))
    case = CASE_NUMBER.search(text)
    if case:
        fields["case"] = case.group()
    priority = HEADER_PRIORITY.search(text)
    if priority:
        fields["priority"] = priority.group()
    return fields


def match_dates(labels: list[str], dates: list[date]) -> dict[str, date]:
    """Each date label's date: the order-keeping pairing, or what all such pairings that
    the order of events allows agree on."""
    if len(labels) == len(dates):
        return dict(zip(labels, dates, strict=True))
    if abs(len(labels) - len(dates)) > 2:  # not the header table of any layout known
        return {}
    shorter, longer = sorted((labels, dates), key=len)
    pairings = [
        dict(zip(labels, chosen, strict=True))
        if longer is dates
        else dict(zip(chosen, dates, strict=True))
        for chosen in combinations(longer, len(shorter))
    ]
    allowed = [pairing for pairing in pairings if in_order_of_events(pairing)]
    if not allowed:
        return {}
    # What every allowed pairing agrees on is known; the rest is left unread.
    return {
        name: day for name, day in allowed[0].items() if all(p.get(name) == day for p in allowed)
    }


def in_order_of_events(fields: dict) -> bool:
    for chain in DATE_ORDER:
        days = [fields[name] for name in chain if fields.get(name)]
        if days != sorted(days):
            return False
    return True


# ---------------------------------------------------------------- reviewer

LICENSURE = re.compile(r"State\(s\) of Licensure:(.*)")
SPECIALTY = re.compile(r"Certification\(s\)/Specialty:(.*)", re.S)
BOARD_SENTENCE = re.compile(
    r"Board Certified in (?P<board>.+?)(?:,? (?:has|with) (?:a )?subspecialt(?:y|ies) in"
    r" (?P<sub>.+?))?,? and is licensed to practice in (?P<states>.+?)\.",
    re.S,
)
LIST_SPLIT = re.compile(r"\s*,\s*(?:and\s+)?|\s+and\s+")


def read_credentials(text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(license states, specialties) from either credential style."""
    licensure = LICENSURE.search(text)
    if licensure:
        states = split_list(licensure.group(1), LIST_SPLIT)
        specialty = SPECIALTY.search(text)
        specialties = split_list(join_lines(specialty.group(1)), ",") if specialty else ()
        return states, specialties
    sentence = BOARD_SENTENCE.search(join_lines(text))
    if not sentence:
        return (), ()
    specialties = [sentence.group("board")]
    if sentence.group("sub"):
        specialties += split_list(sentence.group("sub"), LIST_SPLIT)
    return split_list(sentence.group("states"), LIST_SPLIT), tuple(specialties)


def split_list(text: str, separator: str | re.Pattern) -> tuple[str, ...]:
    parts = (
        re.split(separator, text) if isinstance(separator, re.Pattern) else text.split(separator)
    )
    return tuple(part.strip(" .;") for part in parts if part.strip(" .;"))


# ---------------------------------------------------------------- summary facts

AGE = re.compile(r"\b(\d{1,3})[- ]years?[- ]old\b", re.I)
SEX_WORD = re.compile(r"\b(male|female|man|woman|gentleman|lady)\b", re.I)
SEX_OF = {
    "male": "male",
    "man": "male",
    "gentleman": "male",
    "female": "female",
    "woman": "female",
    "lady": "female",
}
HE = re.compile(r"\b(?:he|his|him|himself)\b", re.I)
SHE = re.compile(r"\b(?:she|her|hers|herself)\b", re.I)
INJURY_DATE = re.compile(
    r"(?:date of injury|injury date|DOI)\W{0,3}(?:(?:of|on|was|is|from)\s+)?(?P<d1>" + DATE + ")"
    r"|injur(?:y|ed)\s+(?:on|of|dated)\s+(?P<d2>" + DATE + ")"
    r"|claim\s+from\s+(?P<d3>" + DATE + ")",
    re.I,
)


def find_age(summary: str) -> int | None:
    match = AGE.search(summary)
    return int(match.group(1)) if match and 0 < int(match.group(1)) < 120 else None


def find_sex(summary: str) -> str | None:
    """The sex the summary states, else the one its pronouns agree on."""
    match = SEX_WORD.search(summary)
    if match:
        return SEX_OF[match.group(1).lower()]
    prose = re.sub(r"\b(?:he|his|him)/(?:she|her|hers)\b", "", summary, flags=re.I)
    he, she = len(HE.findall(prose)), len(SHE.findall(prose))
    if he > 2 * she:
        return "male"
    if she > 2 * he:
        return "female"
    return None


def find_injury_date(summary: str) -> date | None:
    match = INJURY_DATE.search(summary)
    if not match:
        return None
    return to_date(next(group for group in match.groups() if group))


# ---------------------------------------------------------------- an item's body

BODY_LABELS = "Claims Administrator guideline|MAXIMUS guideline|Decision rationale"
BODY_LABEL = re.compile(rf"^({BODY_LABELS})\s*:", re.M)  # a label at a line's start
BODY_FIELDS = re.compile(rf"({BODY_LABELS})\s*:\s*")


def body_item(
    position: int,
    item: str,
    outcome: str,
    body: str,
    original: str | None = None,
    authorized: str | None = None,
) -> Item:
    """An item with its body's fields (`body` as one line): both sides' guidelines and
    the rationale."""
    parts = BODY_FIELDS.split(body)
    fields = dict(zip(parts[1::2], parts[2::2], strict=True))
    return Item(
        position=position,
        item=item,
        outcome=outcome,
        original_request=original,
        authorized=authorized,
        claims_guideline=Citation(text=fields.get("Claims Administrator guideline", "").strip()),
        maximus_guideline=Citation(text=fields.get("MAXIMUS guideline", "").strip()),
        rationale=fields.get("Decision rationale", "").strip(),
    )


def header_letter(
    header: dict,
    credentials: tuple[tuple[str, ...], tuple[str, ...]],
    summary: str,
    items: tuple[Item, ...],
    warnings: list[str],
    path: str,
    stem: str,
) -> Letter:
    """The letter of a layout with a header table: its fields, else the summary's facts."""
    if not any(credentials):
        warnings = [*warnings, "reviewer credentials not found"]
    case = header.get("case")
    return Letter(
        case=case or stem,
        path=path,
        has_case_number=case is not None,
        date_assigned=header.get("date_assigned"),
        decision_date=header.get("decision_date"),
        injury_date=header.get("injury_date") or find_injury_date(summary),
        ur_denial_date=header.get("ur_denial_date"),
        application_received=header.get("application_received"),
        priority=header.get("priority"),
        license_states=credentials[0],
        specialties=credentials[1],
        age=find_age(summary),
        sex=find_sex(summary),
        summary=summary,
        items=items,
        warnings=tuple(warnings),
    )
