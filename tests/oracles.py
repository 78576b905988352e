"""Expected answers computed from the sample letters' truth rows and raw text, by rules
written here: nothing in this module calls imr_search, so that a fault in the parser, the
enrichment or the index cannot reach the answers a test checks it against.

The rules are small on purpose: they need to be right for the sample corpus only, and where
they disagree with imr_search on a letter, a test fails and a person looks at that letter.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from statistics import NormalDist

from .conftest import GOLDEN, truth_rows

# ---------------------------------------------------------------- letters and items


@dataclass(frozen=True)
class TruthItem:
    case: str
    position: int
    item: str
    outcome: str
    row: dict  # the letter's truth row

    @property
    def key(self) -> tuple[str, int]:
        return self.case, self.position


def case_of(row: dict) -> str:
    """A truth row's case number, or its file's stem for a letter without one."""
    return row["case"] or Path(row["file"]).stem


def truth_items() -> list[TruthItem]:
    return [
        TruthItem(case_of(row), n, item["item"], item["outcome"], row)
        for row in truth_rows()
        for n, item in enumerate(row["items"], start=1)
    ]


def truth_row(case: str) -> dict:
    (row,) = [row for row in truth_rows() if case_of(row) == case]
    return row


def truth_date(row: dict, name: str) -> date | None:
    return date.fromisoformat(row[name]) if row.get(name) else None


def facet_key(value: str) -> str:
    """One spelling per value, as a reader would compare them: case, "&" for "and" and
    spacing do not matter."""
    return " ".join(value.replace("&", " and ").split()).lower()


# ---------------------------------------------------------------- the letters' raw text


def letter_text(row: dict) -> str:
    """The text of a truth row's letter (pdftotext's text, for a PDF in the corpus)."""
    return (GOLDEN / row["file"]).read_text(encoding="utf-8")


@dataclass(frozen=True)
class RawItem:
    claims_guideline: str  # what follows "Claims Administrator guideline:", up to MAXIMUS's
    maximus_guideline: str  # what follows "MAXIMUS guideline:", up to the rationale
    rationale: str  # what follows "Decision rationale:", up to the next item's heading


def unbroken_text(row: dict) -> str:
    """The letter's text, a word broken at a line's end ("non-\\nsteroidal") made whole."""
    return re.sub(r"([a-z])-[ \t]*\n\s*([a-z])", r"\1\2", letter_text(row).replace("\f", "\n"))


def raw_summary(row: dict) -> str:
    """The clinical case summary: what lies between its heading and the next one, after the
    sentence every summary opens with."""
    text = unbroken_text(row)
    start = text.index("CLINICAL CASE SUMMARY") + len("CLINICAL CASE SUMMARY")
    summary = " ".join(text[start : text.index("IMR ISSUES, DECISIONS AND RATIONALES")].split())
    return re.sub(r"^The expert reviewer developed .*? medical records:\s*", "", summary)


def words(text: str) -> str:
    """A pattern for `text`'s words, however the letter breaks its lines."""
    return r"\s+".join(map(re.escape, text.split()))


def raw_items(row: dict) -> list[RawItem]:
    """Each item's guidelines and rationale, cut out of the letter's text at its labels:
    the n-th "Claims Administrator guideline:", "MAXIMUS guideline:" and "Decision
    rationale:" are the n-th item's, and a rationale ends where the next item's heading
    begins (its truth text: "ITEM: OUTCOME" just before its "Claims Administrator
    guideline:", or the story of a modified request, "ORIGINAL was the original request")."""
    text = unbroken_text(row)
    claims = [m.end() for m in re.finditer(r"Claims Administrator guideline:", text)]
    maximus = list(re.finditer(r"MAXIMUS guideline:", text))
    rationale = list(re.finditer(r"Decision rationale:", text))
    assert len(claims) == len(maximus) == len(rationale) == len(row["items"]), row["file"]
    ends = []
    for n, match in enumerate(rationale):
        if n + 1 == len(rationale):
            ends.append(len(text))
            continue
        following = row["items"][n + 1]
        if "original_request" in following:
            heading = words(following["original_request"]) + r"\s+was\s+the\s+original\s+request"
        else:
            heading = (
                words(following["item"])
                + rf"\s*:\s*{following['outcome']}\s*Claims Administrator guideline:"
            )
        at = re.compile(heading, re.I).search(text, match.end())
        assert at, (row["file"], following)
        ends.append(at.start())
    return [
        RawItem(
            " ".join(text[c : m.start()].split()),
            " ".join(text[m.end() : r.start()].split()),
            " ".join(text[r.end() : end].split()),
        )
        for c, m, r, end in zip(claims, maximus, rationale, ends, strict=True)
    ]


@cache
def raw_items_by_key() -> dict[tuple[str, int], RawItem]:
    """(case, item number) -> its `raw_items` part, for every letter of the truth rows."""
    return {
        (case_of(row), n): raw
        for row in truth_rows()
        for n, raw in enumerate(raw_items(row), start=1)
    }


def raw_item(item: TruthItem) -> RawItem:
    return raw_items_by_key()[item.key]


# ---------------------------------------------------------------- drugs

