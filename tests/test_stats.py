"""Outcome statistics and similar decisions over a real index of the sample corpus; the
expected counts come from the truth rows and the letters themselves."""

import csv
import io
import json
from collections import defaultdict

import pytest
from typer.testing import CliRunner

from imr_search.cli import app
from imr_search.engine.query import QueryError
from imr_search.engine.schema import facet_value
from imr_search.search import NotFound, similar, stats, wilson_interval

from .conftest import truth_rows


def truth_values(row: dict, field: str) -> set[str]:
    """A truth row's values of a grouping field, normalised as facets are."""
    if field == "specialty":
        return {facet_value(v) for v in row["specialties"]}
    if field == "license_state":
        return {facet_value(v) for v in row["license_states"]}
    if field == "year":
        return {row["decision_date"][:4]} if row.get("decision_date") else {"(none)"}
    if field == "age":
        age = row.get("age")
        return {f"{age // 10 * 10}-{age // 10 * 10 + 9}"} if age is not None else {"(none)"}
    return {row.get(field) or "(none)"}


def truth_counts(fields: tuple[str, ...]) -> dict[tuple[str, ...], tuple[int, int]]:
    """(value, ...) -> (items, overturned), an item counted once under each value."""
    counts: dict[tuple[str, ...], list[int]] = defaultdict(lambda: [0, 0])
    for row in truth_rows():
        combos = [()]
        for field in fields:
            combos = [combo + (value,) for combo in combos for value in truth_values(row, field)]
        for combo in combos:
            for item in row["items"]:
                counts[combo][0] += 1
                counts[combo][1] += item["outcome"] == "Overturned"
    return {key: tuple(value) for key, value in counts.items()}


def found_counts(result) -> dict[tuple[str, ...], tuple[int, int]]:
    return {
        tuple(facet_value(v) if v != "(none)" else v for v in group.values.values()): (
            group.counts.items,
            group.counts.overturned,
        )
        for group in result.groups
    }


@pytest.mark.parametrize(
    "by", [("specialty",), ("state",), ("year",), ("sex",), ("age",), ("state", "year")]
)
def test_counts_and_rates_equal_truth(index_dir, by):
    result = stats(index_dir, "*", by)
    fields = result.by
    expected = truth_counts(fields)
    assert found_counts(result) == expected
    for group in result.groups:
        counts = group.counts
        assert counts.upheld + counts.overturned == counts.items
        assert counts.rate == counts.overturned / counts.items
        assert counts.interval == wilson_interval(counts.overturned, counts.items)
    items = [g.counts.items for g in result.groups]
    assert items == sorted(items, reverse=True)
    rows = truth_rows()
    assert result.total.items == sum(len(row["items"]) for row in rows)
    assert result.total.overturned == sum(
        item["outcome"] == "Overturned" for row in rows for item in row["items"]
    )


def test_counts_by_parsed_fields(index_dir, letters):
    result = stats(index_dir, "*", ("category",))
    expected: dict[tuple[str, ...], list[int]] = defaultdict(lambda: [0, 0])
    for letter in letters:
        for item in letter.items:
            expected[(item.category,)][0] += 1
            expected[(item.category,)][1] += item.outcome == "Overturned"
    assert found_counts(result) == {key: tuple(value) for key, value in expected.items()}


def test_a_query_narrows_the_counts(index_dir, letters):
    result = stats(index_dir, "drug:cyclobenzaprine", ("specialty",))
    expected: dict[tuple[str, ...], list[int]] = defaultdict(lambda: [0, 0])
    for letter in letters:
        for item in letter.items:
            if item.drug == "cyclobenzaprine":
                for value in {facet_value(s) for s in letter.specialties}:
                    expected[(value,)][0] += 1
                    expected[(value,)][1] += item.outcome == "Overturned"
    assert expected
    assert found_counts(result) == {key: tuple(value) for key, value in expected.items()}


def test_small_groups_fold_into_other(index_dir):
    everything = stats(index_dir, "*", ("specialty",))
    folded = stats(index_dir, "*", ("specialty",), minimum=5)
    small = [g for g in everything.groups if g.counts.items < 5]
    assert small and len(small) < len(everything.groups)
    assert folded.groups[:-1] == tuple(g for g in everything.groups if g.counts.items >= 5)
    other = folded.groups[-1]
    assert other.values == {"specialty": "other"}
    assert other.counts.items == sum(g.counts.items for g in small)
    assert other.counts.overturned == sum(g.counts.overturned for g in small)
    assert folded.total == everything.total


# Wilson 95% intervals as published in tables of binomial confidence intervals.
WILSON_POINTS = [
    (0, 10, 0.0, 0.2775),
    (5, 10, 0.2366, 0.7634),
    (1, 20, 0.0089, 0.2361),
    (10, 10, 0.7225, 1.0),
    (81, 263, 0.2553, 0.3662),
]


@pytest.mark.parametrize("successes, trials, low, high", WILSON_POINTS)
def test_wilson_interval_at_known_points(successes, trials, low, high):
    found_low, found_high = wilson_interval(successes, trials)
    assert found_low == pytest.approx(low, abs=1e-4)
    assert found_high == pytest.approx(high, abs=1e-4)


def test_no_items_no_interval():
    assert wilson_interval(0, 0) is None


