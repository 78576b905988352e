"""Searching a real index of the sample corpus. Every expected answer is computed here from
the letters themselves, never typed in: their truth rows, their raw text, and the rules of
tests/oracles.py, none of which goes through imr_search."""

import re
from collections import Counter
from datetime import date
from functools import cache

import pytest

from imr_search.engine.query import QueryError, explain, parse_query
from imr_search.search import Sort, search

from .conftest import truth_rows
from .oracles import (
    TruthItem,
    category_of,
    drug_class_of,
    drugs_named,
    facet_key,
    raw_item,
    raw_summary,
    sources_of,
    truth_date,
    truth_items,
)

EVERYTHING = 1000  # a limit above the corpus's item count


def found(index_dir, text, **options) -> set[tuple[str, int]]:
    result = search(index_dir, text, limit=EVERYTHING, **options)
    assert len(result.hits) == result.total
    return {(hit.case, hit.item_no) for hit in result.hits}


def items_where(keep) -> set[tuple[str, int]]:
    return {item.key for item in truth_items() if keep(item)}


@cache
def searched_texts() -> dict[tuple[str, int], tuple[str, ...]]:
    """What a query without a field searches, item by item and field by field, cut from the
    letters' raw text: the item's own text (the item, its guidelines and rationale), never
    its letter's summary."""
    texts = {}
    for item in truth_items():
        raw = raw_item(item)
        texts[item.key] = (item.item, raw.claims_guideline, raw.maximus_guideline, raw.rationale)
    return texts


def says(pattern: str, within=lambda item: searched_texts()[item.key]):
    """Whether a field `within` gives has `pattern` (a phrase lies within one field)."""
    return lambda item: any(re.search(pattern, text, re.I) for text in within(item))


def summary_says(pattern: str):
    return says(pattern, within=lambda item: [raw_summary(item.row)])


def upheld(item: TruthItem) -> bool:
    return item.outcome == "Upheld"


# ---------------------------------------------------------------- phrases


def test_the_readme_query_returns_exactly_the_upheld_items_with_the_phrase(index_dir):
    phrase = says(r"\bacute\s+exacerbations?\b")
    expected = items_where(lambda item: upheld(item) and phrase(item))
    assert expected
    assert found(index_dir, '"acute exacerbation" AND outcome:Upheld') == expected


def test_not_medically_necessary_never_matches_is_medically_necessary(index_dir):
    positive, negative = (
        says(r"\bis\s+medically\s+necessary"),
        says(r"\bnot\s+medically\s+necessary"),
    )
    only_positive = items_where(lambda item: positive(item) and not negative(item))
    assert only_positive  # the overturned items say it
    hits = found(index_dir, '"not medically necessary"')
    assert hits == items_where(negative)
    assert not hits & only_positive


@pytest.mark.parametrize(
    "phrase, pattern",
    [
        ('"muscle relaxants"', r"\bmuscle\s+relaxants?\b"),
        ('"not medically necessary"', r"\bnot\s+medically\s+necessary\b"),
        ('"short course of therapy"', r"\bshort\s+course\s+of\s+therapy\b"),
        ('"for the short-term treatment"', r"\bfor\s+the\s+short-term\s+treatment\b"),
        ('"short-term treatment"', r"\bshort-term\s+treatment\b"),
    ],
)
def test_phrases_of_any_length_match_exactly(index_dir, phrase, pattern):
    expected = items_where(says(pattern))
    assert expected
    assert found(index_dir, phrase) == expected


def test_bare_words_are_anded_across_fields(index_dir):
    expected = items_where(lambda item: says(r"\bmris?\b")(item) and says(r"\bknee")(item))
    assert expected
    assert found(index_dir, "MRI knee") == expected
    assert found(index_dir, "MRI AND knee") == expected


def test_not_excludes_and_or_includes(index_dir):
    mri, knee = items_where(says(r"\bmris?\b")), items_where(says(r"\bknee"))  # stemmed: MRIs
    assert mri - knee and knee - mri and mri & knee
    assert found(index_dir, "mri") == mri
    assert found(index_dir, "mri NOT knee") == mri - knee
    assert found(index_dir, "mri OR knee") == mri | knee
    overturned = items_where(lambda item: item.outcome == "Overturned")
    assert found(index_dir, "(mri OR knee) AND outcome:overturned") == (mri | knee) & overturned


