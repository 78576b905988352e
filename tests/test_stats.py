"""Outcome statistics and similar decisions over a real index of the sample corpus. The
expected counts come from the truth rows and from tests/oracles.py's rules over the items'
text; the expected intervals from the Wilson interval's definition, solved here."""

import json
from collections import Counter, defaultdict

import pytest
from typer.testing import CliRunner

from imr_search.cli import app
from imr_search.engine.query import QueryError
from imr_search.search import NotFound, similar, stats, wilson_interval

from .conftest import export_rows, truth_rows
from .oracles import (
    TruthItem,
    category_of,
    drug_class_of,
    drugs_named,
    facet_key,
    raw_item,
    sources_of,
    truth_items,
    wilson_by_bisection,
)

NONE = "(none)"


def truth_values(item: TruthItem, field: str) -> set[str]:
    """An item's values of a grouping field, from its truth row or its text."""
    row = item.row
    if field == "specialty":
        return {facet_key(v) for v in row["specialties"]} or {NONE}
    if field == "license_state":
        return {facet_key(v) for v in row["license_states"]} or {NONE}
    if field == "year":
        return {row["decision_date"][:4]} if row.get("decision_date") else {NONE}
    if field == "age":
        age = row.get("age")
        return {f"{age // 10 * 10}-{age // 10 * 10 + 9}"} if age is not None else {NONE}
    if field == "sex":
        return {row.get("sex") or NONE}
    if field == "category":
        return {category_of(item.item)}
    if field == "drug":
        return set(drugs_named(item.item)) or {NONE}
    if field == "drug_class":
        return {facet_key(drug_class_of(item.item) or NONE)}
    if field == "guideline_source":
        return {facet_key(source) for source in sources_of(raw_item(item).maximus_guideline)}
    raise AssertionError(field)


Counts = tuple[int, int, int]  # items, upheld, overturned


def truth_counts(fields: tuple[str, ...], keep=lambda item: True) -> dict[tuple, Counts]:
    """(value, ...) -> (items, upheld, overturned), an item counted once under each value."""
    counts: dict[tuple[str, ...], list[int]] = defaultdict(lambda: [0, 0, 0])
    for item in truth_items():
        if not keep(item):
            continue
        combos = [()]
        for field in fields:
            combos = [combo + (value,) for combo in combos for value in truth_values(item, field)]
        for combo in combos:
            counts[combo][0] += 1
            counts[combo][1] += item.outcome == "Upheld"
            counts[combo][2] += item.outcome == "Overturned"
    return {key: tuple(value) for key, value in counts.items()}


def other_counts(fields: tuple[str, ...], minimum: int) -> Counts:
    """(items, upheld, overturned) of the "other" group: the items with any combination of
    values of fewer than `minimum` items, each item once."""
    small = {key for key, counts in truth_counts(fields).items() if counts[0] < minimum}
    folded = []
    for item in truth_items():
        combos = [()]
        for field in fields:
            combos = [combo + (value,) for combo in combos for value in truth_values(item, field)]
        if small & set(combos):
            folded.append(item)
    outcomes = [item.outcome for item in folded]
    return len(folded), outcomes.count("Upheld"), outcomes.count("Overturned")


def found_counts(result) -> dict[tuple[str, ...], Counts]:
    return {
        tuple(facet_key(v) for v in group.values.values()): (
            group.counts.items,
            group.counts.upheld,
            group.counts.overturned,
        )
        for group in result.groups
    }


def assert_counts_and_intervals(result, expected: dict[tuple, Counts]) -> None:
    assert found_counts(result) == expected
    for group in result.groups:
        items, _, overturned = expected[tuple(facet_key(v) for v in group.values.values())]
        assert group.counts.rate == pytest.approx(overturned / items)
        assert group.counts.interval == pytest.approx(
            wilson_by_bisection(overturned, items), abs=1e-9
        )


GROUPINGS = [
    (("specialty",), ("specialty",)),
    (("state",), ("license_state",)),
    (("year",), ("year",)),
    (("sex",), ("sex",)),
    (("age",), ("age",)),
    (("state", "year"), ("license_state", "year")),
    (("category",), ("category",)),
    (("drug",), ("drug",)),
    (("drug_class",), ("drug_class",)),
    (("source",), ("guideline_source",)),
]


@pytest.mark.parametrize("by, fields", GROUPINGS, ids=["+".join(by) for by, _ in GROUPINGS])
def test_counts_rates_and_intervals_equal_truth(index_dir, by, fields):
    result = stats(index_dir, "*", by)
    assert result.by == fields
    assert_counts_and_intervals(result, truth_counts(fields))
    order = [(-g.counts.items, list(g.values.values())) for g in result.groups]
    assert order == sorted(order)  # most items first, then by value
    everything = truth_items()
    assert (result.total.items, result.total.upheld, result.total.overturned) == (
        len(everything),
        sum(item.outcome == "Upheld" for item in everything),
        sum(item.outcome == "Overturned" for item in everything),
    )


def test_a_query_narrows_the_counts(index_dir):
    expected = truth_counts(
        ("specialty",), lambda item: "cyclobenzaprine" in drugs_named(item.item)
    )
    assert expected
    assert_counts_and_intervals(stats(index_dir, "drug:cyclobenzaprine", ("specialty",)), expected)


