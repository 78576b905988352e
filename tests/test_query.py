"""Searching a real index of the sample corpus. Every expected answer is computed here from
the letters themselves (parsed afresh, or their truth rows), never typed in."""

import re
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from imr_search.engine.query import QueryError, explain, parse_query
from imr_search.engine.schema import facet_value
from imr_search.letters.enrich import drug_table
from imr_search.search import Sort, search

from .conftest import truth_rows

EVERYTHING = 1000  # a limit above the corpus's item count


def found(index_dir, text, **options) -> set[tuple[str, int]]:
    result = search(index_dir, text, limit=EVERYTHING, **options)
    assert len(result.hits) == result.total
    return {(hit.case, hit.item_no) for hit in result.hits}


def items_where(letters, keep) -> set[tuple[str, int]]:
    return {
        (letter.case, item.position)
        for letter in letters
        for item in letter.items
        if keep(letter, item)
    }


def texts(letter, item) -> list[str]:
    """What a query without a field searches, field by field: the item's own text (its
    heading, rationale and both citations), never its letter's summary."""
    return [item.item, item.rationale, item.claims_guideline.text, item.maximus_guideline.text]


def says(pattern: str, within=texts):
    """Whether one of the fields `within` gives has `pattern` (a phrase is within one)."""
    return lambda letter, item: any(re.search(pattern, text, re.I) for text in within(letter, item))


def summary_says(pattern: str):
    return says(pattern, within=lambda letter, item: [letter.summary])


# ---------------------------------------------------------------- phrases


def test_the_readme_query_returns_exactly_the_upheld_items_with_the_phrase(index_dir, letters):
    expected = items_where(
        letters,
        lambda letter, item: (
            item.outcome == "Upheld" and says(r"\bacute\s+exacerbations?\b")(letter, item)
        ),
    )
    assert expected
    assert found(index_dir, '"acute exacerbation" AND outcome:Upheld') == expected


def test_not_medically_necessary_never_matches_is_medically_necessary(index_dir, letters):
    only_positive = items_where(
        letters,
        lambda letter, item: (
            says(r"\bis\s+medically\s+necessary")(letter, item)
            and not says(r"\bnot\s+medically\s+necessary")(letter, item)
        ),
    )
    assert only_positive  # the overturned items say it
    hits = found(index_dir, '"not medically necessary"')
    assert hits == items_where(letters, says(r"\bnot\s+medically\s+necessary"))
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
def test_phrases_of_any_length_match_exactly(index_dir, letters, phrase, pattern):
    expected = items_where(letters, says(pattern))
    assert expected
    assert found(index_dir, phrase) == expected


def test_bare_words_are_anded_across_fields(index_dir, letters):
    expected = items_where(
        letters,
        lambda letter, item: says(r"\bmri\b")(letter, item) and says(r"\bknee")(letter, item),
    )
    assert expected
    assert found(index_dir, "MRI knee") == expected
    assert found(index_dir, "MRI AND knee") == expected


def test_not_excludes_and_or_includes(index_dir, letters):
    mri = found(index_dir, "mri")
    knee = found(index_dir, "knee")
    assert found(index_dir, "mri NOT knee") == mri - knee
    assert found(index_dir, "mri OR knee") == mri | knee
    assert found(index_dir, "(mri OR knee) AND outcome:overturned") == (mri | knee) & items_where(
        letters, lambda letter, item: item.outcome == "Overturned"
    )


def test_wildcards_fuzzy_and_proximity(index_dir, letters):
    assert found(index_dir, "exacerb*") == items_where(letters, says(r"\bexacerb"))
    assert found(index_dir, "cyclobenzap*") == found(index_dir, '"cyclobenzaprine"')
    assert found(index_dir, "flexer?l") == found(index_dir, '"flexeril"')
    assert found(index_dir, "flexiril~") == found(index_dir, '"flexeril"')
    near = found(index_dir, '"physical therapy sessions"~3')
    assert near == items_where(letters, says(r"\bphysical\s+therapy\s+(?:\S+\s+){0,2}sessions?\b"))


def test_joined_tokens_are_found_whole_and_by_part(index_dir, letters):
    assert found(index_dir, '"L4-L5"') == items_where(letters, says(r"\bL4-L5\b"))
    assert found(index_dir, "L5") == items_where(letters, says(r"\bL5\b"))


# ---------------------------------------------------------------- fields


def test_fields_and_values_are_case_insensitive(index_dir, letters):
    upheld = items_where(letters, lambda letter, item: item.outcome == "Upheld")
    assert found(index_dir, "outcome:Upheld") == upheld
    assert found(index_dir, "OUTCOME:upheld") == upheld
    assert found(index_dir, "Outcome:UPHELD") == upheld


