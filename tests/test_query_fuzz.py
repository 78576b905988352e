"""No query, however it is typed, ends in anything but an answer or a QueryError that names
where it went wrong."""

import re

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from imr_search.engine.query import QueryError, read_query
from imr_search.fields import ALIASES, BY_NAME
from imr_search.search import search

# The language's own tokens: operators, connectors, signs, comparisons, brackets, quotes
# (straight and curly), patterns, fields and their aliases, dates, numbers, drugs and words.
TOKENS = [
    *["AND", "OR", "NOT", "ANDNOT", "ANDMAYBE", "TO", "and", "or", "not"],
    *["/s", "/p", "/3", "+s", "+p", "+2", "/0", "w/s", "W/P", "w/5", "pre/4", "not w/3"],
    *[
        "NOT W/S",
        "and not",
        "atleast2(",
        "ATLEAST3",
        "improv!",
        "flexer*l",
        "#60",
        "#knee",
        "#Knees",
    ],
    *[
        "(",
        ")",
        "[",
        "]",
        "{",
        "}",
        '"',
        "'",
        "“",
        "”",
        "‘",
        "’",
        "-",
        "+",
        "--",
        "*",
        "?",
        "~",
        "~2",
        "^2",
        ":",
        ",",
        "/",
        ".",
        "&",
        "%",
        "!",
        "#",
    ],
    *["<", ">", "<=", ">=", "=<", "=>"],
    *[f"{name}:" for name in [*BY_NAME, *ALIASES]],
    *["2016", "2016-03", "03/2016", "2016-03-15", "03/15/2016", "March", "16", "40", "-5", "0"],
    *["9999", "0001", "9999-12-31", "99999999999", "~3", "~9", "~99999999999999999999"],
    *["/99999999999999999999", "+99999999999999999999", "w/", "pain/s", "s/p", "/sentence"],
    *[
        "flexeril",
        "Norco",
        "mri",
        "knee",
        "acute",
        "exacerbation",
        "medically",
        "necessary",
        "upheld",
        "CA",
    ],
]
SPACES = st.sampled_from(["", " ", "  "])


@st.composite
def token_queries(draw) -> str:
    parts = draw(st.lists(st.tuples(st.sampled_from(TOKENS), SPACES), min_size=1, max_size=9))
    return "".join(token + space for token, space in parts)


def assert_read_or_refused(text: str) -> None:
    try:
        read_query(text)
    except QueryError as exc:
        message = str(exc)
        assert message and "\n" not in message, (text, message)


@settings(max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(token_queries(), st.text(max_size=30)))
@example("<NT")
@example(">= state: ?")
@example("< '")
def test_every_query_is_read_or_refused(text):
    assert_read_or_refused(text)


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(token_queries())
def test_every_query_read_runs(index_dir, text):
    try:
        read_query(text)
    except QueryError:
        return
    result = search(index_dir, text, limit=3)
    assert result.total >= len(result.hits)


def test_a_refusal_names_a_column_where_it_has_one():
    for text in ["<NT", "mri - knee", "decided:16", "(mri", 'mri "knee']:
        try:
            read_query(text)
        except QueryError as exc:
            assert re.search(r"column \d+", str(exc)), (text, str(exc))
        else:
            raise AssertionError(f"{text!r} was read")
