"""Where a prose field's sentences and paragraphs begin, as word positions: what the
connectors `/s` and `/p` (Lexis: `w/s`, `w/p`) look within.

Positions are those the prose fields index (postings.py): the n-th word of the text is at
position n. A sentence ends at ".", "!" or "?" (closing quotes and brackets may follow)
before a space and a word that does not begin in lower case, unless the word before the
stop is one that a stop follows without ending anything:

- titles and Latin: "Dr. Smith", "e.g. Norco", "i.e. NSAIDs", "vs. Placebo", "U.S.", "et al.";
- a number's label before its number: "No. 5", "p. 23", "Vol. 2";
- an initial: "J. Smith";
- a dotted abbreviation before a number: "C.C.R. 9792.20".

Doses and dates are single words ("7.5mg", "10/325", "3.15.2016"), so their points are no
stops. A paragraph is a block of text between blank lines, and a new paragraph begins a new
sentence; where the text has no blank line (most fields: the letters' lines are joined) the
field is one paragraph. A page break is never a boundary: extraction makes it a line end
(letters/clean.py), and a line end is a space.
"""

from __future__ import annotations

import re

from .words import WORDS

# After a stop, before any word: never the end of a sentence.
NEVER_ENDS = frozenset(
    {
        "dr", "drs", "mr", "mrs", "ms", "prof", "st", "jr", "sr", "messrs",
        "e.g", "i.e", "vs", "v", "cf", "viz", "al", "approx", "u.s", "u.s.a", "inc", "co",
    }
)  # fmt: skip
# Before a number: labels of the number that follows ("No. 5", "p. 23").
BEFORE_NUMBERS = frozenset(
    {"no", "nos", "p", "pp", "pg", "pgs", "vol", "sec", "ch", "fig", "art", "para", "ex"}
)
STOP = re.compile(r"""[)\]"'\u2019\u201d]*[.!?]+[)\]"'\u2019\u201d]*\s""")
BLANK_LINE = re.compile(r"\n[ \t\f\r]*\n")


def boundaries(text: str) -> tuple[list[int], list[int]]:
    """The positions of the first word of each sentence and of each paragraph of `text`."""
    sentences: list[int] = []
    paragraphs: list[int] = []
    before = None  # the word before, as a match
    for position, word in enumerate(WORDS.finditer(text)):
        if before is None:
            sentences.append(position)
            paragraphs.append(position)
        else:
            gap = text[before.end() : word.start()]
            if BLANK_LINE.search(gap):
                sentences.append(position)
                paragraphs.append(position)
            elif STOP.match(gap) and ends_sentence(before.group().lower(), word.group()):
                sentences.append(position)
        before = word
    return sentences, paragraphs


def ends_sentence(last: str, following: str) -> bool:
    """Whether a stop between the words `last` (lower-cased) and `following` ends a
    sentence."""
    first = following[0]
    if first.islower() or last in NEVER_ENDS:
        return False
    if first.isdigit() and (last in BEFORE_NUMBERS or "." in last):
        return False
    return not (len(last) == 1 and last.isalpha())  # an initial