def test_minus_leaves_out_and_plus_requires(index_dir):
    mri, knee = items_where(says(r"\bmris?\b")), items_where(says(r"\bknee"))
    hip = items_where(says(r"\bhips?\b"))
    assert mri - knee and mri & knee
    assert found(index_dir, "mri -knee") == mri - knee
    assert found(index_dir, "-knee mri") == mri - knee
    assert found(index_dir, "mri +knee") == mri & knee
    assert found(index_dir, "mri -(knee OR hip)") == mri - knee - hip
    upheld_items = items_where(upheld)
    assert found(index_dir, "mri -outcome:upheld") == mri - upheld_items
    assert found(index_dir, "flare-up") == items_where(says(r"\bflare-ups?\b"))  # a word's own


@pytest.mark.parametrize("quotes", ["\u201c\u201d", "\u201e\u201c", "\u00ab\u00bb"])
def test_curly_quotes_are_quotes(index_dir, quotes):
    expected = items_where(says(r"\bfunctional\s+improvements?\b"))
    assert expected and expected != items_where(
        lambda item: says(r"\bfunction")(item) and says(r"\bimprov")(item)
    )
    assert found(index_dir, f"{quotes[0]}functional improvement{quotes[1]}") == expected


def test_wildcards_fuzzy_and_proximity(index_dir):
    assert found(index_dir, "exacerb*") == items_where(says(r"\bexacerb"))
    assert found(index_dir, "cyclobenzap*") == items_where(says(r"\bcyclobenzap"))
    assert found(index_dir, "flexer?l") == items_where(says(r"\bflexer\wl\b"))
    flexeril = items_where(says(r"\bflexeril\b"))
    assert found(index_dir, "flexiril~") == flexeril
    near = found(index_dir, '"physical therapy sessions"~3')
    assert near == items_where(says(r"\bphysical\s+therapy\s+(?:\S+\s+){0,2}sessions?\b"))


def test_joined_tokens_are_found_whole_and_by_part(index_dir):
    assert found(index_dir, '"L4-L5"') == items_where(says(r"\bL4-L5\b"))
    assert found(index_dir, "L5") == items_where(says(r"\bL5\b"))


# ---------------------------------------------------------------- fields


def test_fields_and_values_are_case_insensitive(index_dir):
    expected = items_where(upheld)
    assert found(index_dir, "outcome:Upheld") == expected
    assert found(index_dir, "OUTCOME:upheld") == expected
    assert found(index_dir, "Outcome:UPHELD") == expected


def test_specialty_is_one_value_however_it_is_spelled(index_dir):
    pmr = "physical medicine and rehabilitation"
    spellings = {s for row in truth_rows() for s in row["specialties"] if facet_key(s) == pmr}
    assert len(spellings) > 1  # "&" in the real letters, "and" in a seed letter
    expected = items_where(lambda item: pmr in map(facet_key, item.row["specialties"]))
    assert expected
    for spelling in spellings:
        assert found(index_dir, f'specialty:"{spelling}"') == expected


def test_state_alias(index_dir):
    expected = items_where(lambda item: "New Jersey" in item.row["license_states"])
    assert expected
    assert found(index_dir, 'state:"new jersey"') == expected
    assert found(index_dir, 'license_state:"New Jersey"') == expected


# The postal codes of the states the sample letters' reviewers hold licenses in.
POSTAL_CODES = {"California": "CA", "New Jersey": "NJ", "New York": "NY", "Texas": "TX"}


@pytest.mark.parametrize("name", sorted(POSTAL_CODES))
def test_a_state_by_its_postal_code(index_dir, name):
    expected = items_where(lambda item: name in item.row["license_states"])
    assert expected, name
    assert found(index_dir, f"state:{POSTAL_CODES[name]}") == expected
    assert found(index_dir, f"state:{POSTAL_CODES[name].lower()}") == expected


def test_case_finds_its_letter(index_dir):
    row = next(row for row in truth_rows() if row["case"])
    expected = {(row["case"], n) for n in range(1, len(row["items"]) + 1)}
    assert found(index_dir, f"case:{row['case'].lower()}") == expected


# ---------------------------------------------------------------- drugs

