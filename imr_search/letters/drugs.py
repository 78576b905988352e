"""The drug table (`data/drugs.csv`): every name of a drug (generic, brands, alternate
spellings) to its generic name and class. Apart from the rest of the enrichment, whose
patterns a query does not need: a query reads bare drug names by this table."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib import resources


@dataclass(frozen=True)
class Drug:
    generic: str
    drug_class: str


@cache
def drug_names() -> dict[str, Drug]:
    """Every name (generic, brand, alternate spelling), lower-cased, to its drug."""
    by_name: dict[str, Drug] = {}
    table = resources.files("imr_search.letters").joinpath("data/drugs.csv")
    with table.open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            drug = Drug(row["generic"], row["drug_class"])
            for name in [row["generic"], *row["names"].split("|")]:
                by_name[name.strip().lower()] = drug
    return by_name