def test_specialty_is_one_value_however_it_is_spelled(index_dir, letters):
    expected = items_where(
        letters,
        lambda letter, item: (
            "physical medicine and rehabilitation" in {facet_value(s) for s in letter.specialties}
        ),
    )
    assert expected
    assert found(index_dir, 'specialty:"Physical Medicine & Rehabilitation"') == expected
    assert found(index_dir, 'specialty:"physical medicine and rehabilitation"') == expected


def test_state_alias(index_dir, letters):
    expected = items_where(letters, lambda letter, item: "New Jersey" in letter.license_states)
    assert expected
    assert found(index_dir, 'state:"new jersey"') == expected
    assert found(index_dir, 'license_state:"New Jersey"') == expected


def test_case_finds_its_letter(index_dir, letters):
    letter = next(letter for letter in letters if letter.has_case_number)
    expected = {(letter.case, item.position) for item in letter.items}
    assert found(index_dir, f"case:{letter.case.lower()}") == expected


# ---------------------------------------------------------------- drugs


def test_brand_name_finds_the_generic_and_back(index_dir, letters):
    by_name, _ = drug_table()
    names = [n for n, d in by_name.items() if d.generic == "cyclobenzaprine" and " " not in n]
    expected = items_where(
        letters,
        lambda letter, item: (
            item.drug == "cyclobenzaprine"
            or any(says(rf"\b{re.escape(name)}\b")(letter, item) for name in names)
        ),
    )
    only_brand = items_where(
        letters,
        lambda letter, item: (
            says(r"\bflexeril\b")(letter, item) and not says(r"\bcyclobenzaprine\b")(letter, item)
        ),
    )
    assert only_brand  # items that never say "cyclobenzaprine"
    assert found(index_dir, "flexeril") == expected
    assert found(index_dir, "Cyclobenzaprine") == expected
    assert only_brand <= found(index_dir, "Cyclobenzaprine")


def test_drug_field_takes_brand_or_generic(index_dir, letters):
    expected = items_where(letters, lambda letter, item: item.drug == "cyclobenzaprine")
    assert expected
    assert found(index_dir, "drug:Flexeril") == expected
    assert found(index_dir, "drug:cyclobenzaprine") == expected


def test_a_quoted_name_matches_as_written(index_dir, letters):
    assert found(index_dir, '"flexeril"') == items_where(letters, says(r"\bflexeril\b"))


# ---------------------------------------------------------------- dates and numbers


def truth_items(keep) -> set[tuple[str, int]]:
    chosen = set()
    for row in truth_rows():
        case = row["case"] or Path(row["file"]).stem
        fields = {
            name: date.fromisoformat(row[name]) if row.get(name) else None
            for name in ("decision_date", "injury_date")
        }
        if keep(fields, row):
            chosen |= {(case, n) for n in range(1, len(row["items"]) + 1)}
    return chosen


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
    expected = truth_items(lambda fields, row: bool(keep(fields, row)))
    assert expected, text
    assert found(index_dir, text) == expected


# ---------------------------------------------------------------- facets


def by_outcome(items) -> Counter:
    return Counter(outcome for _, outcome in items)


def test_every_facet_count_equals_truth(index_dir, letters):
    result = search(
        index_dir,
        "*",
        facets=("specialty", "state", "year", "sex", "category", "drug", "drug_class", "source"),
    )
    rows = truth_rows()
    assert result.total == sum(len(row["items"]) for row in rows)
    expected = {
        name: Counter() for name in ("outcome", "specialty", "license_state", "year", "sex")
    }
    for row in rows:
        n = len(row["items"])
        expected["outcome"].update(item["outcome"] for item in row["items"])
        for name, values in (
            ("specialty", row["specialties"]),
            ("license_state", row["license_states"]),
        ):
            for value in {facet_value(v) for v in values}:
                expected[name][value] += n
        decided = row.get("decision_date")
        expected["year"][decided[:4] if decided else "(none)"] += n
        expected["sex"][row.get("sex") or "(none)"] += n
    parsed = {name: Counter() for name in ("category", "drug", "drug_class", "guideline_source")}
    for letter in letters:
        for item in letter.items:
            parsed["category"][item.category or "(none)"] += 1
            parsed["drug_class"][facet_value(item.drug_class) if item.drug_class else "(none)"] += 1
            for generic in item.drug.split(" / ") if item.drug else ["(none)"]:
                parsed["drug"][generic] += 1
            for source in item.guideline_sources:
                parsed["guideline_source"][facet_value(source)] += 1
    expected.update(parsed)
    for name, counts in expected.items():
        shown = {facet_value(k) if k != "(none)" else k: v for k, v in result.facets[name].items()}
        assert shown == {facet_value(k) if k != "(none)" else k: v for k, v in counts.items()}, name