# Every name of cyclobenzaprine, as a pharmacology reference gives them.
CYCLOBENZAPRINE = ("cyclobenzaprine", "flexeril", "fexmid", "amrix")


def names_cyclobenzaprine(item: TruthItem) -> bool:
    return "cyclobenzaprine" in drugs_named(item.item)


def any_name_of_cyclobenzaprine() -> set[tuple[str, int]]:
    """The items a bare drug name finds: those of the drug, and those that name it."""
    any_name = says(rf"\b(?:{'|'.join(CYCLOBENZAPRINE)})\b")
    return items_where(lambda item: names_cyclobenzaprine(item) or any_name(item))


def test_brand_name_finds_the_generic_and_back(index_dir):
    expected = any_name_of_cyclobenzaprine()
    only_brand = items_where(
        lambda item: says(r"\bflexeril\b")(item) and not says(r"\bcyclobenzaprine\b")(item)
    )
    assert only_brand  # items that never say "cyclobenzaprine"
    assert found(index_dir, "flexeril") == expected
    assert found(index_dir, "Cyclobenzaprine") == expected
    assert only_brand <= found(index_dir, "Cyclobenzaprine")


def test_drug_field_takes_brand_or_generic(index_dir):
    expected = items_where(names_cyclobenzaprine)
    assert expected
    assert found(index_dir, "drug:Flexeril") == expected
    assert found(index_dir, "drug:cyclobenzaprine") == expected


def test_a_quoted_name_matches_as_written(index_dir):
    assert found(index_dir, '"flexeril"') == items_where(says(r"\bflexeril\b"))


# ---------------------------------------------------------------- dates and numbers


def truth_items_where(keep) -> set[tuple[str, int]]:
    def letter_kept(item: TruthItem) -> bool:
        row = item.row
        fields = {name: truth_date(row, name) for name in ("decision_date", "injury_date")}
        return bool(keep(fields, row))

    return items_where(letter_kept)


DATE_AND_NUMBER_QUERIES = [
    ("decided:2016", lambda d, row: d["decision_date"] and d["decision_date"].year == 2016),
    (
        "decided:2017-01",
        lambda d, row: (
            d["decision_date"] and (d["decision_date"].year, d["decision_date"].month) == (2017, 1)
        ),
    ),
    (
        "decided:[2016-12-15 TO 2017-01-06]",
        lambda d, row: (
            d["decision_date"] and date(2016, 12, 15) <= d["decision_date"] <= date(2017, 1, 6)
        ),
    ),
    (
        "decided:{2017-01-04 TO 2017-02}",
        lambda d, row: (
            d["decision_date"] and date(2017, 1, 4) < d["decision_date"] < date(2017, 2, 1)
        ),
    ),
    (
        "decided:>2017-01",
        lambda d, row: d["decision_date"] and d["decision_date"] >= date(2017, 2, 1),
    ),
    ("decided:01/09/2017", lambda d, row: d["decision_date"] == date(2017, 1, 9)),
    ('decided:"January 9, 2017"', lambda d, row: d["decision_date"] == date(2017, 1, 9)),
    (
        "decided:01/2017",
        lambda d, row: (
            d["decision_date"]
            and d["decision_date"] < date(2017, 2, 1)
            and d["decision_date"] >= date(2017, 1, 1)
        ),
    ),
    (
        'decided:"dec 2016"',
        lambda d, row: (
            d["decision_date"] and (d["decision_date"].year, d["decision_date"].month) == (2016, 12)
        ),
    ),
    ("injured:<2010", lambda d, row: d["injury_date"] and d["injury_date"] < date(2010, 1, 1)),
    ("injured:<=2010", lambda d, row: d["injury_date"] and d["injury_date"] <= date(2010, 12, 31)),
    ("age:[40 TO 60]", lambda d, row: row["age"] is not None and 40 <= row["age"] <= 60),
    ("age:<40", lambda d, row: row["age"] is not None and row["age"] < 40),
    ("year:2017", lambda d, row: d["decision_date"] and d["decision_date"].year == 2017),
]


@pytest.mark.parametrize(
    "text, keep", DATE_AND_NUMBER_QUERIES, ids=[q for q, _ in DATE_AND_NUMBER_QUERIES]
)
def test_dates_and_numbers(index_dir, text, keep):
    expected = truth_items_where(keep)
    assert expected, text
    assert found(index_dir, text) == expected


