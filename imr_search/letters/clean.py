"""Stage 2: raw extracted text to clean lines.

Every extractor leaves its own marks: pdftotext's form feeds and `-layout` column gaps,
pypdfium2's CRLF line ends and \\x02 soft-hyphen marks, the seed letters' blank line after
every line. The parser sees none of them: it gets lines without page breaks, without
trailing or repeated blanks, with words broken at a line-end hyphen joined again.
"""

from __future__ import annotations

import re

# pypdfium2 marks a soft (hyphenation) hyphen as \x02; Unicode has U+00AD.
SOFT_HYPHEN = re.compile(r"[\x02\xad]\n?")
# C0 controls other than tab, newline and form feed, plus DEL and the BOM.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f\ufeff]")
# Runs of spaces, tabs and other blanks, but for a lone plain space: there is one of those
# between every two words, and it stays as it is.
SPACES = re.compile(
    r"[\t\xa0\u2000-\u200b\u202f\u3000][ \t\xa0\u2000-\u200b\u202f\u3000]*"
    r"| [ \t\xa0\u2000-\u200b\u202f\u3000]+"
)
LINE_END_SPACE = re.compile(r" \n ?|\n ")  # after SPACES: at most one space either side
# A page break with the blank lines pdftotext puts around it, and the spaces beside it:
# `-layout` indents the first line of a page ("\f      IMR ISSUES, ..."), and a PDF's own
# text may run a line on into the next page ("Diazepam 5mg #10: Upheld \fClaims ...").
PAGE_BREAK = re.compile(r"[ \n]*\f[ \n]*")
# "electro-\nmyography" -> "electromyography" (only lower-case on both sides, so that
# "L4-\nL5" and "C5-\nC6" keep their hyphen); "10-30-\n2016" -> "10-30-2016".
HYPHEN_BREAK = re.compile(r"([a-z])-\n([a-z][\w/]*[,.;:)]?) ?")
NUMBER_BREAK = re.compile(r"(\d)-\n(\d[\w/-]*[,.;:)]?) ?")
BLANK_RUN = re.compile(r"\n{3,}")


def clean_text(raw: str) -> str:
    """Normalised text of a letter: one logical line per line, no page breaks."""
    text = raw.replace("\r\n", "\n").replace("\r", "\n")
    text = SOFT_HYPHEN.sub("", text)
    text = CONTROL.sub(" ", text)
    text = LINE_END_SPACE.sub("\n", SPACES.sub(" ", text)).strip(" ")
    if is_double_spaced(text):
        text = undouble(text)
    # Each pattern only where what it looks for is there: most letters have no page break
    # and no word broken at a line end.
    if "\f" in text:
        text = PAGE_BREAK.sub("\n", text)
    text = text.strip("\n")
    if "-\n" in text:
        text = HYPHEN_BREAK.sub(r"\1\2\n", text)
        text = NUMBER_BREAK.sub(r"\1-\2\n", text)
    return BLANK_RUN.sub("\n\n", text)


def is_double_spaced(text: str) -> bool:
    """True for text with a blank line after every line (the seed letters' shape)."""
    lines = text.split("\n")
    filled = [i for i, line in enumerate(lines) if line]
    if len(filled) < 8:
        return False
    adjacent = sum(1 for i in filled if i + 1 < len(lines) and lines[i + 1])
    return adjacent <= len(filled) // 20


def undouble(text: str) -> str:
    """Drop the blank line that follows every line; a paragraph's three become one."""
    return re.sub(r"\n+", lambda m: "\n" * ((len(m.group()) - 1) // 2 + 1), text)
