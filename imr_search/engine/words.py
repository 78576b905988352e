"""What a word of a prose field is: the pattern that finds it and the parts it is joined
from. The analyzer (schema.py), the postings written (postings.py), the sentences
(sentences.py) and the snippets all read words by these."""

from __future__ import annotations

import re
from functools import lru_cache

# Words with joiners stay whole, as users type them: "L4-L5", "C5-C6", "10/325", "#60",
# "EMG/NCV", "0.025%".
TOKEN = r"#?\w+(?:[-/.]\w+)*%?"
WORDS = re.compile(TOKEN)
JOINERS = re.compile(r"[-/.#%]+")


@lru_cache(maxsize=100_000)  # asked of every word indexed; a corpus repeats its words
def parts_of(word: str) -> tuple[str, ...]:
    """The parts of a joined word ("l4-l5" -> "l4", "l5"; "#60" -> "60"), none for others."""
    parts = tuple(part for part in JOINERS.split(word) if part)
    return parts if len(parts) > 1 or (parts and parts[0] != word) else ()
