"""Stage 4: what a letter says, made searchable.

Per item: the drug (generic name and class, from `data/drugs.csv`), dose, quantity,
treatment category, and both guideline citations read into sources, sections and pages.
"""

from __future__ import annotations

import re
from dataclasses import replace
from functools import cache, lru_cache

from .drugs import Drug, drug_names
from .models import Citation, Item, Letter

CATEGORIES = (
    "medication",
    "imaging",
    "therapy",
    "injection",
    "surgery",
    "equipment",
    "testing",
    "program",
    "behavioral",
    "evaluation and management",
    "other",
)
GUIDELINE_SOURCES = ("MTUS", "ACOEM", "ODG", "Non-MTUS", "none")


def enrich_letter(letter: Letter) -> Letter:
    return replace(letter, items=tuple(enrich_item(item) for item in letter.items))


def enrich_item(item: Item) -> Item:
    drug, drug_class = find_drug(item.item)
    return replace(
        item,
        drug=drug,
        drug_class=drug_class,
        dose=find_dose(item.item),
        quantity=find_quantity(item.item),
        category="medication" if drug else categorise(item.item),
        claims_guideline=read_citation(item.claims_guideline.text),
        maximus_guideline=read_citation(item.maximus_guideline.text),
    )


# ---------------------------------------------------------------- drugs


@cache
def drug_pattern() -> re.Pattern:
    """One pattern for every name of the drug table, the longest first ("Voltaren Gel"
    before "Voltaren")."""
    names = sorted(drug_names(), key=len, reverse=True)
    return re.compile(r"(?<![\w-])(?:" + "|".join(map(re.escape, names)) + r")(?![\w-])", re.I)


COMPOUND_HINT = re.compile(r"%|\bcompound|\bcream\b|\bgel\b|\bointment\b|\bgrams?\b|\d\s*g\b", re.I)


@lru_cache(maxsize=4096)  # items are named the same way in letter after letter
def find_drug(text: str) -> tuple[str | None, str | None]:
    """(generic, class) of the drug an item names; compounds get all their generics."""
    by_name, pattern = drug_names(), drug_pattern()
    found: list[Drug] = []
    for match in pattern.finditer(text):
        drug = by_name[match.group().lower()]
        if drug not in found:
            found.append(drug)
    if not found:
        return None, None
    if len(found) > 1 and COMPOUND_HINT.search(text):
        return " / ".join(d.generic for d in found), "compounded topical analgesic"
    return found[0].generic, found[0].drug_class


DOSE = re.compile(
    r"(?<![\w/.])(\d+(?:\.\d+)?(?:\s*/\s*\d+(?:\.\d+)?)*)\s*"
    r"(mg|mcg|µg|g|gm|grams?|ml|mL|%|units?|iu)(?![a-z])",
    re.I,
)
QUANTITY = re.compile(r"#\s*(\d+)|\b(?:qty|quantity)\s*:?\s*(\d+)", re.I)


def find_dose(text: str) -> str | None:
    """The strength as written, spaced the same way each time: "10/325 mg", "5 %"."""
    match = DOSE.search(text)
    if not match:
        return None
    amount = re.sub(r"\s+", "", match.group(1))
    unit = match.group(2).lower()
    unit = {"gm": "g", "gram": "g", "grams": "g", "ml": "mL", "unit": "units"}.get(unit, unit)
    return f"{amount}{unit}" if unit == "%" else f"{amount} {unit}"


def find_quantity(text: str) -> int | None:
    match = QUANTITY.search(text)
    return int(match.group(1) or match.group(2)) if match else None


# ---------------------------------------------------------------- category

