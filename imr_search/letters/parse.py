"""Stage 3: clean text to a Letter.

A letter is split at its section headings (header table, "HOW THE IMR FINAL DETERMINATION
WAS MADE", "CLINICAL CASE SUMMARY", "IMR ISSUES, DECISIONS AND RATIONALES"); each section
has its own small reader below. Letters in the 2013 layout, which has none of these
headings, are read by `parse_2013_items`. Nothing here raises on odd input: what cannot be
read is left empty and named in `Letter.warnings`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from itertools import combinations
from pathlib import Path

from dateutil import parser as dateparser

from .clean import clean_text
from .models import OVERTURNED, UPHELD, Citation, Item, Letter

HOW_MADE = re.compile(r"^HOW THE IMR FINAL DETERMINATION WAS MADE$", re.M)
SUMMARY = re.compile(r"^CLINICAL CASE SUMMARY$", re.M)
ISSUES = re.compile(r"^IMR ISSUES, DECISIONS AND RATIONALES$", re.M)
SUMMARY_INTRO = re.compile(
    r"^The expert reviewer developed the following clinical case summary based on a review"
    r" of the\s+case file, including all medical records:\s*"
)
ISSUES_INTRO = re.compile(
    r"^The Final Determination was based on decisions for the disputed items/services set"
    r" forth below:\s*"
)

NOT_A_LETTER = "not an IMR determination letter: none of its section headings found"
DATE = r"\d{1,2}[/-]\d{1,2}[/-](?:\d{4}|\d{2})\b|[A-Z][a-z]{2,8}\.? \d{1,2},? \d{4}"


def parse_letter(text: str, source: str | Path = "") -> Letter:
    """The structured letter in `text` (raw or clean); `source` is its file path."""
    path = str(source)
    stem = Path(path).stem if path else ""
    lines = clean_text(text)
    warnings: list[str] = []

    how = HOW_MADE.search(lines)
    summary_at = SUMMARY.search(lines)
    issues_at = ISSUES.search(lines)
    if not (summary_at and issues_at) and "has determined the request for" in lines:
        return parse_2013_letter(lines, path, stem)
    if not (how or summary_at or issues_at):
        return Letter(
            case=stem,
            path=path,
            warnings=(NOT_A_LETTER,),
        )

    header_end = min(m.start() for m in (how, summary_at, issues_at) if m)
    header = read_header(lines[:header_end])
    credentials_text = lines[how.end() if how else 0 : summary_at.start() if summary_at else 0]
    if summary_at:
        summary_end = issues_at.start() if issues_at else len(lines)
        summary = SUMMARY_INTRO.sub("", lines[summary_at.end() : summary_end].strip())
    else:
        summary = ""
        warnings.append("no CLINICAL CASE SUMMARY section")
    summary = join_lines(summary)

    items: tuple[Item, ...] = ()
    if issues_at:
        issues = ISSUES_INTRO.sub("", lines[issues_at.end() :].strip())
        items = read_items(issues.split("\n"))
        if not items:
            warnings.append("no disputed items found in the IMR ISSUES section")
    else:
        warnings.append("no IMR ISSUES, DECISIONS AND RATIONALES section")

    states, specialties = read_credentials(credentials_text)
    if not states and not specialties:
        warnings.append("reviewer credentials not found")
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
        license_states=states,
        specialties=specialties,
        age=find_age(summary),
        sex=find_sex(summary),
        summary=summary,
        items=items,
        warnings=tuple(warnings),
    )


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
HEADER_CASE = re.compile(r"\bC[A-Z]\d{2}-\d{7}\b")
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
    case = HEADER_CASE.search(text)
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


# ---------------------------------------------------------------- items

OUTCOME_LINE = re.compile(r"(?:^|:)\s*(Upheld|Overturned)$")
BODY_LABEL = re.compile(
    r"^(?:Claims Administrator guideline|MAXIMUS guideline|Decision rationale)\s*:"
)
BODY_FIELDS = re.compile(
    r"(Claims Administrator guideline|MAXIMUS guideline|Decision rationale)\s*:\s*"
)
REQUEST_WITH = re.compile(r"\b(?:original request|IMR eligible)\b", re.I)
STORY_AUTHORIZED_BY = re.compile(
    r"^(?P<original>.+?) was the original request\.\s*(?P<authorized>.+?) was authorized by"
    r" the Claims Administrator\.\s*The remaining IMR eligible portion of the original"
    r" request(?: is)?,?\s*(?P<item>.+?)(?:\s+is)?\s*:?$",
    re.I,
)
STORY_LEAVING = re.compile(
    r"^(?P<original>.+?) was the original request\.\s*The Claims Administrator authorized"
    r" (?P<authorized>.+?),? leaving the original request IMR eligible\.\s*The original"
    r" request,?\s*(?P<item>.+?)(?:\s+is)?\s*:?$",
    re.I,
)


@dataclass(frozen=True)
class Heading:
    first_line: int
    outcome_line: int
    text: str
    outcome: str


def read_items(lines: list[str]) -> tuple[Item, ...]:
    """The disputed items of an IMR ISSUES section, in letter order."""
    lines = [line for line in lines if line.strip()]
    headings: list[Heading] = []
    floor = 0
    for index, line in enumerate(lines):
        outcome = OUTCOME_LINE.search(line)
        if not outcome or not opens_item_body(lines, index):
            continue
        first = heading_start(lines, index, floor)
        text = join_lines(" ".join(lines[first:index] + [line[: outcome.start()]]))
        headings.append(Heading(first, index, text.rstrip(" :"), outcome.group(1)))
        floor = index + 1
    items = []
    for position, heading in enumerate(headings, start=1):
        end = headings[position].first_line if position < len(headings) else len(lines)
        body = join_lines(" ".join(lines[heading.outcome_line + 1 : end]))
        items.append(make_item(position, heading, body))
    return tuple(items)


def opens_item_body(lines: list[str], index: int) -> bool:
    """An outcome line is a heading's end only where an item's body follows it."""
    return index + 1 == len(lines) or bool(BODY_LABEL.match(lines[index + 1]))


def heading_start(lines: list[str], outcome_line: int, floor: int) -> int:
    """First line of the heading that ends at `outcome_line`.

    A heading starts on a line of its own, after the previous item's rationale, whose last
    line ends a sentence. A heading told as a modified-request story ends sentences itself,
    so it extends back to the sentence that names the original request.
    """
    first = outcome_line
    if OUTCOME_LINE.fullmatch(lines[outcome_line].strip()) and first > floor:
        first -= 1  # the outcome alone on a line: the heading wrapped before it
    while first > floor and not ends_passage(lines[first - 1]):
        first -= 1
    heading = " ".join(lines[first : outcome_line + 1])
    if REQUEST_WITH.search(heading) and "was the original request" not in heading:
        while first > floor and not BODY_LABEL.match(lines[first - 1]):
            first -= 1
            if "was the original request" in lines[first]:
                break
        while first > floor and not ends_passage(lines[first - 1]):
            first -= 1
    return first


def ends_passage(line: str) -> bool:
    # Not a colon: a heading wraps after colons of its own ("..., DOS:" / "11/11/2016: Upheld").
    return line.endswith(".") or bool(BODY_LABEL.match(line))


def make_item(position: int, heading: Heading, body: str) -> Item:
    item, original, authorized = heading.text, None, None
    for story in (STORY_AUTHORIZED_BY, STORY_LEAVING):
        match = story.match(heading.text)
        if match:
            item = match.group("item").rstrip(" :")
            original = match.group("original").strip()
            authorized = match.group("authorized").strip()
            break
    fields = dict(zip(BODY_FIELDS.split(body)[1::2], BODY_FIELDS.split(body)[2::2], strict=True))
    return Item(
        position=position,
        item=item,
        outcome=heading.outcome,
        original_request=original,
        authorized=authorized,
        claims_guideline=Citation(text=fields.get("Claims Administrator guideline", "").strip()),
        maximus_guideline=Citation(text=fields.get("MAXIMUS guideline", "").strip()),
        rationale=fields.get("Decision rationale", "").strip(),
    )


# ---------------------------------------------------------------- 2013 layout

DECISION_2013 = re.compile(
    r"(?:^|\n)\s*(?P<no>\d+)\)\s*MAXIMUS Federal Services, Inc\. has determined the request"
    r" for (?P<item>.+?) is (?P<not>not ?)?medically necessary",
    re.S,
)
DATED_2013 = re.compile(r"Determination Dated:\s*(" + DATE + ")")
FILED_2013 = re.compile(r"Independent Medical Review was filed on\s*(" + DATE + ")")
UR_2013 = re.compile(r"Utilization Review Denial dated\s*(" + DATE + ")")
CASE_NUMBER = re.compile(r"\bC[A-Z]\d{2}-\d{7}\b")


def parse_2013_letter(text: str, path: str, stem: str) -> Letter:
    """A letter in the 2013 layout: numbered decisions, no Upheld/Overturned words."""
    items: dict[int, Item] = {}
    for match in DECISION_2013.finditer(text):
        number = int(match.group("no"))
        outcome = UPHELD if match.group("not") is not None else OVERTURNED
        items.setdefault(
            number, Item(position=number, item=join_lines(match.group("item")), outcome=outcome)
        )
    states, specialties = read_credentials(text)
    summary_at = re.search(r"^Case Summary:\s*$", text, re.M)
    summary = join_lines(text[summary_at.end() :]) if summary_at else ""
    case = CASE_NUMBER.search(text)

    def found(pattern: re.Pattern) -> date | None:
        match = pattern.search(text)
        return to_date(match.group(1)) if match else None

    return Letter(
        case=case.group() if case else stem,
        path=path,
        has_case_number=case is not None,
        decision_date=found(DATED_2013),
        application_received=found(FILED_2013),
        ur_denial_date=found(UR_2013),
        injury_date=find_injury_date(summary),
        license_states=states,
        specialties=specialties,
        age=find_age(summary),
        sex=find_sex(summary),
        summary=summary,
        items=tuple(items[number] for number in sorted(items)),
    )
