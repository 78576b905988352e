"""The states a reviewer may be licensed in: each one's name and its postal code."""

from __future__ import annotations

import csv
from functools import cache
from importlib import resources


@cache
def state_names() -> dict[str, str]:
    """Postal code and name, lower-cased -> the state's name as letters write it."""
    names: dict[str, str] = {}
    with resources.files("imr_search.letters").joinpath("data/states.csv").open() as f:
        for row in csv.DictReader(f):
            names[row["code"].lower()] = names[row["name"].lower()] = row["name"]
    return names


def state_name(text: str) -> str | None:
    """The state `text` names by its name or its code, any case; None for no state."""
    return state_names().get(" ".join(text.split()).lower())
