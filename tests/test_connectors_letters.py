"""Terms and connectors on the sample letters: for a table of real queries, the items each
must find are worked out here from the letters' raw text, split into sentences and words by
this test's own rules (none of imr_search's); and the sentence splitter itself checked on
texts laid out from a table of sentences whose boundaries the test knows."""

from __future__ import annotations

import re
from functools import cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from imr_search.engine.sentences import boundaries
from imr_search.search import search

from .oracles import truth_items
from .test_connectors import Asked, Word, occurrences
from .test_query import found, searched_texts

# ---------------------------------------------------------------- the sentence splitter

# Sentences as the letters write them, each with a stop the splitter must not take for an
# end (an abbreviation, a dose, a date, a citation's number) and its words counted by hand.
SENTENCES = [
    ("Dr. Smith requested Norco 10/325mg #60.", 6),
    ("The MTUS, e.g. Chronic Pain Guidelines, recommends it.", 8),
    ("NSAIDs, i.e. Naproxen 550mg, are first-line.", 6),
    ("Cyclobenzaprine 7.5mg vs. placebo was studied.", 6),
    ("See Guidelines No. 5 at p. 23.", 7),
    ("She was seen on 01/09/2017 and on 3.15.2016.", 8),
    ("The U.S. Food and Drug Administration approved it.", 8),
    ("Per 8 C.C.R. 9792.20 the MTUS applies.", 7),
    ('The reviewer wrote "not medically necessary."', 6),
    ("Is there functional improvement?", 4),
    ("J. Doe, M.D. treated the patient (after the injury).", 9),
    ("Lumbar MRI at L4-L5 is requested.", 6),
    ("The request is not medically necessary.", 6),
]


@pytest.mark.parametrize(("sentence", "words"), SENTENCES)
def test_each_table_sentence_is_one_sentence_of_its_words(sentence, words):
    assert boundaries(sentence) == ([0], [0])
    assert len(re.findall(r"\S*\w\S*", sentence)) == words  # the table's own count


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.lists(st.sampled_from(range(len(SENTENCES))), min_size=1, max_size=4),
        min_size=1,
        max_size=4,
    ),
    st.sampled_from([" ", "\n", "  \n ", "\n\f"]),
)
def test_sentences_and_paragraphs_begin_where_the_test_put_them(paragraphs, space):
    """Paragraphs apart by a blank line, sentences apart by `space` (a line end or a page
    break inside a paragraph is no boundary): each begins at the word the test counts."""
    texts, sentence_starts, paragraph_starts, position = [], [], [], 0
    for paragraph in paragraphs:
        paragraph_starts.append(position)
        for number in paragraph:
            sentence_starts.append(position)
            position += SENTENCES[number][1]
        texts.append(space.join(SENTENCES[number][0] for number in paragraph))
    assert boundaries("\n\n".join(texts)) == (sentence_starts, paragraph_starts)


# ---------------------------------------------------------------- the letters, split here

ABBREVIATIONS = {"dr", "mr", "mrs", "ms", "e.g", "i.e", "vs", "no", "u.s", "p", "pp", "et al"}


def sentences_of(text: str) -> list[str]:
    """A text's sentences: it ends at ".", "?" or "!" (and any closing quote or bracket)
    before white space and a capital, a digit or an opening quote, unless the word before
    the stop is an abbreviation or one letter (an initial), or has a dot inside it."""
    cuts, start = [], 0
    for stop in re.finditer(r"[.?!][\"')\]]*\s+(?=[\"'(\[]?[A-Z0-9])", text):
        before = re.search(r"(\S+)$", text[: stop.start()])
        word = before.group(1).lower().strip("\"'([") if before else ""
        if word in ABBREVIATIONS or len(word) == 1 or "." in word:
            continue
        cuts.append(text[start : stop.end()])
        start = stop.end()
    return [*cuts, text[start:]]


@cache
def laid_out_fields() -> dict[tuple[str, int], list[list[Word]]]:
    """Each item's searched fields as words with their sentence (a field is one paragraph:
    the letters' fields have no blank lines)."""
    laid = {}
    for key, texts in searched_texts().items():
        fields = []
        for text in texts:
            words: list[Word] = []
            for number, sentence in enumerate(sentences_of(text)):
                for word in re.findall(r"\w+(?:[-/.]\w+)*", sentence):
                    words.append(Word(word.lower(), len(words), number, 0))
            fields.append(words)
        laid[key] = fields
    return laid


def whole_or_part(pattern: str) -> str:
    """A word's pattern, matching it whole or as a part of a word joined by "-", "/" or
    "." ("necessary.Because", where a letter left out the space, has "necessary")."""
    return rf"(?:\S*[-/.])?(?:{pattern})(?:[-/.]\S*)?"


def word(pattern: str):
    return ("word", whole_or_part(pattern))


def phrase(*patterns: str):
    return ("phrase", tuple(map(whole_or_part, patterns)))


def either(*sides):
    return ("or", sides)


CYCLOBENZAPRINE = word("flexeril|cyclobenzaprine|fexmid|amrix")  # a bare drug name's names
WITHIN_SENTENCE, IN_ORDER_IN_SENTENCE = Asked("/s", "sentence"), Asked("+s", "sentence", 0, True)
SAME_PARAGRAPH = Asked("/p", "paragraph")