# ---------------------------------------------------------------- facets

NONE = "(none)"


def truth_facets(keep=lambda item: True) -> dict[str, Counter]:
    """Facet -> value -> items holding it, from the truth rows and the items' own text."""
    counts = {
        name: Counter()
        for name in (
            "outcome",
            "specialty",
            "license_state",
            "year",
            "sex",
            "category",
            "drug",
            "drug_class",
            "guideline_source",
            "age",
        )
    }
    for item in filter(keep, truth_items()):
        row = item.row
        decided = row.get("decision_date")
        counts["outcome"][item.outcome] += 1
        counts["specialty"].update({facet_key(v) for v in row["specialties"]})
        counts["license_state"].update({facet_key(v) for v in row["license_states"]})
        counts["year"][decided[:4] if decided else NONE] += 1
        counts["sex"][row.get("sex") or NONE] += 1
        counts["category"][category_of(item.item)] += 1
        counts["drug"].update(drugs_named(item.item) or [NONE])
        counts["drug_class"][facet_key(drug_class_of(item.item) or NONE)] += 1
        sources = sources_of(raw_item(item).maximus_guideline)
        counts["guideline_source"].update(map(facet_key, sources))
        age = row.get("age")
        counts["age"][NONE if age is None else f"{age - age % 10}-{age - age % 10 + 9}"] += 1
    return counts


def shown(counts: dict) -> dict:
    return {facet_key(value): n for value, n in counts.items()}


def test_every_facet_count_equals_truth(index_dir):
    result = search(
        index_dir,
        "*",
        facets=(
            *("specialty", "state", "year", "sex", "category", "drug", "drug_class", "source"),
            "age",
        ),
    )
    assert result.total == len(truth_items())
    for name, counts in truth_facets().items():
        assert shown(result.facets[name]) == shown(counts), name


def test_facets_count_only_the_matching_items(index_dir):
    result = search(index_dir, "outcome:Upheld", facets=("category", "source"))
    expected = truth_facets(upheld)
    assert result.facets["outcome"] == {"Upheld": len(items_where(upheld))}
    assert shown(result.facets["category"]) == dict(expected["category"])
    assert shown(result.facets["guideline_source"]) == dict(expected["guideline_source"])
    assert list(result.facets["category"].values()) == sorted(
        expected["category"].values(), reverse=True
    )


def test_facet_values_are_shown_as_the_letters_write_them(index_dir):
    result = search(index_dir, "*", facets=("specialty", "state"))
    written = {value for row in truth_rows() for value in row["license_states"]}
    assert set(result.facets["license_state"]) == written
    assert set(result.facets["outcome"]) == {item.outcome for item in truth_items()}
    # One spelling of each specialty, one the letters use.
    specialties = {value for row in truth_rows() for value in row["specialties"]}
    assert set(result.facets["specialty"]) <= specialties
    assert len(result.facets["specialty"]) == len(set(map(facet_key, specialties)))


def test_unknown_facet_is_refused(index_dir):
    with pytest.raises(QueryError, match="cannot count by 'colour'; facets: outcome, specialty"):
        search(index_dir, "*", facets=("colour",))


# ---------------------------------------------------------------- pages, sorting, letters


def test_pages_follow_each_other(index_dir):
    whole = search(index_dir, "medically necessary", limit=20)
    second = search(index_dir, "medically necessary", limit=10, page=2)
    assert second.hits == whole.hits[10:20]
    assert second.total == whole.total > 20
    scores = [hit.score for hit in whole.hits]
    assert scores == sorted(scores, reverse=True)


@pytest.mark.parametrize("sort", [Sort.decided, Sort.newest])
def test_sorting_by_decision_date_puts_undated_letters_last(index_dir, sort):
    result = search(index_dir, "*", sort=sort, limit=EVERYTHING)
    decided = {item.key: truth_date(item.row, "decision_date") for item in truth_items()}
    dates = [decided[(hit.case, hit.item_no)] for hit in result.hits]
    assert [hit.decision_date for hit in result.hits] == dates
    dated = [d for d in dates if d]
    assert len(dated) < len(dates) == len(decided)
    assert dates[: len(dated)] == dated  # undated ones all at the end
    assert dated == sorted(dated, reverse=sort is Sort.newest)
    assert all(hit.score is None for hit in result.hits)


