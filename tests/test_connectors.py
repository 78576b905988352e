"""Terms and connectors against a brute-force oracle: texts whose words, sentences and
paragraphs the test itself lays out, indexed for real, and every connector of both dialects
checked by trying every pair of occurrences the test finds in its own layout."""

from __future__ import annotations

import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from whoosh import index as whoosh_index

from imr_search.engine.query import QueryError, read_query
from imr_search.engine.ranking import ranked
from imr_search.engine.schema import build_schema, with_marks
from imr_search.engine.writer import TermPoolWriter

# Words no stemmer folds into one another.
VOCABULARY = ("kilo", "lima", "mike", "oscar", "zulu")
FIELDS = ("item", "rationale")  # two of the fields bare words search


# ---------------------------------------------------------------- the layout


@dataclass(frozen=True)
class Word:
    text: str
    position: int
    sentence: int
    paragraph: int


def laid_out(paragraphs: list[list[list[str]]]) -> tuple[str, list[Word]]:
    """A field's text, and each of its words where the test put it: paragraphs apart by a
    blank line, sentences ending in a full stop, each opening with a capital."""
    text_paragraphs, words, sentence = [], [], 0
    for paragraph_number, paragraph in enumerate(paragraphs):
        written = []
        for sentence_words in paragraph:
            for word in sentence_words:
                words.append(Word(word, len(words), sentence, paragraph_number))
            written.append(" ".join([sentence_words[0].capitalize(), *sentence_words[1:]]) + ".")
            sentence += 1
        text_paragraphs.append(" ".join(written))
    return "\n\n".join(text_paragraphs), words


sentences = st.lists(st.sampled_from(VOCABULARY), min_size=1, max_size=6)
field_layouts = st.lists(st.lists(sentences, min_size=1, max_size=3), min_size=1, max_size=3)
corpora = st.lists(st.fixed_dictionaries({name: field_layouts for name in FIELDS}), min_size=1,
                   max_size=8)  # fmt: skip


# ---------------------------------------------------------------- the oracle

Span = tuple[Word, Word]  # first and last word of an occurrence


def occurrences(side, words: list[Word]) -> list[Span]:
    """Where a side occurs: each span once, however many alternatives name it."""
    return list(dict.fromkeys(every_occurrence(side, words)))


def every_occurrence(side, words: list[Word]) -> list[Span]:
    kind = side[0]
    if kind == "word":  # a word, or a pattern of the forms it finds
        return [(w, w) for w in words if re.fullmatch(side[1], w.text)]
    if kind == "phrase":
        length = len(side[1])
        return [
            (words[i], words[i + length - 1])
            for i in range(len(words) - length + 1)
            if all(map(re.fullmatch, side[1], [w.text for w in words[i : i + length]]))
        ]
    if kind == "or":
        return [span for alternative in side[1] for span in occurrences(alternative, words)]
    _, left, connector, right = side  # a connector as a side: the occurrences it met
    mine, theirs = occurrences(left, words), occurrences(right, words)
    met = [a for a in mine if any(meets(a, b, connector) for b in theirs)]
    if connector.apart:
        return [a for a in mine if not any(meets(a, b, connector) for b in theirs)]
    return met + [b for b in theirs if any(meets(a, b, connector) for a in mine)]


@dataclass(frozen=True)
class Asked:
    spelling: str
    unit: str  # "word", "sentence", "paragraph"
    distance: int = 0
    ordered: bool = False
    apart: bool = False


def meets(a: Span, b: Span, connector: Asked) -> bool:
    if a == b:  # an occurrence never meets itself: `kilo /3 kilo` asks for two
        return False
    (a_first, a_last), (b_first, b_last) = a, b
    if connector.unit == "word":
        if connector.ordered:
            return 1 <= b_first.position - a_last.position <= connector.distance
        gap = max(b_first.position - a_last.position, a_first.position - b_last.position)
        return gap <= connector.distance
    same = getattr(a_first, connector.unit) == getattr(b_first, connector.unit)
    return same and (not connector.ordered or a_last.position < b_first.position)


def holds(query, fields: dict[str, list[Word]]) -> bool:
    """Whether an item whose fields have these words matches `query` (a tree)."""
    kind = query[0]
    if kind == "atleast":
        _, count, side = query
        return sum(len(occurrences(side, words)) for words in fields.values()) >= count
    # A connector holds in an item where it has occurrences in one of its fields; for `not
    # w/n`, those of the left side the right is not near.
    return any(occurrences(query, words) for words in fields.values())


# ---------------------------------------------------------------- queries


def spellings(distance: int) -> list[Asked]:
    n = distance
    return [
        Asked(f"/{n}", "word", n),
        Asked(f"w/{n}", "word", n),
        Asked(f"+{n}", "word", n, ordered=True),
        Asked(f"pre/{n}", "word", n, ordered=True),
        Asked(f"not w/{n}", "word", n, apart=True),
        Asked("/s", "sentence"),
        Asked("w/s", "sentence"),
        Asked("+s", "sentence", ordered=True),
        Asked("not w/s", "sentence", apart=True),
        Asked("/p", "paragraph"),
        Asked("w/p", "paragraph"),
        Asked("+p", "paragraph", ordered=True),
        Asked("not w/p", "paragraph", apart=True),
    ]


