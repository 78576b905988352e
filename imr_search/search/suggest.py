"""Words a query that matched nothing may have meant: drug names from the drug table and
words of the letters themselves, each a spelling or two away from a word the user typed."""

from __future__ import annotations

import re

from ..engine.query import OPERATORS
from ..engine.snapshot import Snapshot
from ..fields import DEFAULT_FIELDS
from ..letters.drugs import drug_names

# The words a user typed for the default fields: not a field's value, an operator, a
# pattern or a connector's letters (pre/2); a phrase's words are looked at one by one.
TYPED_WORD = re.compile(r"(?<![\w:*?~#!/-])[A-Za-z][\w'-]{2,}(?![\w:*?~(/])")
NOT_WORDS = {*OPERATORS, "TO"}  # "TO" of a range
MOST = 3  # suggestions a word


def suggestions(snapshot: Snapshot, text: str) -> tuple[str, ...]:
    """Corrected words for those of `text` the index does not hold, most likely first."""
    import difflib  # here: asked only when nothing matched (1 ms of every query's start)

    found: list[str] = []
    for word in TYPED_WORD.findall(text):
        if word in NOT_WORDS or snapshot.knows_word(word, DEFAULT_FIELDS):
            continue
        drugs = difflib.get_close_matches(word.lower(), drug_names(), n=MOST, cutoff=0.8)
        for suggestion in [*drugs, *snapshot.spelled_like(word, DEFAULT_FIELDS, MOST)]:
            if suggestion not in found and suggestion != word.lower():
                found.append(suggestion)
    return tuple(found)