def test_letters_group_each_letters_matching_items(index_dir):
    items = search(index_dir, "flexeril", limit=EVERYTHING)
    by_letter: dict[str, list[int]] = {}
    for hit in items.hits:
        by_letter.setdefault(hit.case, []).append(hit.item_no)
    grouped = search(index_dir, "flexeril", letters=True, limit=EVERYTHING)
    assert grouped.total_letters == len({case for case, _ in any_name_of_cyclobenzaprine()})
    assert [letter.case for letter in grouped.letters] == list(by_letter)
    for letter in grouped.letters:
        assert [hit.item_no for hit in letter.items] == by_letter[letter.case]
    second = search(index_dir, "flexeril", letters=True, limit=2, page=2)
    assert [letter.case for letter in second.letters] == list(by_letter)[2:4]


# ---------------------------------------------------------------- snippets


def test_snippets_mark_the_matched_words(index_dir):
    result = search(index_dir, '"acute exacerbation" AND outcome:Upheld')
    assert result.hits
    for hit in result.hits:
        marked = [hit.snippet.text[a:b].lower() for a, b in hit.snippet.marks]
        assert any(word.startswith("acute") for word in marked), hit
        assert any(word.startswith("exacerbation") for word in marked), hit
        assert re.search(r"acute exacerbations?", hit.snippet.text, re.I)


def test_a_field_only_query_shows_the_rationale_opening(index_dir):
    result = search(index_dir, "drug:baclofen")
    baclofen = {item.key: item for item in truth_items() if "baclofen" in drugs_named(item.item)}
    assert baclofen
    assert {(hit.case, hit.item_no) for hit in result.hits} == set(baclofen)
    for hit in result.hits:
        assert raw_item(baclofen[(hit.case, hit.item_no)]).rationale.startswith(hit.snippet.text)
        assert hit.snippet.marks == ()


# ---------------------------------------------------------------- how queries are read


READINGS = [
    ("decided:2016", "decision_date:[2016-01-01 TO 2016-12-31]"),
    ("injured:<2010", "injury_date:[ TO 2009-12-31]"),
    ("injured:<=2010", "injury_date:[ TO 2010-12-31]"),
    ("decided:>2016-03", "decision_date:[2016-04-01 TO ]"),
    ("decided:[2016-01 TO 2016-06]", "decision_date:[2016-01-01 TO 2016-06-30]"),
    ("Outcome:UPHELD", "outcome:upheld"),
    (
        'specialty:"Physical Medicine & Rehabilitation"',
        "specialty:physical medicine and rehabilitation",
    ),
    ("drug:Norco", "drug:hydrocodone/acetaminophen"),
    ("age:[40 TO 60]", "age:[40 TO 60]"),
    ("year:2016", "year:2016"),
    ("*", "* (every item)"),
    ('"not medically necessary"', 'item:"not medic necessari"'),
]


@pytest.mark.parametrize("text, reading", READINGS)
def test_queries_are_read_as_meant(text, reading):
    assert reading in explain(parse_query(text))