@pytest.mark.parametrize(
    "by, message",
    [
        (("outcome",), "cannot group by outcome"),
        (("colour",), "cannot group by 'colour'; fields: specialty"),
        (("specialty", "year", "sex"), "group by one or two fields"),
    ],
)
def test_bad_groupings_are_refused(index_dir, by, message):
    with pytest.raises(QueryError, match=message):
        stats(index_dir, "*", by)


# ---------------------------------------------------------------- similar


def items_of(letters, keep):
    return [(letter, item) for letter in letters for item in letter.items if keep(letter, item)]


def is_muscle_relaxant(letter, item) -> bool:
    return item.drug_class == "muscle relaxant"


def is_physical_therapy(letter, item) -> bool:
    return "physical therapy" in item.item.lower()


@pytest.mark.parametrize("kind", [is_muscle_relaxant, is_physical_therapy])
def test_similar_finds_the_same_treatment_in_other_letters_first(index_dir, letters, kind):
    by_key = {
        (letter.case, item.position): (letter, item) for letter in letters for item in letter.items
    }
    chosen = items_of(letters, kind)
    assert len({letter.case for letter, _ in chosen}) >= 4
    for letter, item in chosen:
        result = similar(index_dir, f"{letter.case}#{item.position}", limit=3)
        assert result.hits, letter.case
        assert all(hit.case != letter.case for hit in result.hits)
        found = [by_key[(hit.case, hit.item_no)] for hit in result.hits]
        assert kind(*found[0]), (letter.case, item.item, found[0][1].item)
        assert sum(kind(*pair) for pair in found) >= 2, (letter.case, item.item)
        outcomes = {}
        for hit in result.hits:
            outcomes[hit.outcome] = outcomes.get(hit.outcome, 0) + 1
        assert result.facets["outcome"] == outcomes
        assert result.total == len(result.hits)


def test_similar_ranks_the_same_at_any_limit(index_dir, letters):
    for letter, item in items_of(letters, is_physical_therapy):
        reference = f"{letter.case}#{item.position}"
        ten = similar(index_dir, reference, limit=10).hits
        for limit in (1, 2, 3):
            assert similar(index_dir, reference, limit=limit).hits == ten[:limit], reference


def test_similar_needs_an_item_for_a_letter_of_several(index_dir, letters):
    several = next(letter for letter in letters if len(letter.items) > 1)
    with pytest.raises(NotFound, match=f"{several.case} has {len(several.items)} items; name one"):
        similar(index_dir, several.case)
    with pytest.raises(NotFound, match="has no item 99"):
        similar(index_dir, f"{several.case}#99")
    with pytest.raises(NotFound, match="no letter CM00-0000000"):
        similar(index_dir, "CM00-0000000#1")
    single = next(letter for letter in letters if len(letter.items) == 1)
    assert similar(index_dir, single.case).hits


# ---------------------------------------------------------------- the command line


def run(*args: str):
    result = CliRunner().invoke(app, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def test_stats_formats_agree(index_dir):
    args = ("stats", "*", "--by", "state", "--min", "3", "--index", str(index_dir))
    expected = stats(index_dir, "*", ("state",), minimum=3)
    records = [json.loads(line) for line in run(*args, "-f", "json").stdout.splitlines()]
    groups, summary = records[:-1], records[-1]
    assert [g["group"] for g in groups] == [g.values for g in expected.groups]
    assert [(g["items"], g["upheld"], g["overturned"]) for g in groups] == [
        (g.counts.items, g.counts.upheld, g.counts.overturned) for g in expected.groups
    ]
    assert summary["type"] == "summary" and summary["items"] == expected.total.items
    assert summary["rate"] == expected.total.rate
    rows = list(csv.DictReader(io.StringIO(run(*args, "-f", "csv").stdout)))
    assert [r["license_state"] for r in rows] == [g["group"]["license_state"] for g in groups] + [
        "total"
    ]
    assert [float(r["rate"]) for r in rows[:-1]] == [g["rate"] for g in groups]
    table = run(*args)
    assert table.exit_code == 0
    for group in groups:
        assert group["group"]["license_state"] in table.stdout
        assert f"{group['rate']:.1%}" in table.stdout


def test_stats_errors_and_nothing_found(index_dir):
    refused = run("stats", "*", "--by", "outcome", "--index", str(index_dir))
    assert refused.exit_code == 2 and "cannot group by outcome" in refused.stderr
    nothing = run("stats", "zyzzyva", "--by", "year", "--index", str(index_dir))
    assert nothing.exit_code == 1


def test_similar_command(index_dir):
    hits = [
        json.loads(line)
        for line in run(
            "similar", "CM16-0230651#9", "-n", "3", "--index", str(index_dir), "-f", "json"
        ).stdout.splitlines()
    ]
    assert hits[-1] == {
        "type": "summary",
        "query": "similar to CM16-0230651#9",
        "total": 3,
        "page": 1,
        "limit": 3,
        "facets": hits[-1]["facets"],
    }
    assert all(hit["case"] != "CM16-0230651" for hit in hits[:-1])
    missing = run("similar", "CM16-0230651", "--index", str(index_dir))
    assert missing.exit_code == 1 and "name one, e.g. CM16-0230651#1" in missing.stderr
