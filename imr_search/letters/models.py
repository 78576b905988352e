"""The records a letter parses into: frozen dataclasses with a JSON form.

JSON key names follow the sample truth rows (`case`, `decision_date`, `license_states`,
`items[].item`, `items[].outcome`, ...), with `path` for the source file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Citation:
    """One side's guideline citation: its text and what it cites."""

    text: str = ""
    sources: tuple[str, ...] = ()  # MTUS, ACOEM, ODG, Non-MTUS; ("none",) when nothing is cited
    sections: tuple[str, ...] = ()
    pages: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "sources": list(self.sources),
            "sections": list(self.sections),
            "pages": list(self.pages),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Citation:
        return cls(
            data["text"], tuple(data["sources"]), tuple(data["sections"]), tuple(data["pages"])
        )


@dataclass(frozen=True)
class Item:
    """One disputed item/service and the reviewer's decision on it."""

    position: int
    item: str
    outcome: str
    original_request: str | None = None
    authorized: str | None = None
    claims_guideline: Citation = field(default_factory=Citation)
    maximus_guideline: Citation = field(default_factory=Citation)
    rationale: str = ""
    # Enrichment (enrich.py)
    category: str | None = None
    drug: str | None = None
    drug_class: str | None = None
    dose: str | None = None
    quantity: int | None = None

    @property
    def guideline_sources(self) -> tuple[str, ...]:
        """The sources MAXIMUS's reviewer relied on: the decision's own basis."""
        return self.maximus_guideline.sources

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "position": self.position,
            "item": self.item,
            "outcome": self.outcome,
        }
        if self.original_request is not None:
            out["original_request"] = self.original_request
            out["authorized"] = self.authorized
        out.update(
            category=self.category,
            drug=self.drug,
            drug_class=self.drug_class,
            dose=self.dose,
            quantity=self.quantity,
            guideline_source=list(self.guideline_sources),
            claims_guideline=self.claims_guideline.to_dict(),
            maximus_guideline=self.maximus_guideline.to_dict(),
            rationale=self.rationale,
        )
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Item:
        """The item whose `to_dict` is `data`."""
        return cls(
            position=data["position"],
            item=data["item"],
            outcome=data["outcome"],
            original_request=data.get("original_request"),
            authorized=data.get("authorized"),
            claims_guideline=Citation.from_dict(data["claims_guideline"]),
            maximus_guideline=Citation.from_dict(data["maximus_guideline"]),
            rationale=data["rationale"],
            category=data["category"],
            drug=data["drug"],
            drug_class=data["drug_class"],
            dose=data["dose"],
            quantity=data["quantity"],
        )


@dataclass(frozen=True)
class Letter:
    """One final determination letter."""

    case: str  # the case number, or the file stem where the letter has none
    path: str
    has_case_number: bool = False
    date_assigned: date | None = None
    decision_date: date | None = None
    injury_date: date | None = None
    ur_denial_date: date | None = None
    application_received: date | None = None
    priority: str | None = None
    license_states: tuple[str, ...] = ()
    specialties: tuple[str, ...] = ()
    age: int | None = None
    sex: str | None = None
    summary: str = ""
    items: tuple[Item, ...] = ()
    warnings: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        def iso(d: date | None) -> str | None:
            return d.isoformat() if d else None

        return {
            "path": self.path,
            "case": self.case if self.has_case_number else None,
            "date_assigned": iso(self.date_assigned),
            "decision_date": iso(self.decision_date),
            "injury_date": iso(self.injury_date),
            "ur_denial_date": iso(self.ur_denial_date),
            "application_received": iso(self.application_received),
            "priority": self.priority,
            "license_states": list(self.license_states),
            "specialties": list(self.specialties),
            "age": self.age,
            "sex": self.sex,
            "summary": self.summary,
            "items": [item.to_dict() for item in self.items],
            "warnings": list(self.warnings),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Letter:
        """The letter whose `to_dict` is `data` (a letter without a case number goes by
        its file's stem, as when it was parsed)."""

        def day(name: str) -> date | None:
            return date.fromisoformat(data[name]) if data.get(name) else None

        return cls(
            case=data["case"] or Path(data["path"]).stem,
            path=data["path"],
            has_case_number=data["case"] is not None,
            date_assigned=day("date_assigned"),
            decision_date=day("decision_date"),
            injury_date=day("injury_date"),
            ur_denial_date=day("ur_denial_date"),
            application_received=day("application_received"),
            priority=data["priority"],
            license_states=tuple(data["license_states"]),
            specialties=tuple(data["specialties"]),
            age=data["age"],
            sex=data["sex"],
            summary=data["summary"],
            items=tuple(Item.from_dict(item) for item in data["items"]),
            warnings=tuple(data["warnings"]),
        )