# First match wins, so the specific comes before the general ("myofascial release" is a
# therapy, not a release surgery; a "cold compression therapy rental" is equipment).
CATEGORY_RULES: tuple[tuple[str, str], ...] = (
    (
        "medication",
        r"\b(?:medications?|prescriptions?|tablets?|capsules?|refills?|\d+\s*mg"
        r"|topical|compound(?:ed)?|cream|ointment|patch(?:es)?)\b",
    ),
    (
        "imaging",
        r"\b(?:MRI|MRA|CT|CAT scan|x-?rays?|radiographs?|bone scan|imaging|arthrogram"
        r"|myelogram|discogram|ultrasound (?:of|guided)|diagnostic ultrasound|scan)\b",
    ),
    (
        "testing",
        r"\b(?:EMG|NCV|NCS|electrodiagnostic|labs?|laboratory|EKG|ECG|CBC|UA|PT/PTT"
        r"|chem panel|urine drug (?:screen|test)|UDS|drug screen|psychological testing"
        r"|testing|tests?|sleep study|polysomnogra\w*|functional capacity evaluation"
        r"|FCE|medical clearance|blood work|panel)\b",
    ),
    (
        "therapy",
        r"\b(?:physical therapy|occupational therapy|chiropractic|acupuncture"
        r"|manipulation|myofascial|massage|aquatic therapy|PT|OT)\b",
    ),
    # Office visits, follow-up visits, consultations and referrals: the service the state's
    # yearly reports find most often overturned. After the therapies, whose sessions are
    # visits too; before surgery, as a consultation with a surgeon is no operation.
    (
        "evaluation and management",
        r"\b(?:evaluation and management|E&M|E/M|office visits?|follow[- ]?up (?:visits?"
        r"|appointments?|evaluations?|with)|consult(?:ation)?s?|referrals?|refer(?:red)? to"
        r"|initial (?:exam(?:ination)?|evaluation|visit)s?|re-?evaluations?)\b",
    ),
    (
        "injection",
        r"\b(?:injections?|inject\w*|blocks?|epidural|ESI|trigger points?"
        r"|radiofrequency|ablation|rhizotomy|viscosupplement\w*|PRP)\b",
    ),
    (
        "surgery",
        r"\b(?:surgery|surgical|surgeon|arthroscop\w*|repair|reconstruction|fusion"
        r"|decompression|arthroplasty|replacement|release|ORIF|open reduction"
        r"|internal fixation|\w+ectomy|\w+otomy|\w+plasty|implant\w*|excision"
        r"|debridement|spinal cord stimulator)\b",
    ),
    (
        "equipment",
        r"\b(?:DME|durable medical equipment|wheelchair|commode|chair|walker|cane"
        r"|crutch\w*|brace|splint|orthotic\w*|orthosis|sling|ultrasling|wraps?|pads?"
        r"|pillow|units?|TENS|H-wave|interferential|rental|purchase|mattress|bed"
        r"|cold therapy|hot/cold|cryotherapy|vascutherm|kit|device|supplies|collar"
        r"|lumbar support|shower|tub|scooter|stimulator)\b",
    ),
    (
        "program",
        r"\b(?:program|functional restoration|gym|membership|pool|home health"
        r"|skilled nursing|nursing facility|work hardening|work conditioning"
        r"|detox\w*|weight loss|aftercare|transportation|housekeeping)\b",
    ),
    (
        "behavioral",
        r"\b(?:psych\w*|cognitive behavioral|CBT|biofeedback|counsel\w*"
        r"|behavioral|mental health|hypnotherapy)\b",
    ),
    (
        "therapy",
        r"\b(?:therapy|therap\w+|rehabilitation|rehab|stimulation|ultrasound|heat"
        r"|traction|exercise|sessions?|visits?|treatments?)\b",
    ),
)
CATEGORY_PATTERNS = tuple((name, re.compile(rule, re.I)) for name, rule in CATEGORY_RULES)
# Context that says nothing about the treatment itself.
ITEM_PREFIX = re.compile(
    r"^(?:associated surgical service|retrospective|retro|prospective"
    r"|request)\s*:?\s*",
    re.I,
)


def categorise(text: str) -> str:
    """The treatment category of an item's text (one of CATEGORIES)."""
    bare = ITEM_PREFIX.sub("", text)
    for name, pattern in CATEGORY_PATTERNS:
        if pattern.search(bare):
            return name
    return "other"


# ---------------------------------------------------------------- guideline citations

