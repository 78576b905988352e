"""The layouts before the one the samples show, read from their section structure.

No letter of these layouts is at hand but a 2013 excerpt, so each is read from what its
sections are, never from one letter's wording:

- 2013: numbered decisions, "1) MAXIMUS Federal Services, Inc. has determined the request
  for X is not medically necessary", before any section; "Medical Qualifications of the
  Expert Reviewer:" and "Case Summary:".
- MAXIMUS (2014-15): "MAXIMUS FEDERAL SERVICES, INC." / "Independent Medical Review", the
  sections HOW THE IMR FINAL DETERMINATION WAS MADE, DOCUMENTS REVIEWED, CLINICAL CASE
  SUMMARY and IMR DECISION(S) AND RATIONALE(S), whose numbered items ("1." or "1)") state
  their decision in words, each followed by the guideline and rationale fields.
- Professional review: "MEDICAL PROFESSIONAL REVIEW", the sections ISSUE AT DISPUTE:, CASE
  SUMMARY:, DOCUMENTS REVIEWED FOR DETERMINATION:, MEDICAL TREATMENT GUIDELINE(S) RELIED
  UPON BY PROFESSIONAL REVIEWER AND WHY:, RATIONALE FOR WHY THE REQUESTED TREATMENT/SERVICE
  IS/WAS NOT MEDICALLY NECESSARY: and MEDICAL REVIEWER QUALIFICATIONS:.

"X is not medically necessary" is the denial upheld, "X is medically necessary" the denial
overturned: opposite findings, told apart by the one word. An item whose decision is in no
such words gets no outcome (""), which the parse check reports, rather than a guess.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..fields import OVERTURNED, UPHELD
from .models import Citation, Item, Letter
from .pieces import (
    BODY_FIELDS,
    CASE_NUMBER,
    DATE,
    body_item,
    header_letter,
    join_lines,
    read_credentials,
    read_header,
    to_date,
)

NO_OUTCOME = ""


def heading(words: str) -> re.Pattern:
    """A section heading at a line's start, a line break allowed between any two words."""
    return re.compile(r"^" + r"\s+".join(map(re.escape, words.split())), re.M)


@dataclass(frozen=True)
class Layout:
    name: str
    marker: str  # the section whose heading tells a letter of this layout from the others
    sections: tuple[tuple[str, re.Pattern], ...]

    def is_in(self, text: str) -> bool:
        return dict(self.sections)[self.marker].search(text) is not None


MAXIMUS_2014 = Layout(
    "MAXIMUS 2014-15",
    "decisions",
    (
        ("how", heading("HOW THE IMR FINAL DETERMINATION WAS MADE")),
        ("documents", heading("DOCUMENTS REVIEWED")),
        ("summary", heading("CLINICAL CASE SUMMARY")),
        ("decisions", heading("IMR DECISION(S) AND RATIONALE(S)")),
    ),
)
PROFESSIONAL_REVIEW = Layout(
    "medical professional review",
    "issues",
    (
        ("issues", heading("ISSUE AT DISPUTE:")),
        ("summary", heading("CASE SUMMARY:")),
        ("documents", heading("DOCUMENTS REVIEWED FOR DETERMINATION:")),
        (
            "guidelines",
            heading("MEDICAL TREATMENT GUIDELINE(S) RELIED UPON BY PROFESSIONAL REVIEWER AND WHY:"),
        ),
        (
            "rationale",
            heading(
                "RATIONALE FOR WHY THE REQUESTED TREATMENT/SERVICE IS/WAS NOT MEDICALLY NECESSARY:"
            ),
        ),
        ("qualifications", heading("MEDICAL REVIEWER QUALIFICATIONS:")),
    ),
)
DECISION_WORDS_2013 = "has determined the request for"


def sections_of(text: str, layout: Layout) -> dict[str, str]:
    """Each section's text, from its heading to the next heading found."""
    found = sorted(
        (match.start(), match.end(), name)
        for name, pattern in layout.sections
        if (match := pattern.search(text))
    )
    ends = [start for start, _, _ in found[1:]] + [len(text)]
    return {name: text[body:end].strip() for (_, body, name), end in zip(found, ends, strict=True)}


# ---------------------------------------------------------------- decisions in words

NUMBERED = re.compile(r"^(\d{1,2})[.)]\s+", re.M)
DECISION = re.compile(r"\s+(?:is|was)\s+(?P<not>not\s*)?medically\s+necessary\b", re.I)
# What comes before the item's name in a decision sentence.
REQUEST_LEAD = re.compile(r"^.*?\b(?:the\s+)?request(?:ed)?(?:\s+for)?\s+", re.I | re.S)


@dataclass(frozen=True)
class Decision:
    number: int
    item: str
    outcome: str  # UPHELD, OVERTURNED, or NO_OUTCOME where no decision words were found
    body: str  # what follows the decision sentence


def read_decision(number: int, text: str) -> Decision:
    """A numbered item's name and outcome from its decision sentence."""
    said = DECISION.search(text)
    if not said:
        first_line = text.split("\n", 1)[0]
        return Decision(number, join_lines(first_line).rstrip(" .:?"), NO_OUTCOME, text)
    item = REQUEST_LEAD.sub("", text[: said.start()])
    outcome = UPHELD if said.group("not") is not None else OVERTURNED
    body = text[said.end() :].split(".", 1)[1] if "." in text[said.end() :] else ""
    return Decision(number, join_lines(item).strip(" ,"), outcome, body.strip())


