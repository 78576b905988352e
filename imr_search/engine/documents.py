"""A letter as index documents: one per disputed item, each carrying its letter's fields,
and the letter's parsed record kept once, with its first item."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date, datetime
from typing import TYPE_CHECKING

from ..fields import DATE_FIELDS, FACETS
from .schema import facet_value, with_marks

if TYPE_CHECKING:  # in annotations only: a query loads no letter records
    from ..letters.models import Letter

Labels = dict[str, dict[str, str]]  # facet field -> indexed value -> value as written


def to_datetime(value: date | None) -> datetime | None:
    return datetime(value.year, value.month, value.day) if value else None


def facet_list(values: Iterable[str | None]) -> str:
    """Values as written, one per `facet_value` (the field's analyzer normalises them)."""
    kept: dict[str, str] = {}
    for value in values:
        if value:
            kept.setdefault(facet_value(value), value.strip())
    return ",".join(kept.values())


def note_labels(labels: Labels, document: dict) -> None:
    """Remember how each facet value was written, to show counts as the letters spell them."""
    for name in FACETS:
        if name in document:
            for value in str(document[name]).split(","):
                if value:
                    labels.setdefault(name, {}).setdefault(facet_value(value), value)


# The texts every item's document stores already (`documents`) are left out of the letter's
# record and put back from the documents when it is read: stored twice, they were 2.5 KB a
# letter to encode and write again, and compressing them took a tenth of a build's time.
ITEM_TEXTS = ("item", "rationale")
CITATION_TEXTS = ("claims_guideline", "maximus_guideline")


def packed_record(letter: Letter) -> bytes:
    """The letter's JSON record (as `parse` writes it), but for the texts its documents
    store."""
    record = letter.to_dict()
    del record["summary"]
    for item in record["items"]:
        for name in ITEM_TEXTS:
            del item[name]
        for name in CITATION_TEXTS:
            del item[name]["text"]
    return json.dumps(record, ensure_ascii=False).encode("utf-8")


# The letter's own fields are indexed with each of its items (a query names them of an item:
# `summary:`, `decided:`) but stored once, with its first document, the one holding its
# record: stored with every item, the summary was a fifth of the stored bytes and the dates
# an eighth. Its case and key stay with every item, to say whose it is.
LETTER_FIELDS = (
    "summary",
    "path",
    "specialty",
    "license_state",
    *DATE_FIELDS,
    "year",
    "age",
    "sex",
)


def with_letter_fields(stored_fields, docnum: int) -> dict:
    """Document `docnum`'s stored fields with its letter's, read where they are stored: in
    the letter's first document, the nearest at or before `docnum` holding its record (a
    letter's documents are written together, and stay together through merges).
    `stored_fields(docnum)` reads a document's stored fields."""
    fields = stored_fields(docnum)
    first, key = fields, fields.get("letter_key")
    while "letter" not in first and docnum > 0:
        docnum -= 1
        first = stored_fields(docnum)
        if first.get("letter_key") != key:  # never another letter's
            first = {}
            break
    return {**fields, **{name: first[name] for name in LETTER_FIELDS if name in first}}


def letter_record(stored: list[dict]) -> dict | None:
    """The whole record of a letter from the stored fields of its documents (`stored`, any
    order): the packed record its first holds, and the texts; None where none holds one."""
    first = next((fields for fields in stored if fields.get("letter")), None)
    if first is None:
        return None
    record = json.loads(first["letter"])
    record["summary"] = first.get("summary", "")
    by_number = {fields["item_no"]: fields for fields in stored}
    for item in record["items"]:
        fields = by_number[item["position"]]
        for name in ITEM_TEXTS:
            item[name] = fields.get(name, "")
        for name in CITATION_TEXTS:
            item[name]["text"] = fields.get(name, "")
    return record


def documents(letter: Letter, key: str) -> list[dict]:
    """The index documents of a letter: one per item, or one `unknown` where it has none."""
    shared = {
        "letter_key": key,
        "case": letter.case,
        "specialty": facet_list(letter.specialties),
        "license_state": facet_list(letter.license_states),
        "summary": letter.summary,
        "path": letter.path,
    }
    for name in DATE_FIELDS:
        value = to_datetime(getattr(letter, name))
        if value:
            shared[name] = value
    if letter.decision_date:
        shared["year"] = letter.decision_date.year
    if letter.age is not None:
        shared["age"] = letter.age
    if letter.sex:
        shared["sex"] = letter.sex
    if not letter.items:
        docs = [
            dict(
                shared,
                item_no=0,
                outcome="unknown",
                item="",
                category="",
                guideline_source="none",
            )
        ]
    else:
        docs = [
            dict(
                shared,
                item_no=item.position,
                item=item.item,
                outcome=item.outcome,
                category=facet_list([item.category]),
                drug=facet_list(item.drug.split(" / ") if item.drug else []),
                drug_class=facet_list([item.drug_class]),
                guideline_source=facet_list(item.guideline_sources),
                claims_guideline=item.claims_guideline.text,
                maximus_guideline=item.maximus_guideline.text,
                rationale=item.rationale,
            )
            for item in letter.items
        ]
    docs[0]["letter"] = packed_record(letter)
    for doc in docs[1:]:
        doc.update({f"_stored_{name}": None for name in LETTER_FIELDS if name in doc})
    return [with_marks(doc) for doc in docs]