NOTHING_CITED = re.compile(r"did not cite any (?:medical )?evidence", re.I)
CLAUSE = re.compile(r"Decision based on\s+", re.I)
# "Page(s): 63-66", "page(s) 63-66; page 124", "Page 63-66 of 127", "pg. 607"
PAGES = re.compile(
    r"\b(?:pages?|pg)\.?(?:\(s\))?\s*:?\s*(?:pages?(?:\(s\))?\s*)?"
    r"(?P<list>\d+(?:\s*[-–]\s*\d+)?(?:\s*[,;]\s*(?:pages?\s*)?\d+(?:\s*[-–]\s*\d+)?)*)"
    r"(?:\s+of\s+\d+)?",
    re.I,
)
PAGE_RANGE = re.compile(r"\d+(?:\s*[-–]\s*\d+)?")
# One MTUS clause may cite several parts, each a title with its year: "Low Back Complaints
# 2004, Section(s): Summary, and Chronic Pain Medical Treatment 2016, Section(s): Facet blocks".
MTUS_PART = re.compile(
    r"(?P<title>[A-Z][^.]*?)\s+(?:19|20)\d\d\b(?:,?\s*Section\(s\):\s*(?P<sections>.+?))?"
    r"(?=,?\s+and\s+[A-Z][^.]*?\s(?:19|20)\d\d\b|$)"
)
SECTIONS = re.compile(r"Section\(?s?\)?\s*:\s*(.+)", re.I)
ODG = re.compile(r"Official Disability Guidelines|\bODG\b", re.I)
ACOEM = re.compile(r"\bACOEM\b", re.I)
TITLE = re.compile(
    r"^(?:Non-MTUS Citation\s*)?(?:MTUS\s*)?(?:ACOEM\s*(?:Occupational Medicine Practice"
    r" Guidelines)?|Official Disability Guidelines\s*(?:\(ODG\))?|ODG)?\s*"
    r"(?:(?:Chronic Pain|Acupuncture|Postsurgical) (?:Medical )?Treatment(?: Guidelines)?)?",
    re.I,
)
NOISE = re.compile(
    r"(?<![/\d-])(?:19|20)\d\d(?![/\d-])|\bWeb Version\b|\b\d+(?:st|nd|rd|th) ed(?:ition)?\.?"
    r"|\bx?\s*8 C\.?C\.?R\.?\s*[\d.\s–-]+|\bMTUS\s*\(Effective [^)]*\)",
    re.I,
)


@lru_cache(maxsize=4096)  # guideline citations are boilerplate, repeated across letters
def read_citation(text: str) -> Citation:
    """Sources, sections and pages of one side's guideline citation."""
    sources: list[str] = []
    sections: list[str] = []
    pages: list[str] = []
    if text and not NOTHING_CITED.search(text):
        for clause in CLAUSE.split(text)[1:]:
            clause = clause.strip().rstrip(".")
            add_new(sources, clause_sources_of(clause))
            for match in PAGES.finditer(clause):
                add_new(pages, PAGE_RANGE.findall(match.group("list")))
            add_new(sections, sections_of(PAGES.sub("", clause).strip(" ,.;")))
    return Citation(
        text=text,
        sources=tuple(sources) or ("none",),
        sections=tuple(sections),
        pages=tuple(re.sub(r"\s+", "", page) for page in pages),
    )


def add_new(values: list[str], new: list[str]) -> None:
    values += [value for value in new if value and value not in values]


def clause_sources_of(clause: str) -> list[str]:
    if clause.lower().startswith("non-mtus"):
        found = [
            name for name, pattern in (("ODG", ODG), ("ACOEM", ACOEM)) if pattern.search(clause)
        ]
        return found or ["Non-MTUS"]
    found = ["MTUS"] if clause.upper().startswith("MTUS") else []
    return found + (["ACOEM"] if ACOEM.search(clause) else [])


def sections_of(clause: str) -> list[str]:
    if clause.upper().startswith("MTUS "):
        parts = list(MTUS_PART.finditer(clause[5:]))
        if parts:
            return [section_of(part.group("sections") or part.group("title")) for part in parts]
    return [section_of(clause)]


def section_of(part: str) -> str:
    """The section a citation part names: its Section(s) list, else what its title leaves."""
    named = SECTIONS.search(part)
    rest = named.group(1) if named else TITLE.sub("", NOISE.sub("", part).strip())
    return re.sub(r"\s*,\s*(?:,\s*)*", ", ", rest).strip(" ,.;:")