words = st.sampled_from(VOCABULARY).map(lambda w: ("word", w))
phrases = st.lists(st.sampled_from(VOCABULARY), min_size=2, max_size=3).map(
    lambda ws: ("phrase", tuple(ws))
)
alternatives = st.lists(st.one_of(words, phrases), min_size=2, max_size=3).map(
    lambda parts: ("or", tuple(parts))
)
plain_sides = st.one_of(words, phrases, alternatives)
connectors = st.integers(1, 6).flatmap(lambda n: st.sampled_from(spellings(n)))
joined = st.tuples(st.just("near"), plain_sides, connectors, plain_sides)
sides = st.one_of(plain_sides, joined)
queries = st.one_of(
    st.tuples(st.just("near"), sides, connectors, sides),
    st.tuples(st.just("atleast"), st.integers(1, 4), plain_sides),
)


def written(query) -> str:
    kind = query[0]
    if kind == "word":
        return query[1]
    if kind == "phrase":
        return '"' + " ".join(query[1]) + '"'
    if kind == "or":
        return "(" + " OR ".join(map(written, query[1])) + ")"
    if kind == "atleast":
        return f"atleast{query[1]}({written(query[2])})"
    _, left, connector, right = query
    return f"({written(left)} {connector.spelling} {written(right)})"


# ---------------------------------------------------------------- the index


def build(folder: Path, items: list[dict[str, str]]):
    ix = whoosh_index.create_in(str(folder), build_schema(), indexname="imr")
    writer = TermPoolWriter(ix, compound=False)
    for number, texts in enumerate(items):
        writer.add_document(**with_marks({"case": f"C{number}", "item_no": 1, **texts}))
    writer.commit()
    return ix


def matched(ix, text: str) -> set[str]:
    parsed = read_query(text).parsed
    with ix.searcher() as searcher:
        ranking = ranked(searcher, parsed, parsed)
        return {searcher.stored_fields(int(doc))["case"] for doc in ranking.docs}


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(corpora, st.lists(queries, min_size=1, max_size=6))
def test_every_connector_matches_what_trying_every_pair_finds(corpus, asked):
    folder = Path(tempfile.mkdtemp())
    try:
        items = [{name: laid_out(layout[name]) for name in FIELDS} for layout in corpus]
        ix = build(folder, [{name: text for name, (text, _) in item.items()} for item in items])
        for query in asked:
            expected = {
                f"C{number}"
                for number, item in enumerate(items)
                if holds(query, {name: words for name, (_, words) in item.items()})
            }
            text = written(query)
            assert matched(ix, text) == expected, text
    finally:
        shutil.rmtree(folder)


# ---------------------------------------------------------------- reading


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("outcome:upheld /s pain", "not text"),
        ("(pain AND back) /s knee", "joins words by AND"),
        ("(pain back) /p knee", "joins words by AND"),
        ("-pain /s knee", "joins words by AND or NOT"),
        ("item:pain /s rationale:knee", "no field in common"),
        ("pain /0 knee", "1 word or more"),
        ("pain /s", "nothing after it"),
        ("/p knee", "nothing before it"),
        ("atleast2(pain AND back)", "counts joins words by AND"),
    ],
)
def test_what_cannot_be_a_side_is_refused_with_its_column(text, problem):
    with pytest.raises(QueryError, match=re.escape(problem)):
        read_query(text)


def test_westlaw_precedence_or_binds_before_connectors_before_and():
    # Westlaw: OR, then /n, /s, /p, then & and %; brackets override.
    assert read_query("a OR b /s c & d").explained == read_query("((a OR b) /s c) & d").explained
    assert read_query("a /3 b /p c").explained == read_query("(a /3 b) /p c").explained
    assert read_query("a /p b /3 c").explained == read_query("a /p (b /3 c)").explained
    assert read_query("a OR b AND c").explained == read_query("(a OR b) AND c").explained
    assert read_query("a & b % c").explained == read_query("(a & b) % c").explained


def test_the_connectors_show_in_explain():
    for spelling in ("/s", "+s", "/p", "+p", "/4", "+4", "w/s", "w/p", "w/4", "pre/4"):
        assert f" {spelling} " in read_query(f"kilo {spelling} lima").explained
    assert " not w/4 " in read_query("kilo NOT W/4 lima").explained
    assert "atleast3(" in read_query("ATLEAST3(kilo)").explained


def test_spaces_beside_westlaw_connectors_are_said_once():
    (note,) = read_query("flexeril exacerbation /s pain").notes
    assert "AND" in note and "Westlaw reads them as OR" in note
    assert read_query("flexeril /s (exacerbation OR flare)").notes == ()
    assert read_query("rationale:(flexeril /s exacerbation)").notes == ()
    assert read_query("flexeril exacerbation").notes == ()  # no connector: nothing to say


def test_in_order_the_left_side_ends_before_the_right_begins(tmp_path):
    """`+s` and `+p` as `+n`: the right side's words after all of the left side's, so a word
    inside the left phrase is not the right side (Westlaw's "precedes")."""
    ix = build(tmp_path, [{"rationale": "Kilo lima mike."}, {"rationale": "Kilo lima lima."}])
    for spelling in ("+s", "+p", "+2"):
        assert matched(ix, f'"kilo lima" {spelling} lima') == {"C1"}, spelling
        assert matched(ix, f'"kilo lima" {spelling} mike') == {"C0"}, spelling