def test_small_groups_fold_into_other(index_dir):
    expected = truth_counts(("specialty",))
    kept = {key: counts for key, counts in expected.items() if counts[0] >= 5}
    small = [counts for counts in expected.values() if counts[0] < 5]
    assert small and kept
    folded = stats(index_dir, "*", ("specialty",), minimum=5)
    assert folded.groups[-1].values == {"specialty": "other"}
    assert found_counts(folded) == {**kept, ("other",): other_counts(("specialty",), 5)}
    assert folded.total.items == len(truth_items())


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
    # The oracle the other tests use agrees with the tables too.
    assert wilson_by_bisection(successes, trials) == pytest.approx((low, high), abs=1e-4)


def test_wilson_interval_is_the_score_tests_acceptance_region():
    for trials in range(1, 41):
        for successes in range(trials + 1):
            assert wilson_interval(successes, trials) == pytest.approx(
                wilson_by_bisection(successes, trials), abs=1e-9
            ), (successes, trials)


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


def is_muscle_relaxant(item: TruthItem) -> bool:
    return drug_class_of(item.item) == "muscle relaxant"


def is_physical_therapy(item: TruthItem) -> bool:
    return "physical therapy" in item.item.lower()


def truth_outcome(key: tuple[str, int]) -> str:
    """How the item (case, item number) came out, by its truth row."""
    return {item.key: item.outcome for item in truth_items()}[key]


def outcomes_of(keys) -> Counter:
    return Counter(map(truth_outcome, keys))


@pytest.mark.parametrize("kind", [is_muscle_relaxant, is_physical_therapy])
def test_similar_finds_the_same_treatment_in_other_letters_first(index_dir, kind):
    by_key = {item.key: item for item in truth_items()}
    chosen = [item for item in truth_items() if kind(item)]
    assert len({item.case for item in chosen}) >= 4
    for item in chosen:
        result = similar(index_dir, item.case, item.position, limit=3)
        assert len(result.hits) == result.total == 3, item.key  # the corpus has more than 3
        assert all(hit.case != item.case for hit in result.hits)
        found = [by_key[(hit.case, hit.item_no)] for hit in result.hits]
        assert kind(found[0]), (item.key, item.item, found[0].item)
        assert sum(map(kind, found)) >= 2, (item.key, item.item)
        assert [hit.outcome for hit in result.hits] == [hit.outcome for hit in found]
        assert result.facets["outcome"] == outcomes_of(hit.key for hit in found)


def test_similar_ranks_the_same_at_any_limit(index_dir):
    for item in filter(is_physical_therapy, truth_items()):
        ten = similar(index_dir, item.case, item.position, limit=10).hits
        for limit in (1, 2, 3):
            found = similar(index_dir, item.case, item.position, limit=limit).hits
            assert found == ten[:limit], item.key


def test_similar_needs_an_item_for_a_letter_of_several(index_dir):
    several = next(row for row in truth_rows() if len(row["items"]) > 1)
    case = several["case"]
    with pytest.raises(NotFound, match=f"{case} has {len(several['items'])} items; name one"):
        similar(index_dir, case)
    with pytest.raises(NotFound, match="has no item 99"):
        similar(index_dir, case, 99)
    with pytest.raises(NotFound, match="no letter CM00-0000000"):
        similar(index_dir, "CM00-0000000", 1)
    single = next(row for row in truth_rows() if len(row["items"]) == 1)
    assert similar(index_dir, single["case"]).hits


# ---------------------------------------------------------------- the command line


def run(*args: str):
    result = CliRunner().invoke(app, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def test_stats_formats_agree_with_truth(index_dir):
    args = ("stats", "*", "--by", "state", "--min", "3", "--index", str(index_dir))
    expected = truth_counts(("license_state",))
    kept = {key: counts for key, counts in expected.items() if counts[0] >= 3}
    kept[("other",)] = other_counts(("license_state",), 3)
    records = [json.loads(line) for line in run(*args, "-f", "json").stdout.splitlines()]
    groups, summary = records[:-1], records[-1]
    assert {
        (facet_key(g["group"]["license_state"]),): (g["items"], g["upheld"], g["overturned"])
        for g in groups
    } == kept
    for g in groups:
        assert g["rate"] == pytest.approx(g["overturned"] / g["items"])
        interval = wilson_by_bisection(g["overturned"], g["items"])
        assert (g["ci_low"], g["ci_high"]) == pytest.approx(interval, abs=1e-9)
    everything = truth_items()
    overturned = sum(item.outcome == "Overturned" for item in everything)
    assert summary["type"] == "summary" and summary["items"] == len(everything)
    assert summary["rate"] == pytest.approx(overturned / len(everything))
    rows = export_rows(run(*args, "-f", "csv").stdout)
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
    records = [
        json.loads(line)
        for line in run(
            "similar", "CM16-0230651#9", "-n", "3", "--index", str(index_dir), "-f", "json"
        ).stdout.splitlines()
    ]
    hits, summary = records[:-1], records[-1]
    assert summary.pop("provenance")["query"] == "similar to CM16-0230651#9"
    assert len(hits) == 3
    assert all(hit["case"] != "CM16-0230651" for hit in hits)
    keys = [(hit["case"], hit["item_no"]) for hit in hits]
    assert [hit["outcome"] for hit in hits] == list(map(truth_outcome, keys))
    assert summary == {
        "type": "summary",
        "query": "similar to CM16-0230651#9",
        "total": 3,
        "page": 1,
        "limit": 3,
        "facets": {"outcome": dict(outcomes_of(keys))},
    }
    missing = run("similar", "CM16-0230651", "--index", str(index_dir))
    assert missing.exit_code == 1 and "name one, e.g. CM16-0230651#1" in missing.stderr