def test_facets_count_only_the_matching_items(index_dir, letters):
    result = search(index_dir, "outcome:Upheld", facets=("category",))
    expected = Counter(
        item.category for letter in letters for item in letter.items if item.outcome == "Upheld"
    )
    assert result.facets["outcome"] == {"Upheld": sum(expected.values())}
    assert result.facets["category"] == dict(expected)
    assert list(result.facets["category"].values()) == sorted(expected.values(), reverse=True)


def test_facet_values_are_shown_as_the_letters_write_them(index_dir):
    result = search(index_dir, "*", facets=("state",))
    assert "California" in result.facets["license_state"]
    assert set(result.facets["outcome"]) == {"Upheld", "Overturned"}


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
    dates = [hit.decision_date for hit in result.hits]
    dated = [d for d in dates if d]
    assert dates[: len(dated)] == dated  # undated ones all at the end
    assert dated == sorted(dated, reverse=sort is Sort.newest)
    assert all(hit.score is None for hit in result.hits)


def test_letters_group_each_letters_matching_items(index_dir):
    items = search(index_dir, "flexeril", limit=EVERYTHING)
    by_letter: dict[str, list[int]] = {}
    for hit in items.hits:
        by_letter.setdefault(hit.case, []).append(hit.item_no)
    grouped = search(index_dir, "flexeril", letters=True, limit=EVERYTHING)
    assert grouped.total_letters == len(by_letter)
    assert [letter.case for letter in grouped.letters] == list(by_letter)
    for letter in grouped.letters:
        assert [hit.item_no for hit in letter.items] == by_letter[letter.case]
    second = search(index_dir, "flexeril", letters=True, limit=2, page=2)
    assert [letter.case for letter in second.letters] == list(by_letter)[2:4]


# ---------------------------------------------------------------- snippets


def test_snippets_mark_the_matched_words(index_dir):
    result = search(index_dir, '"acute exacerbation" AND outcome:Upheld')
    for hit in result.hits:
        marked = [hit.snippet.text[a:b].lower() for a, b in hit.snippet.marks]
        assert any(word.startswith("acute") for word in marked), hit
        assert any(word.startswith("exacerbation") for word in marked), hit
        assert re.search(r"acute exacerbations?", hit.snippet.text, re.I)


def test_a_field_only_query_shows_the_rationale_opening(index_dir, letters):
    result = search(index_dir, "drug:baclofen")
    rationale = {
        (letter.case, item.position): " ".join(item.rationale.split())
        for letter in letters
        for item in letter.items
    }
    assert result.hits
    for hit in result.hits:
        assert rationale[(hit.case, hit.item_no)].startswith(hit.snippet.text)
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
]


@pytest.mark.parametrize("text, message", ERRORS)
def test_bad_queries_say_where_and_what(text, message):
    with pytest.raises(QueryError) as raised:
        parse_query(text)
    assert message in str(raised.value)


def test_counts_are_about_the_items_own_text(index_dir, letters):
    """A phrase counts the items whose own text has it; a summary that has it does not
    make its letter's other items count."""
    from imr_search.search import stats

    own = items_where(letters, says(r"\bphysical\s+therap(y|ies)\b"))
    by_summary = items_where(letters, summary_says(r"\bphysical\s+therap(y|ies)\b"))
    assert own and by_summary - own  # letters whose summary has it beside other items
    assert found(index_dir, '"physical therapy"') == own
    assert stats(index_dir, '"physical therapy"', ("category",)).total.items == len(own)
    assert found(index_dir, 'summary:"physical therapy"') == by_summary


def test_guideline_means_either_citation_never_across_them(index_dir, letters):
    def citations(letter, item):
        return [item.claims_guideline.text, item.maximus_guideline.text]

    def joined(letter, item):
        return [item.claims_guideline.text + "\n" + item.maximus_guideline.text]

    seam = r"\bchapter\W+decision\b"  # the end of the claims citation, the start of the other
    across = items_where(letters, says(seam, within=joined)) - items_where(
        letters, says(seam, within=citations)
    )
    assert across  # a phrase that only the seam between the two citations would make
    assert found(index_dir, 'guideline:"chapter decision"') == items_where(
        letters, says(seam, within=citations)
    )
    chronic = r"\bchronic\s+pain\b"
    assert found(index_dir, 'guideline:"chronic pain"') == items_where(
        letters, says(chronic, within=citations)
    )
    assert found(index_dir, 'maximus_guideline:"chronic pain"') == items_where(
        letters, says(chronic, within=lambda letter, item: [item.maximus_guideline.text])
    )