ERRORS = [
    ("", "the query is empty"),
    ('"acute exacerbation AND outcome:Upheld', "unclosed quote at column 1"),
    ("(mri OR knee", "unclosed '(' at column 1"),
    ("mri OR knee)", "unmatched ')' at column 12"),
    ("decided:[2016 2017]", "the range at column 9 has no TO"),
    ("mri AND", "AND at column 5 has nothing after it"),
    ("OR mri", "OR at column 1 has nothing before it"),
    ("outcome:", "outcome: at column 1 has no value"),
    ("colour:red", "unknown field 'colour' at column 1; fields: case, item_no, item,"),
    ("decided:yesterday", "decision_date:yesterday at column 9 is not a date"),
    ("decided:2016-13", "is not a date"),
    ("age:old", "age:old at column 5 is not a whole number"),
    ("decided:20*", "decision_date takes a date, not a pattern"),
    ("decided:16", "decision_date:16 at column 9 is not a date; write a year (2016), a month"),
    ("decided:March", "decision_date:March at column 9 is not a date"),
    ('decided:"ma 2016"', "is not a date"),
    ("decided:2016-02-30", "is not a date"),
    ("mri - knee", "'-' at column 5 signs nothing"),
    ("mri +", "'+' at column 5 signs nothing"),
    ("<NT", "'<' at column 1 compares nothing"),
    (">= state: ?", "'>=' at column 1 compares nothing"),
    ("< '", "'<' at column 1 compares nothing"),
    ("mri age:>", "'>' at column 9 compares nothing"),
    ("NOT NOT mri", "NOT at column 1 negates a negation"),
    ("mri NOT -knee", "NOT at column 5 negates a negation"),
    ("decided:9999", "decision_date:9999 at column 9: a year from 1900 to 2100"),
    ("decided:<0001", "decision_date:0001 at column 10: a year from 1900 to 2100"),
    ("decided:[2016 TO 9999-12-31]", "a year from 1900 to 2100"),
    ("decided:{9999 TO *]", "a year from 1900 to 2100"),
    ("age:99999999999", "age:99999999999 at column 5 is past the numbers it holds"),
    ("mri~3", "mri~ at column 1: a word finds its typos 2 letters off at most"),
    ("# knee", "# at column 1 takes one word as written"),
    ('#"knee"', "# at column 1 takes one word as written"),
    ("#knee*", "# takes one word as written"),
    ("outcome:#upheld", "# is for text fields"),
    (":not w/3 AND pain", "':not w/3' at column 1 reads as a word, not a connector"),
    ("pain /99999999999999999999 opioid", "a distance is 1 word or more, and at most 100,000"),
    ("pain +99999999999999999999 opioid", "a distance is 1 word or more, and at most 100,000"),
    ('"chronic pain"~99999999999999999999', "words at most 100,000 apart"),
    ("pain/s opioid", "'pain/s' at column 1 reads as a word, not a connector"),
    ("pain w/ opioid", "'w/' at column 6 reads as a word, not a connector"),
    ("pain w/5opioid", "'w/5opioid' at column 6 reads as a word"),
    ("pain /sentence opioid", "'/sentence' at column 6 reads as a word"),
    ("atleast3 (pain)", "'atleast3' at column 1 reads as a word"),
]


# The letters' own abbreviations are words, never taken for connectors.
WORDS_NOT_CONNECTORS = ["s/p surgery", "w/c purchase", "w/o contrast", "L5/S1", "atleast3(pain)"]


@pytest.mark.parametrize("text", WORDS_NOT_CONNECTORS)
def test_abbreviations_like_connectors_are_read(text):
    parse_query(text)


@pytest.mark.parametrize("text, message", ERRORS)
def test_bad_queries_say_where_and_what(text, message):
    with pytest.raises(QueryError) as raised:
        parse_query(text)
    assert message in str(raised.value)


def test_counts_are_about_the_items_own_text(index_dir):
    """A phrase counts the items whose own text has it; a summary that has it does not
    make its letter's other items count."""
    from imr_search.search import stats

    therapy = r"\bphysical\s+therap(y|ies)\b"
    own, by_summary = items_where(says(therapy)), items_where(summary_says(therapy))
    assert own and by_summary - own  # letters whose summary has it beside other items
    assert found(index_dir, '"physical therapy"') == own
    assert stats(index_dir, '"physical therapy"', ("category",)).total.items == len(own)
    assert found(index_dir, 'summary:"physical therapy"') == by_summary


def test_guideline_means_either_citation_never_across_them(index_dir):
    def citations(item):
        raw = raw_item(item)
        return [raw.claims_guideline, raw.maximus_guideline]

    def joined(item):
        return [" ".join(citations(item))]

    seam = r"\bchapter\W+decision\b"  # the end of the claims citation, the start of the other
    within = items_where(says(seam, within=citations))
    assert items_where(says(seam, within=joined)) - within  # only the seam makes the phrase
    assert found(index_dir, 'guideline:"chapter decision"') == within
    chronic = r"\bchronic\s+pain\b"
    assert found(index_dir, 'guideline:"chronic pain"') == items_where(
        says(chronic, within=citations)
    )
    assert found(index_dir, 'maximus_guideline:"chronic pain"') == items_where(
        says(chronic, within=lambda item: [raw_item(item).maximus_guideline])
    )
