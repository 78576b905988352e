"""Deeper statistics: each group beside the rest of the matching items, the difference's
interval against published values, days to a decision against the letters' header dates,
and each group's query, run, finding the group's items."""

import json
import statistics
from datetime import date

import pytest
from typer.testing import CliRunner

from imr_search.cli import app
from imr_search.search import Filter, search, stats
from imr_search.search.stats import newcombe_interval

from .oracles import facet_key, hybrid_by_bisection, truth_items
from .test_stats import truth_counts, truth_values

# Newcombe (1998), "Interval estimation for the difference between independent proportions:
# comparison of eleven methods", Statistics in Medicine 17: 873-890, Table II, method 10
# (the score interval combined from Wilson intervals), examples (a), (b) and (d), as the
# tests of R's propint (m-Py/propint, tests: "the results reported in Newcombe1998") and
# ratesci (PeteLaud/ratesci, tests/testthat/test3.R: "Newcombe RD example (d)") reproduce
# them: successes and trials of each sample, then the 95% limits to 4 places.
NEWCOMBE_TABLE_II = [
    ((56, 70, 48, 80), (0.0524, 0.3339)),
    ((9, 10, 3, 10), (0.1705, 0.8090)),
    ((5, 56, 0, 29), (-0.0381, 0.1926)),
]


@pytest.mark.parametrize("counts, limits", NEWCOMBE_TABLE_II)
def test_the_difference_interval_is_newcombes_published_one(counts, limits):
    x1, n1, x2, n2 = counts
    difference, low, high = newcombe_interval(x1, n1, x2, n2)
    assert difference == pytest.approx(x1 / n1 - x2 / n2)
    assert (round(low, 4), round(high, 4)) == limits


def test_no_interval_without_items_on_both_sides():
    assert newcombe_interval(3, 10, 0, 0) is None
    assert newcombe_interval(0, 0, 3, 10) is None


@pytest.mark.parametrize("field", ["category", "specialty", "sex"])
def test_each_group_stands_beside_the_rest_of_the_matching_items(index_dir, field):
    expected = truth_counts((field,))
    items = len(truth_items())
    overturned = sum(item.outcome == "Overturned" for item in truth_items())
    for group in stats(index_dir, "*", (field,)).groups:
        n, _, x = expected[(facet_key(group.values[field]),)]
        assert (group.rest.items, group.rest.overturned) == (items - n, overturned - x)
        difference, low, high = group.difference
        assert difference == pytest.approx(x / n - (overturned - x) / (items - n))
        assert (low, high) == pytest.approx(
            hybrid_by_bisection(x, n, overturned - x, items - n)[1:]
        )


def run(*args: str):
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result


# ---------------------------------------------------------------- days to a decision


def quartiles(days: list[int]) -> tuple[float, float, float] | None:
    """Quartiles as R's and numpy's default (type 7) reads them: statistics' "inclusive"."""
    if not days:
        return None
    if len(days) == 1:
        return (days[0],) * 3
    return tuple(statistics.quantiles(days, n=4, method="inclusive"))


def truth_days(field: str) -> dict[str, dict[str, list[int]]]:
    """value -> span -> days of each letter with an item of that value, from the truth rows'
    header dates: application received and UR denial, to the decision."""
    letters: dict[str, dict[str, dict]] = {}
    for item in truth_items():
        for value in truth_values(item, field):
            letters.setdefault(value, {})[item.case] = item.row
    spans = {"received": "application_received", "denied": "ur_denial_date"}
    return {
        value: {
            span: [
                (date.fromisoformat(row["decision_date"]) - date.fromisoformat(row[name])).days
                for row in rows.values()
                if row.get("decision_date") and row.get(name)
            ]
            for span, name in spans.items()
        }
        for value, rows in letters.items()
    }


@pytest.mark.parametrize("field", ["category", "specialty"])
def test_days_to_a_decision_are_the_header_dates(index_dir, field):
    result = run(
        "stats", "*", "--by", field, "--measure", "days", "-f", "json", "--index", str(index_dir)
    )
    *groups, summary = [json.loads(line) for line in result.stdout.splitlines()]
    expected = truth_days(field)
    assert len(groups) == len(expected)
    for group in groups:
        days = expected[facet_key(group["group"][field])]
        for span in ("received", "denied"):
            shown = group[f"days_{span}"]
            assert shown["letters"] == len(days[span])
            assert (shown["q1"], shown["median"], shown["q3"]) == pytest.approx(
                quartiles(days[span]) or (None, None, None)
            )
    every = {item.case: item.row for item in truth_items() if item.row.get("decision_date")}
    received = [
        (date.fromisoformat(r["decision_date"]) - date.fromisoformat(r["application_received"]))
        for r in every.values()
    ]
    total = summary["days_received"]
    assert total["median"] == pytest.approx(statistics.median(d.days for d in received))
    assert total["letters"] == len(received)


# ---------------------------------------------------------------- each group's query


@pytest.mark.parametrize(
    "query, by, minimum",
    [
        ("*", ["specialty"], 5),  # with an "other" group
        ("*", ["age"], 1),  # bands, and no age
        ("*", ["year"], 1),  # no decision date
        ("mri OR flexeril", ["drug"], 1),  # no drug
        ("*", ["state", "category"], 3),  # two fields, and "other"
        ('"medically necessary"', ["guideline_source"], 1),
    ],
)
def test_each_groups_query_finds_its_items(index_dir, query, by, minimum):
    args = ["stats", query, *[p for name in by for p in ("--by", name)], "--min", str(minimum)]
    result = run(*args, "-f", "json", "--index", str(index_dir))
    groups = [json.loads(line) for line in result.stdout.splitlines()][:-1]
    assert groups
    for group in groups:  # re-run as a user would, on the command line
        rerun = run("query", group["query"], "-f", "json", "--index", str(index_dir))
        found = json.loads(rerun.stdout.splitlines()[-1])["facets"]["outcome"]
        upheld, overturned = found.get("Upheld", 0), found.get("Overturned", 0)
        assert (upheld + overturned, overturned) == (group["items"], group["overturned"]), group


def test_a_groups_query_holds_the_filters(index_dir):
    """On the web page a chip filters the counts: the group's query must filter likewise."""
    pain = Filter.read("specialty:Pain Management")
    result = stats(index_dir, "*", ("category",), filters=(pain,))
    assert result.groups and result.query == "*"  # the summary says what was asked
    for group in result.groups:
        found = search(index_dir, group.query).facets["outcome"]
        upheld, overturned = found.get("Upheld", 0), found.get("Overturned", 0)
        assert (upheld + overturned, overturned) == (group.counts.items, group.counts.overturned)
