"""Stage 3: clean text to a Letter.

A letter is split at its section headings (header table, "HOW THE IMR FINAL DETERMINATION
WAS MADE", "CLINICAL CASE SUMMARY", "IMR ISSUES, DECISIONS AND RATIONALES"); each section
has its own small reader below. Letters in the 2013 layout, which has none of these
headings, are read by `parse_2013_items`. Nothing here raises on odd input: what cannot be
read is left empty and named in `Letter.warnings`.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from .clean import clean_text
from .models import Item, Letter
from .older import parse_older_letter, recognise
from .pieces import BODY_LABEL, body_item, header_letter, join_lines, read_credentials, read_header

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
NO_SUMMARY = "no CLINICAL CASE SUMMARY section"
NO_ISSUES = "no IMR ISSUES, DECISIONS AND RATIONALES section"
ITEM_WITHOUT_OUTCOME = "an item's body without a heading that ends in its outcome"


def parse_letter(text: str, source: str | Path = "") -> Letter:
    """The structured letter in `text` (raw or clean); `source` is its file path."""
    path = str(source)
    stem = Path(path).stem if path else ""
    lines = clean_text(text)
    warnings: list[str] = []

    how = HOW_MADE.search(lines)
    summary_at = SUMMARY.search(lines)
    issues_at = ISSUES.search(lines)
    if not issues_at and (older := recognise(lines)):
        return parse_older_letter(lines, older, path, stem)
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
        warnings.append(NO_SUMMARY)
    summary = join_lines(summary)

    items: tuple[Item, ...] = ()
    if issues_at:
        issues = ISSUES_INTRO.sub("", lines[issues_at.end() :].strip())
        items = read_items(issues.split("\n"))
        if not items:
            warnings.append("no disputed items found in the IMR ISSUES section")
        elif count_item_bodies(issues) > len(items):
            warnings.append(ITEM_WITHOUT_OUTCOME)
    else:
        warnings.append(NO_ISSUES)

    credentials = read_credentials(credentials_text)
    return header_letter(header, credentials, summary, items, warnings, path, stem)


# ---------------------------------------------------------------- items

OUTCOME_LINE = re.compile(r"(?:^|:)\s*(Upheld|Overturned)$")
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


def count_item_bodies(issues: str) -> int:
    """How many items the section's bodies tell of. An item is found by its outcome, so
    one whose outcome is missing is lost silently, its body taken for the previous
    item's; every body has each of its labels once, at a line's start."""
    return max(Counter(BODY_LABEL.findall(issues)).values(), default=0)


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
    return body_item(position, item, heading.outcome, body, original, authorized)
