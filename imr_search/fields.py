"""The fields of the index, declared once.

Each disputed item is one document carrying its letter's fields. This table is the one
place that knows a field's kind, its aliases, whether bare words search it, its boost,
whether it is counted as a facet, where snippets come from and what it means; the schema
(engine/schema.py), the query language, the facets, `--help` and the README's field table
(kept true by tests/test_docs.py) are all derived from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

# An item's outcome as letters write it: the denial stands, or the treatment is approved.
UPHELD = "Upheld"
OVERTURNED = "Overturned"


class Kind(StrEnum):
    PROSE = "text"  # stemmed words with positions, stop words kept
    KEYWORD = "keyword"  # one lower-cased value
    VALUES = (
        "keywords"  # a list of values as the letters write them, matched in any case or spelling
    )
    ID = "id"
    NUMBER = "number"
    DATE = "date"
    STORED = "stored"  # kept for display, not searchable


@dataclass(frozen=True)
class Field:
    name: str
    kind: Kind
    holds: str = ""  # what it means, for the README and --help
    example: str = ""
    aliases: tuple[str, ...] = ()
    default: bool = False  # searched by bare words
    boost: float = 1.0  # of bare words' matches in it
    facet: bool = False  # counted by --facet, grouped by stats --by
    snippet: int = 0  # a hit's sentence is looked for in fields 1, 2, 3...; 0: never
    hidden: bool = False  # never named in a query
    exact: bool = False  # an identity: matched as written, case and all
    sortable: bool = False
    band: int = 0  # a number `stats --by` groups in bands this wide (age: 40-49)
    similar_words: int | None = 0  # how many of its telling words `similar` takes (None: all)
    similar_boost: float = 0.0  # and their weight; for a facet, the weight of the same value
    either: tuple[str, ...] = ()  # a name for any of these fields, not a field of its own

    @property
    def searchable(self) -> bool:
        return not self.hidden and self.kind is not Kind.STORED


FIELDS: tuple[Field, ...] = (
    Field("letter_key", Kind.ID, "the letter's identity", hidden=True, exact=True, sortable=True),
    Field(
        "case",
        Kind.ID,
        "the case number (or file name)",
        "`case:CM16-0230651`",
        sortable=True,
    ),
    Field(
        "item_no", Kind.NUMBER, "the item's position in its letter", "`item_no:1`", sortable=True
    ),
    # The item's own text: a bare word is about the item, its reasons and its citations.
    # The item names the treatment in dispute, so a match there weighs most.
    Field(
        "item",
        Kind.PROSE,
        "the item as the letter names it",
        '`item:"lumbar spine"`',
        aliases=("items",),
        default=True,
        boost=2.0,
        snippet=2,
        similar_words=None,
        similar_boost=1.5,
    ),
    Field(
        "rationale",
        Kind.PROSE,
        "the reviewer's decision rationale",
        '`rationale:"red flag"`',
        default=True,
        snippet=1,
        similar_words=15,
        similar_boost=1.0,
    ),
    Field(
        "claims_guideline",
        Kind.PROSE,
        "the claims administrator's guideline citation",
        "`claims_guideline:ODG`",
        aliases=("claims",),
        default=True,
        snippet=3,
    ),
    Field(
        "maximus_guideline",
        Kind.PROSE,
        "the guideline the MAXIMUS reviewer cited",
        '`maximus_guideline:"Chronic Pain"`',
        aliases=("maximus",),
        default=True,
        snippet=4,
    ),
    Field(
        "guideline",
        Kind.PROSE,
        "either side's citation (a phrase within one of them)",
        '`guideline:"Chronic Pain"`',
        aliases=("guidelines",),
        either=("claims_guideline", "maximus_guideline"),
    ),
    # The letter's clinical summary is searched only when named: a count is about items,
    # and an MRI item is not a therapy item because its letter's summary mentions therapy.
    Field(
        "summary",
        Kind.PROSE,
        "the letter's clinical case summary (searched only when named)",
        "`summary:radiculopathy`",
        snippet=5,
        similar_words=10,
        similar_boost=0.5,
    ),
    Field(
        "outcome",
        Kind.KEYWORD,
        f"`{UPHELD}`, `{OVERTURNED}`, or `unknown`",
        "`outcome:overturned`",
        facet=True,
        sortable=True,
    ),
    Field(
        "specialty",
        Kind.VALUES,
        'the reviewer\'s specialties ("&" = "and")',
        '`specialty:"pain management"`',
        aliases=("specialties",),
        facet=True,
    ),
    Field(
        "license_state",
        Kind.VALUES,
        "where the reviewer is licensed",
        "`state:california`",
        aliases=("state", "states", "license"),
        facet=True,
    ),
    Field(
        "category",
        Kind.VALUES,
        "medication, imaging, therapy, injection, surgery, equipment, testing, program, "
        "behavioral, evaluation and management, other",
        "`category:imaging`",
        facet=True,
        similar_boost=1.0,
    ),
    Field(
        "drug",
        Kind.VALUES,
        "the generic drug (each one of a compound)",
        "`drug:Norco`",
        facet=True,
        similar_boost=3.0,
    ),
    Field(
        "drug_class",
        Kind.VALUES,
        "the drug's class",
        '`class:"muscle relaxant"`',
        aliases=("class",),
        facet=True,
        similar_boost=2.0,
    ),
    Field(
        "guideline_source",
        Kind.VALUES,
        "what the reviewer relied on: MTUS, ACOEM, ODG, Non-MTUS, none",
        "`source:ODG`",
        aliases=("source",),
        facet=True,
    ),
    Field("sex", Kind.KEYWORD, "the worker's sex", "`sex:female`", facet=True),
    Field(
        "decision_date",
        Kind.DATE,
        "the decision date",
        "`decided:2016`",
        aliases=("decided", "date"),
        sortable=True,
    ),
    Field(
        "date_assigned",
        Kind.DATE,
        "when the case was assigned",
        "`assigned:2016-11`",
        aliases=("assigned",),
    ),
    Field(
        "injury_date",
        Kind.DATE,
        "the date of injury",
        "`injured:<2010`",
        aliases=("injured", "injury"),
    ),
    Field(
        "ur_denial_date",
        Kind.DATE,
        "the utilization review denial",
        "`denied:[2016-10 TO 2016-12]`",
        aliases=("denied",),
    ),
    Field(
        "application_received",
        Kind.DATE,
        "when the IMR application came in",
        "`received:2016-12-13`",
        aliases=("received",),
    ),
    Field("year", Kind.NUMBER, "the decision year", "`year:2016`", facet=True, sortable=True),
    Field("age", Kind.NUMBER, "the worker's age", "`age:[40 TO 60]`", band=10),
    Field("path", Kind.STORED, "the file the letter was read from", hidden=True),
    # The letter as parsed, kept once per letter (with its first item), for `show`.
    Field("letter", Kind.STORED, "the letter's parsed record", hidden=True),
)

BY_NAME: dict[str, Field] = {field.name: field for field in FIELDS}
ALIASES: dict[str, str] = {alias: field.name for field in FIELDS for alias in field.aliases}


def named(name: str) -> Field | None:
    """The field a user means by `name` (any case, an alias), or None."""
    lowered = name.lower()
    return BY_NAME.get(ALIASES.get(lowered, lowered))


def names(test) -> tuple[str, ...]:
    """The names of the fields for which `test(field)` holds, in table order."""
    return tuple(field.name for field in FIELDS if test(field))


INDEXED = tuple(field for field in FIELDS if not field.either)  # the schema's own fields
DEFAULT_FIELDS = names(lambda f: f.default)
FACETS = names(lambda f: f.facet)
# What items can be counted by: the facets and the numbers counted in bands.
COUNT_FIELDS = names(lambda f: f.facet or f.band)
SNIPPET_FIELDS = tuple(f.name for f in sorted(FIELDS, key=lambda f: f.snippet) if f.snippet)
DATE_FIELDS = names(lambda f: f.kind is Kind.DATE)
NUMERIC_FIELDS = names(lambda f: f.kind is Kind.NUMBER)
QUERY_FIELDS = names(lambda f: f.searchable)
# What `stats --by` groups by: all but outcome, which every group is counted by.
GROUP_FIELDS = tuple(name for name in COUNT_FIELDS if name != "outcome")
