"""Random and hostile requests to the web page: query strings, paths and parameters made by
hypothesis. Whatever comes, the answer is never a 500 or a traceback, and never a file the
index does not name."""

from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from imr_search.web import create_app

ROUTES = ("/", "/stats", "/export.csv", "/export.jsonl", "/api/search", "/api/stats")
PARAMETERS = ("q", "filter", "sort", "page", "limit", "by", "min", "facet", "letters")
# What a query, a filter or a number may be written with, hostile parts included.
QUERY_PARTS = st.sampled_from(
    [
        "mri", "flexeril", '"', "(", ")", "[", "]", "{", "}", ":", "*", "?", "~", "^", "-",
        "+", "/s", "/3", "w/5", "AND", "OR", "NOT", "TO", "outcome:", "decided:", "age:",
        "specialty:", "summary:", "<", ">", "=", "&", "%", "!", "\\", "'", "\x00", "\u201c",
        "<script>", "../", "%2e%2e/", "2016", "[2016 TO", "atleast2(", " ", "(none)",
    ]
)  # fmt: skip
QUERIES = st.one_of(st.text(max_size=60), st.lists(QUERY_PARTS, max_size=12).map(" ".join))
VALUES = st.one_of(
    QUERIES,
    st.integers(-(10**12), 10**12).map(str),
    st.sampled_from(["outcome:Upheld", "specialty:Pain Management", "relevance", "-decided"]),
)
SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@pytest.fixture(scope="module")
def secret(tmp_path_factory):
    """A file outside the index, which no request may ever read."""
    path = tmp_path_factory.mktemp("outside") / "secret.txt"
    path.write_text("SECRET-5d1f0c: not in any index", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def client(index_dir):
    return create_app(index_dir).test_client()


def check(response, secret) -> None:
    body = response.get_data()
    assert response.status_code != 500, body[:300]
    assert b"Traceback" not in body
    assert b"SECRET-5d1f0c" not in body


@SETTINGS
@given(route=st.sampled_from(ROUTES), query=QUERIES)
def test_any_query_string(client, secret, route, query):
    check(client.get(route, query_string={"q": query}), secret)


def test_any_parameters(client, secret):
    # The secret's path among the values, on every route and the source file's too.
    values = VALUES | st.sampled_from([str(secret), quote(str(secret)), "../" * 8 + "etc/passwd"])
    names = st.sampled_from([*PARAMETERS, "path", "file", "case"]) | st.text(max_size=8)
    routes = st.sampled_from([*ROUTES, "/letter/CM16-0230651", "/letter/CM16-0230651/source"])

    @SETTINGS
    @given(route=routes, params=st.lists(st.tuples(names, values), max_size=6))
    @example(route="/letter/CM16-0230651/source", params=[("path", str(secret))])
    @example(route="/letter/CM16-0230651/source", params=[("file", "../" * 8 + "etc/passwd")])
    def any_parameters(route, params):
        check(client.get(route, query_string=params), secret)

    any_parameters()


def hostile_paths(secret) -> st.SearchStrategy[str]:
    """Paths that try to reach a file: the secret's own path as a case, in every encoding,
    climbs out of the folder, and anything at all after a route's start."""
    named = [str(secret), quote(str(secret), safe=""), "..%2F..%2F" + secret.name, "../../etc"]
    cases = st.one_of(st.sampled_from(named), st.text(max_size=40).map(lambda t: quote(t, safe="")))
    starts = st.sampled_from(["/letter/", "/api/letter/", "/similar/", "/export.csv/", "/"])
    ends = st.sampled_from(["", "/source", "/1", "/../source", "//source"])
    return st.one_of(
        st.tuples(starts, cases, ends).map("".join),
        st.text(max_size=60).map(lambda t: "/" + t),
    )


def test_any_path(client, secret):
    @SETTINGS
    @given(path=hostile_paths(secret))
    @example(path=f"/letter/{quote(str(secret), safe='')}/source")
    @example(path=f"/letter/..%2F..%2F{secret.name}/source")
    def any_path(path):
        # (a path that starts "//" would name a host to the test client)
        check(client.get("/" + path.lstrip("/")), secret)

    any_path()
