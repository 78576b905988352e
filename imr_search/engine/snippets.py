"""A hit's sentence: the best fragment of a stored field the query matched, with the
spans of its matched words."""

from __future__ import annotations

import re
from dataclasses import dataclass

from whoosh import highlight

SNIPPET_MAX_CHARS = 400  # of a sentence's words; longer sentences are not shown whole
MARK_START, MARK_END = "\x02", "\x03"


@dataclass(frozen=True)
class Snippet:
    """A sentence of one field, with the spans the query matched."""

    field: str
    text: str
    marks: tuple[tuple[int, int], ...] = ()


class MarkFormatter(highlight.Formatter):
    """Matched words between two control characters, for `snippet_from` to find."""

    between = " … "

    def format_token(self, text, token, replace=False):
        return MARK_START + highlight.get_text(text, token, replace) + MARK_END


# A sentence where there is one; text without full stops (as PDFs of summaries often are)
# gets the words around the match.
HIGHLIGHTERS = (
    highlight.Highlighter(
        fragmenter=highlight.SentenceFragmenter(maxchars=SNIPPET_MAX_CHARS),
        formatter=MarkFormatter(),
    ),
    highlight.Highlighter(
        fragmenter=highlight.ContextFragmenter(maxchars=SNIPPET_MAX_CHARS // 2, surround=80),
        formatter=MarkFormatter(),
    ),
)


def snippet_of(found, stored: dict, fields: tuple[str, ...]) -> Snippet:
    """The best sentence the query matched in `fields`, in that order; else the opening of
    the first of them."""
    for name in fields:
        if stored.get(name):
            for highlighter in HIGHLIGHTERS:
                marked = highlighter.highlight_hit(found, name, text=stored[name], top=1)
                if marked:
                    return snippet_from(name, marked)
    opening_field = fields[0]
    text = " ".join(stored.get(opening_field, "").split())
    opening = re.split(r"(?<=[.!?])\s", text, maxsplit=1)[0]
    return Snippet(opening_field, opening[:SNIPPET_MAX_CHARS])


def snippet_from(name: str, marked: str) -> Snippet:
    """Plain text and match spans from a marked fragment, white space made single."""
    text, marks = "", []
    for index, part in enumerate(re.split(f"[{MARK_START}{MARK_END}]", marked)):
        part = re.sub(r"\s+", " ", part)
        if (not text or text.endswith(" ")) and part.startswith(" "):
            part = part[1:]
        if index % 2:
            marks.append((len(text), len(text) + len(part)))
        text += part
    return Snippet(name, text.rstrip(), tuple(marks))


def marks_in(text: str, words: set[str], analyzer) -> tuple[tuple[int, int], ...]:
    """The spans of the words of `text` that `analyzer` reads as one of `words`."""
    tokens = analyzer(text, chars=True, mode="query", removestops=False)
    return tuple((token.startchar, token.endchar) for token in tokens if token.text in words)