def numbered_decisions(text: str, stated_only: bool) -> list[Decision]:
    """The numbered items of a section ("1." or "1)"), in order.

    A number starts an item only where it is the next number: a list inside a rationale
    starts again at 1, and a 2013 letter's list, given twice, is read once. With
    `stated_only`, only where the item states its decision before its body fields.
    """
    starts: list[re.Match] = []
    for match in NUMBERED.finditer(text):
        if int(match.group(1)) != len(starts) + 1:
            continue
        if stated_only and not states_decision(text[match.end() :]):
            continue
        starts.append(match)
    if not starts:
        return [read_decision(1, text)] if text and not stated_only else []
    ends = [match.start() for match in starts[1:]] + [len(text)]
    return [
        read_decision(number, text[match.end() : end].strip())
        for number, (match, end) in enumerate(zip(starts, ends, strict=True), start=1)
    ]


def states_decision(text: str) -> bool:
    """Whether the decision words come before the body fields and the next number."""
    stop = min(
        (found.start() for found in (BODY_FIELDS.search(text), NUMBERED.search(text)) if found),
        default=len(text),
    )
    return DECISION.search(text, 0, stop) is not None


# ---------------------------------------------------------------- the three layouts


def recognise(text: str) -> Layout | str | None:
    """Which older layout `text` is in: a Layout, "2013", or None for none of them."""
    for layout in (PROFESSIONAL_REVIEW, MAXIMUS_2014):
        if layout.is_in(text):
            return layout
    return "2013" if DECISION_WORDS_2013 in text else None


def parse_older_letter(text: str, layout: Layout | str, path: str, stem: str) -> Letter:
    if layout == "2013":
        return parse_2013_letter(text, path, stem)
    sections = sections_of(text, layout)
    first = min(
        pattern.search(text).start() for _, pattern in layout.sections if pattern.search(text)
    )
    header = read_header(text[:first])
    summary = join_lines(sections.get("summary", ""))
    warnings: list[str] = []
    if layout is MAXIMUS_2014:
        decisions = numbered_decisions(sections.get("decisions", ""), stated_only=True)
        items = tuple(
            body_item(position, d.item, d.outcome, join_lines(d.body))
            for position, d in enumerate(decisions, start=1)
        )
        credentials = read_credentials(sections.get("how", ""))
    else:
        items = professional_review_items(sections)
        credentials = read_credentials(sections.get("qualifications", ""))
    if not items:
        warnings.append(f"no disputed items found in the {layout.name} layout")
    if "case" not in header and (case := found_case(text)):
        header = {**header, "case": case}
    return header_letter(header, credentials, summary, items, warnings, path, stem)


def professional_review_items(sections: dict[str, str]) -> tuple[Item, ...]:
    """Items from ISSUE AT DISPUTE; an issue that states no decision takes it from the
    rationale's item of the same number (or the rationale's one decision, for one item)."""
    issues = numbered_decisions(sections.get("issues", ""), stated_only=False)
    rationale = sections.get("rationale", "")
    decided = {d.number: d for d in numbered_decisions(rationale, stated_only=False)}
    guideline = Citation(text=join_lines(sections.get("guidelines", "")))
    items = []
    for position, issue in enumerate(issues, start=1):
        outcome = issue.outcome
        ruling = decided.get(issue.number) if len(issues) > 1 else None
        if outcome == NO_OUTCOME:
            if ruling is None and len(issues) == 1:
                said = DECISION.search(rationale)
                if said:
                    outcome = UPHELD if said.group("not") is not None else OVERTURNED
            elif ruling is not None:
                outcome = ruling.outcome
        text = join_lines(ruling.body if ruling else rationale)
        items.append(
            Item(
                position=position,
                item=issue.item,
                outcome=outcome,
                maximus_guideline=guideline,
                rationale=text,
            )
        )
    return tuple(items)


def found_case(text: str) -> str | None:
    case = CASE_NUMBER.search(text)
    return case.group() if case else None


DATES_2013 = {
    "decision_date": re.compile(r"Determination Dated:\s*(" + DATE + ")"),
    "application_received": re.compile(r"Independent Medical Review was filed on\s*(" + DATE + ")"),
    "ur_denial_date": re.compile(r"Utilization Review Denial dated\s*(" + DATE + ")"),
}
SUMMARY_2013 = re.compile(r"^Case Summary:\s*$", re.M)


def parse_2013_letter(text: str, path: str, stem: str) -> Letter:
    """A letter in the 2013 layout: numbered decisions, no Upheld/Overturned words."""
    decisions = numbered_decisions(text, stated_only=True)
    summary_at = SUMMARY_2013.search(text)
    summary = join_lines(text[summary_at.end() :]) if summary_at else ""
    header = {
        name: to_date(match.group(1))
        for name, pattern in DATES_2013.items()
        if (match := pattern.search(text))
    }
    if case := found_case(text):
        header["case"] = case
    items = tuple(Item(position=d.number, item=d.item, outcome=d.outcome) for d in decisions)
    return header_letter(header, read_credentials(text), summary, items, [], path, stem)