# The drugs the sample letters' items name, by every name a letter could use for them, with
# the class a pharmacology reference gives each.
DRUG_NAMES = {
    "cyclobenzaprine": ("cyclobenzaprine", "muscle relaxant"),
    "flexeril": ("cyclobenzaprine", "muscle relaxant"),
    "fexmid": ("cyclobenzaprine", "muscle relaxant"),
    "amrix": ("cyclobenzaprine", "muscle relaxant"),
    "baclofen": ("baclofen", "muscle relaxant"),
    "lioresal": ("baclofen", "muscle relaxant"),
    "ms contin": ("morphine", "opioid analgesic"),
    "morphine": ("morphine", "opioid analgesic"),
    "norco": ("hydrocodone/acetaminophen", "opioid analgesic"),
    "vicodin": ("hydrocodone/acetaminophen", "opioid analgesic"),
    "ultram": ("tramadol", "opioid analgesic"),
    "tramadol": ("tramadol", "opioid analgesic"),
    "oxycodone": ("oxycodone", "opioid analgesic"),
    "oxycontin": ("oxycodone", "opioid analgesic"),
    "pantoprazole": ("pantoprazole", "proton pump inhibitor"),
    "protonix": ("pantoprazole", "proton pump inhibitor"),
    "naproxen": ("naproxen", "NSAID"),
    "naprosyn": ("naproxen", "NSAID"),
    "flurbiprofen": ("flurbiprofen", "NSAID"),
    "amitriptyline": ("amitriptyline", "antidepressant"),
    "lidocaine": ("lidocaine", "topical analgesic"),
    "lidoderm": ("lidocaine", "topical analgesic"),
    "capsaicin": ("capsaicin", "topical analgesic"),
    "dextromethorphan": ("dextromethorphan", "NMDA receptor antagonist"),
}
COMPOUNDED = "compounded topical analgesic"


def drugs_named(text: str) -> list[str]:
    """The generics of the drugs `text` names, in the order it names them, once each."""
    found: list[tuple[int, str]] = []
    for name, (generic, _) in DRUG_NAMES.items():
        for match in re.finditer(rf"\b{re.escape(name)}\b", text, re.I):
            found.append((match.start(), generic))
    generics: list[str] = []
    for _, generic in sorted(found):
        if generic not in generics:
            generics.append(generic)
    return generics


def drug_class_of(text: str) -> str | None:
    """The class of what an item asks for: several drugs in grams or percent are a
    compounded cream; one drug is of its own class."""
    generics = drugs_named(text)
    if not generics:
        return None
    if len(generics) > 1 and re.search(r"%|\bgrams?\b", text, re.I):
        return COMPOUNDED
    return next(c for g, c in DRUG_NAMES.values() if g == generics[0])


# ---------------------------------------------------------------- treatment category

# The first kind whose words the item names; an item naming a drug is a medication.
CATEGORY_WORDS = (
    ("equipment", "rental purchase sling ultrasling wraps? pad pillow unit wheelchair commode"),
    ("equipment", "chair"),
    ("imaging", "mri ct x-ray"),
    ("testing", "emg ncv ekg labs ua clearance testing"),
    ("therapy", "therapy acupuncture chiropractic manipulation myofascial"),
    ("therapy", "stimulation ultrasound heat"),
    ("injection", "injections?"),
    ("surgery", "arthroscopy release surgeon"),
    ("program", "gym program"),
    ("evaluation and management", r"initial\Wexam consultation referral office\Wvisit"),
)


def category_of(text: str) -> str:
    if drugs_named(text):
        return "medication"
    for category, names in CATEGORY_WORDS:
        if re.search(rf"\b(?:{'|'.join(names.split())})\b", text, re.I):
            return category
    return "other"


# ---------------------------------------------------------------- guideline sources


def sources_of(guideline: str) -> set[str]:
    """What a guideline citation relies on: MTUS, and outside it ACOEM or ODG, else another
    source; "none" when it cites nothing."""
    if "did not cite any" in guideline:
        return {"none"}
    found = set()
    for clause in guideline.split("Decision based on ")[1:]:
        named = {
            name
            for name, pattern in (("ACOEM", r"\bACOEM\b"), ("ODG", r"\bODG\b|Official Disab"))
            if re.search(pattern, clause)
        }
        if clause.startswith("MTUS"):
            found |= {"MTUS"} | (named & {"ACOEM"})
        else:
            found |= named or {"Non-MTUS"}
    return found


Z = NormalDist().inv_cdf(0.975)


def wilson_by_bisection(successes: int, trials: int) -> tuple[float, float]:
    """The Wilson interval from its definition: the proportions p that the score test at
    95% does not reject, |p̂ - p| <= z * sqrt(p(1 - p) / n). Its ends are where equality
    holds, one on either side of p̂, each found by halving an interval that holds it."""
    observed = successes / trials

    def rejected(p: float) -> bool:
        return (observed - p) ** 2 > Z * Z * p * (1 - p) / trials

    def boundary(inside: float, outside: float) -> float:
        for _ in range(100):
            middle = (inside + outside) / 2
            inside, outside = (inside, middle) if rejected(middle) else (middle, outside)
        return (inside + outside) / 2

    low = 0.0 if not rejected(0.0) else boundary(observed, 0.0)
    high = 1.0 if not rejected(1.0) else boundary(observed, 1.0)
    return low, high


def hybrid_by_bisection(x1: int, n1: int, x2: int, n2: int) -> tuple[float, float, float]:
    """The difference p1 - p2 and Newcombe's method 10 interval from its definition:
    each end the difference less (or plus) the root of the squared distances from each
    proportion to the end of its Wilson interval (found by bisection) on that side."""
    p1, p2 = x1 / n1, x2 / n2
    (l1, u1), (l2, u2) = wilson_by_bisection(x1, n1), wilson_by_bisection(x2, n2)
    d = p1 - p2
    low = d - ((p1 - l1) ** 2 + (u2 - p2) ** 2) ** 0.5
    high = d + ((u1 - p1) ** 2 + (p2 - l2) ** 2) ** 0.5
    return d, low, high