# query, its left side, connector and right side as the test reads them
REAL_QUERIES = [
    (
        'flexeril /s "acute exacerbation"',
        CYCLOBENZAPRINE, WITHIN_SENTENCE, phrase("acute", "exacerbations?"),
    ),
    (
        'flexeril w/s "acute exacerbation"',
        CYCLOBENZAPRINE, WITHIN_SENTENCE, phrase("acute", "exacerbations?"),
    ),
    (
        '"acute exacerbation" /s "muscle relaxant"',
        phrase("acute", "exacerbations?"), WITHIN_SENTENCE, phrase("muscle", "relaxants?"),
    ),
    (
        '"functional improvement" /s document',
        phrase("functional", "improvements?"), WITHIN_SENTENCE,
        word("document|documents|documented|documentation|documenting"),
    ),
    (
        "opioid /p (urine OR screening)",
        word("opioids?"), SAME_PARAGRAPH, either(word("urine"), word("screening|screenings")),
    ),
    (
        "opioid w/p (urine OR screening)",
        word("opioids?"), SAME_PARAGRAPH, either(word("urine"), word("screening|screenings")),
    ),
    (
        '"physical therapy" +3 sessions',
        phrase("physical", "therapy|therapies"), Asked("+3", "word", 3, True), word("sessions?"),
    ),
    (
        '"physical therapy" pre/3 sessions',
        phrase("physical", "therapy|therapies"), Asked("pre/3", "word", 3, True), word("sessions?"),
    ),
    (
        "mri /3 lumbar",
        word("mri|mris"), Asked("/3", "word", 3), word("lumbar"),
    ),
    (
        "mri w/3 lumbar",
        word("mri|mris"), Asked("w/3", "word", 3), word("lumbar"),
    ),
    (
        'request +s "not medically necessary"',
        word("requests?|requested|requesting"), IN_ORDER_IN_SENTENCE,
        phrase("not", "medically", "necessary"),
    ),
    (
        'guideline +s "not medically necessary"',
        word("guidelines?"), IN_ORDER_IN_SENTENCE, phrase("not", "medically", "necessary"),
    ),
    (
        "medication /s #sessions",
        word("medication|medications|medical|medically|medic|medics"), WITHIN_SENTENCE,
        word("sessions"),
    ),
    (
        "pain not w/5 back",
        word("pain|pains"), Asked("not w/5", "word", 5, apart=True), word("back|backs"),
    ),
]  # fmt: skip


def matching_items(left, connector: Asked, right) -> set[tuple[str, int]]:
    """The items one of whose fields holds an occurrence the connector keeps."""
    query = ("near", left, connector, right)
    return {
        key
        for key, fields in laid_out_fields().items()
        if any(occurrences(query, words) for words in fields)
    }


@pytest.mark.parametrize(("text", "left", "connector", "right"), REAL_QUERIES)
def test_real_queries_find_the_items_the_letters_text_gives(index_dir, text, left, connector,
                                                             right):  # fmt: skip
    expected = matching_items(left, connector, right)
    assert found(index_dir, text) == expected, text


def test_the_real_queries_test_something(index_dir):
    """Each query finds some items and leaves some out, and a sentence is not the field:
    some item has both sides in one field but in no one sentence."""
    everything = {item.key for item in truth_items()}
    for text, left, connector, right in REAL_QUERIES:
        expected = matching_items(left, connector, right)
        assert expected and expected != everything, text
    by_sentence = matching_items(CYCLOBENZAPRINE, WITHIN_SENTENCE, word("guidelines?"))
    by_field = matching_items(CYCLOBENZAPRINE, SAME_PARAGRAPH, word("guidelines?"))
    assert by_sentence < by_field


def test_a_word_as_written_is_neither_its_other_forms_nor_its_drug(index_dir):
    def holding(pattern: str) -> set[tuple[str, int]]:
        return {
            key
            for key, texts in searched_texts().items()
            if any(re.search(pattern, text, re.I) for text in texts)
        }

    assert found(index_dir, "#sessions") == holding(r"\bsessions\b")
    assert found(index_dir, "#session") == holding(r"\bsession\b") != holding(r"\bsessions?\b")
    assert found(index_dir, "#medications") == holding(r"\bmedications\b")
    assert found(index_dir, "medications") > found(index_dir, "#medications")  # stems: medic
    assert found(index_dir, "#cyclobenzaprine") == holding(r"\bcyclobenzaprine\b")
    assert found(index_dir, "cyclobenzaprine") > found(index_dir, "#cyclobenzaprine")  # Flexeril
    assert found(index_dir, "#l5-s1") == holding(r"(?<![\w#])(?<!\w[-/.])l5-s1(?![-/.]?\w)")
    assert found(index_dir, "#s1") == holding(r"(?<!\w)s1(?!\w)")  # whole, or a part of one
    assert found(index_dir, "#s1")
    assert found(index_dir, "#sessions AND outcome:upheld") == {
        item.key
        for item in truth_items()
        if item.outcome == "Upheld" and item.key in holding(r"\bsessions\b")
    }
    assert search(index_dir, "rationale:#sessions").total == len(
        {item.key for item in truth_items() if re.search(r"\bsessions\b", searched_texts()[
            item.key][3], re.I)}
    )  # fmt: skip
