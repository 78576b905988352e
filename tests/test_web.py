"""The web page of `imr-search serve` without a browser: every page and error through
Flask's test client, on a real index of the sample corpus; its JSON answers against the
command line's own; the `serve` command itself as a process."""

import json
import math
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from imr_search.cli import app as cli_app
from imr_search.indexer import index_paths
from imr_search.search import Filter
from imr_search.web import create_app
from imr_search.web.app import is_loopback

from .conftest import COMMAND, CORPUS, ROOT, as_in_readme, export_rows, timeless, truth_rows
from .oracles import facet_key, truth_items

sys.path.insert(0, str(ROOT / "benchmarks"))
from query_speed import FACETS, QUERIES  # noqa: E402

MARK = re.compile(r"<mark>(.*?)</mark>", re.S)


@pytest.fixture(scope="module")
def client(index_dir):
    return create_app(index_dir).test_client()


def cli_json(*args: str) -> tuple[list[dict], int, str]:
    result = CliRunner().invoke(cli_app, list(args))
    assert "Traceback" not in result.output
    records = [timeless(json.loads(line)) for line in result.stdout.splitlines()]
    return records, result.exit_code, result.stderr


def api(client, path: str, **params) -> tuple[int, dict]:
    response = client.get(path, query_string=params)
    assert response.mimetype == "application/json"
    return response.status_code, timeless(response.get_json())


# ---------------------------------------------------------------- the JSON API is the CLI's


@pytest.mark.parametrize("query", [texts[0] for texts in QUERIES])
def test_api_search_answers_what_the_command_line_does(client, index_dir, query):
    facets = [f for name in FACETS for f in ("--facet", name)]
    records, _, _ = cli_json("query", query, "--index", str(index_dir), "--format", "json", *facets)
    status, answer = api(client, "/api/search", q=query, facet=list(FACETS))
    assert status == 200
    assert answer == {"hits": records[:-1], "summary": records[-1]}


@pytest.mark.parametrize(
    "options",
    [
        {"page": "2", "limit": "20", "sort": "-decided"},
        {"page": "3", "limit": "7", "sort": "decided"},
        {"limit": "3", "letters": "1"},
    ],
)
def test_api_search_pages_and_sorts_as_the_command_line(client, index_dir, options):
    args = ["query", "*", "--index", str(index_dir), "--format", "json"]
    for name in ("page", "limit", "sort"):
        if name in options:
            args += [f"--{name}", options[name]]
    if "letters" in options:
        args.append("--letters")
    records, _, _ = cli_json(*args)
    status, answer = api(client, "/api/search", q="*", **options)
    assert status == 200
    assert answer == {"hits": records[:-1], "summary": records[-1]}


@pytest.mark.parametrize("by", [["category"], ["specialty", "year"]])
def test_api_stats_answers_what_the_command_line_does(client, index_dir, by):
    groups = [f for name in by for f in ("--by", name)]
    records, _, _ = cli_json("stats", "*", "--index", str(index_dir), "--format", "json", *groups)
    status, answer = api(client, "/api/stats", q="*", by=by)
    assert status == 200
    assert answer == {"groups": records[:-1], "summary": records[-1]}


def test_api_letter_is_the_record_show_prints(client, index_dir):
    records, _, _ = cli_json("show", "CM16-0230651", "--index", str(index_dir), "--format", "json")
    status, answer = api(client, "/api/letter/CM16-0230651")
    assert status == 200
    assert answer == records[0]


@pytest.mark.parametrize(
    "query", ['"unclosed', "mri AND", "bogus:field", "decided:16", "(mri", "mri -", ""]
)
def test_a_bad_query_is_400_with_the_command_lines_message(client, index_dir, query):
    _, exit_code, stderr = cli_json("query", query, "--index", str(index_dir))
    assert exit_code == 2
    status, answer = api(client, "/api/search", q=query)
    assert status == 400
    assert f"imr-search: {answer['error']}" == stderr.strip()
    if query:  # the page shows the same message, its box keeping the query
        page = client.get("/", query_string={"q": query})
        assert page.status_code == 400
        assert escaped(answer["error"]) in page.text


def escaped(text: str) -> str:
    """`text` as an autoescaping template writes it."""
    return (
        text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&#34;")
        .replace("'", "&#39;")
    )


@pytest.mark.parametrize(
    "path",
    ["/api/letter/CM99-0000000", "/api/search?q=*&facet=bogus", "/api/stats?q=*&by=outcome"],
)
def test_api_errors_are_json(client, path):
    response = client.get(path)
    assert response.status_code in (400, 404)
    assert set(response.get_json()) == {"error"}


# ---------------------------------------------------------------- filters


def truth_count(field: str, value: str) -> int:
    """Items of the sample letters with `value` in `field`, from the truth rows."""
    items = truth_items()
    if field == "outcome":
        return sum(item.outcome == value for item in items)
    return sum(facet_key(value) in map(facet_key, item.row[field]) for item in items)


@pytest.mark.parametrize("field", ["outcome", "specialty", "license_state"])
def test_each_facet_value_filters_to_the_items_it_counts(client, field):
    truth_field = {"specialty": "specialties", "license_state": "license_states"}.get(field, field)
    _, everything = api(client, "/api/search", q="*", facet=field)
    assert everything["summary"]["facets"][field]
    for value, count in everything["summary"]["facets"][field].items():
        _, narrowed = api(client, "/api/search", q="*", filter=f"{field}:{value}")
        assert narrowed["summary"]["total"] == count == truth_count(truth_field, value), value


def test_filters_and_together_and_with_the_query(client):
    _, answer = api(
        client,
        "/api/search",
        q="*",
        filter=["outcome:Overturned", "specialty:Occupational Medicine"],
        limit="100",
    )
    expected = [
        item.key
        for item in truth_items()
        if item.outcome == "Overturned" and "Occupational Medicine" in item.row["specialties"]
    ]
    assert sorted((h["case"], h["item_no"]) for h in answer["hits"]) == sorted(expected)
    assert answer["summary"]["filters"] == [
        "outcome:Overturned",
        "specialty:Occupational Medicine",
    ]


def test_none_counts_and_filters_the_items_without_a_value(client):
    _, everything = api(client, "/api/search", q="*", facet="drug")
    without = everything["summary"]["facets"]["drug"]["(none)"]
    _, narrowed = api(client, "/api/search", q="*", filter="drug:(none)", limit="100")
    assert narrowed["summary"]["total"] == without
    assert all(hit["drug"] is None for hit in narrowed["hits"])


@given(st.text(min_size=1, max_size=40))
def test_a_filter_value_round_trips_whatever_it_holds(value):
    assert Filter.read(str(Filter("specialty", value))) == Filter("specialty", value)


@pytest.mark.parametrize(
    "value", ['Say "hi", & bye', "a,b;c", "100% <b>x</b>", "Hospice & Palliative Medicine"]
)
def test_a_filter_value_reaches_the_page_and_its_links_exactly(client, value):
    page = client.get("/", query_string={"filter": f"specialty:{value}"})
    # (a value no item holds is refused, the page still showing it as written)
    assert page.status_code == (200 if truth_count("specialties", value) else 400)
    assert f"specialty: {escaped(value)}" in page.text  # the chip
    removal = re.search(r'<a href="([^"]*)" aria-label="Remove filter', page.text).group(1)
    assert "filter=" not in removal.replace("&amp;", "&")
    # A link the page makes for another value keeps this one as it was written.
    link = re.search(r'<a href="(/\?[^"]*filter=[^"]*)" data-facet="outcome"', page.text)
    if link:  # (a value no item holds counts nothing, and offers no more links)
        again = client.get(link.group(1).replace("&amp;", "&"))
        assert f"specialty: {escaped(value)}" in again.text


# ---------------------------------------------------------------- pages


def test_the_search_page_shows_hits_facets_and_the_outcome_at_a_glance(client):
    page = client.get("/", query_string={"q": "exacerbation"})
    assert page.status_code == 200
    _, answer = api(client, "/api/search", q="exacerbation", facet=["specialty"])
    total = answer["summary"]["total"]
    assert f"{total} items match; showing 1-{min(total, 20)} (page 1)" in page.text
    for hit in answer["hits"][:10]:
        assert f"{hit['case']} #{hit['item_no']}</a>" in page.text
    marks = MARK.findall(page.text)
    assert marks and all(re.fullmatch(r"(?i)exacerbations?", mark) for mark in marks)
    for name in ("outcome", "specialty", "license_state", "category", "year"):
        assert f'id="facet-{name}"' in page.text
    upheld = answer["summary"]["facets"]["outcome"].get("Upheld", 0)
    assert f"<dt>upheld</dt><dd>{upheld}</dd>" in page.text
    assert 'class="outcome upheld">Upheld</span>' in page.text  # the outcome in words


def test_the_search_page_pages(client):
    first = client.get("/", query_string={"q": "*"}).text
    pages = math.ceil(len(truth_items()) / 20)  # 20 hits a page
    assert pages > 1 and f"page 1 of {pages}" in first and 'rel="next"' in first
    second = client.get("/", query_string={"q": "*", "page": "2"}).text
    _, answer = api(client, "/api/search", q="*", page="2", limit="20")
    for hit in answer["hits"]:
        assert f"{hit['case']} #{hit['item_no']}</a>" in second
    assert 'rel="prev"' in second and 'start="21"' in second


def test_everything_a_user_typed_is_escaped(client):
    hostile = '<script>alert("x")</script>'
    for path in ("/", "/stats"):
        page = client.get(path, query_string={"q": hostile, "filter": f"category:{hostile}"})
        assert "<script>" not in page.text
        assert "&lt;script&gt;" in page.text
    assert page.headers["Content-Security-Policy"].startswith("default-src 'none'")


def test_the_stats_page_draws_the_rates_it_lists(client):
    page = client.get("/stats", query_string={"q": "", "by": ["specialty", ""], "min": "3"})
    assert page.status_code == 200
    _, answer = api(client, "/api/stats", q="*", by="specialty", min="3")
    assert "<svg" in page.text
    for group in answer["groups"]:
        value = escaped(group["group"]["specialty"])
        assert f'<td class="group">{value}</td>' in page.text
        assert f"<td>{group['items']}</td><td>{group['upheld']}</td>" in page.text
    # One bar a group and the total, from the chart's 0% to its rate on the chart's own
    # scale (read from its axis), whiskers from the interval's low end to its high end.
    chart = re.search(r"<figure>.*?</figure>", page.text, re.S).group()
    axis = {label: float(x) for x, label in re.findall(r'<text x="([\d.]+)"[^>]*>(0|100)%<', chart)}
    zero, scale = axis["0"], axis["100"] - axis["0"]
    bars = re.findall(r'<rect x="([\d.]+)" y="[\d.]+" width="([\d.]+)"', chart)
    horizontal = re.findall(r'<line x1="([\d.]+)" x2="([\d.]+)" y1="([\d.]+)" y2="\3"', chart)
    whiskers = [(float(x1), float(x2)) for x1, x2, _ in horizontal]
    counted = [*answer["groups"], answer["summary"]]
    assert len(bars) == len(counted)
    for (x, width), counts in zip(bars, counted, strict=True):
        assert float(x) == zero
        assert float(width) == pytest.approx(counts["rate"] * scale, abs=0.05)
        low, high = zero + counts["ci_low"] * scale, zero + counts["ci_high"] * scale
        assert any(
            (x1, x2) == (pytest.approx(low, abs=0.05), pytest.approx(high, abs=0.05))
            for x1, x2 in whiskers
        ), (low, high)


def test_the_letter_page_marks_the_querys_words(client):
    _, record = api(client, "/api/letter/000_9dd21c29f48658d3")
    page = client.get("/letter/000_9dd21c29f48658d3", query_string={"q": "exacerbation"})
    assert page.status_code == 200
    own_texts = [
        text
        for item in record["items"]
        for text in (
            item["item"],
            item["rationale"],
            item["claims_guideline"]["text"],
            item["maximus_guideline"]["text"],
        )
    ]
    expected = sum(len(re.findall(r"(?i)\bexacerbations?\b", text)) for text in own_texts)
    marks = MARK.findall(page.text)
    assert expected and len(marks) == expected
    assert all(re.fullmatch(r"(?i)exacerbations?", mark) for mark in marks)
    for item in record["items"]:
        assert f'id="item-{item["position"]}"' in page.text
    assert 'href="/letter/000_9dd21c29f48658d3/source"' in page.text
    assert 'href="/similar/000_9dd21c29f48658d3/1"' in page.text


def test_the_summary_is_marked_only_when_named(client):
    def summary_marks(query: str) -> list[str]:
        page = client.get("/letter/CM16-0219557", query_string={"q": query}).text
        return MARK.findall(re.search(r"summary-heading.*?</section>", page, re.S).group())

    _, record = api(client, "/api/letter/CM16-0219557")
    expected = re.findall(r"(?i)\bradiculopathy\b", record["summary"])
    assert expected and summary_marks("summary:radiculopathy") == expected
    assert summary_marks("radiculopathy") == []


def test_the_similar_page_lists_what_similar_finds(client, index_dir):
    records, _, _ = cli_json(
        "similar", "CM16-0238035#5", "--index", str(index_dir), "--format", "json"
    )
    page = client.get("/similar/CM16-0238035/5")
    assert page.status_code == 200
    for hit in records[:-1]:
        assert f"{hit['case']} #{hit['item_no']}</a>" in page.text


def test_the_source_file_is_the_indexed_file(client):
    response = client.get("/letter/CM16-0230651/source")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.data == (CORPUS / "CM16-0230651.pdf").read_bytes()


@pytest.mark.parametrize(
    "path, status",
    [
        ("/letter/CM99-0000000", 404),
        ("/letter/CM99-0000000/source", 404),
        ("/similar/CM16-0230651/99", 404),
        ("/no/such/page", 404),
        ("/?page=0", 400),
        ("/?page=two", 400),
        ("/?limit=5000", 400),
        ("/?sort=sideways", 400),
        ("/?filter=nocolon", 400),
        ("/?filter=bogus:x", 400),
        ("/stats?by=outcome", 400),
        ("/stats?min=-1", 400),
        ("/export.csv?q=%22open", 400),
    ],
)
def test_errors_answer_their_status_and_a_message(client, path, status):
    response = client.get(path)
    assert response.status_code == status
    assert 'role="alert"' in response.text
    assert "Traceback" not in response.text


def test_only_reading_is_allowed(client):
    assert client.post("/", data={"q": "x"}).status_code == 405
    assert client.delete("/api/letter/CM16-0230651").status_code == 405
    head = client.head("/", query_string={"q": "mri"})
    assert head.status_code == 200 and head.data == b""
    allowed = client.options("/").headers["Allow"]
    assert set(allowed.replace(" ", "").split(",")) == {"GET", "HEAD", "OPTIONS"}


def test_an_unforeseen_error_is_500_without_detail(index_dir):
    broken = create_app(index_dir)
    broken.config["INDEX"] = None  # not a folder: the library fails in a way nobody foresaw
    response = broken.test_client().get("/api/search", query_string={"q": "mri"})
    assert response.status_code == 500
    assert response.get_json() == {"error": "internal error"}
    page = broken.test_client().get("/", query_string={"q": "mri"})
    assert page.status_code == 500 and "internal error" in page.text
    assert "Traceback" not in page.text and "NoneType" not in page.text


# ---------------------------------------------------------------- exports


def test_the_exports_hold_every_hit_of_the_search(client, index_dir):
    records, _, _ = cli_json(
        "query", "*", "--index", str(index_dir), "--format", "json", "--limit", "1000"
    )
    # Each hit as the command gives it, but for the matching sentence: what costs most
    # of an exported row, and what a spreadsheet has no use for (the README says so).
    hits = [
        {name: value for name, value in hit.items() if name != "snippet"} for hit in records[:-1]
    ]
    assert len(hits) == len(truth_items())
    exported = client.get("/export.jsonl", query_string={"q": ""})
    assert exported.headers["Content-Disposition"].startswith("attachment")
    *lines, summary = [timeless(json.loads(line)) for line in exported.text.splitlines()]
    assert lines == hits
    # how it was obtained, as the command's summary says it
    assert summary == {"type": "summary", "total": len(hits),
                       "provenance": records[-1]["provenance"]}  # fmt: skip
    whole = client.get("/export.csv").text
    table = export_rows(whole)
    assert [(row["case"], int(row["item_no"])) for row in table] == [
        (hit["case"], hit["item_no"]) for hit in hits
    ]
    assert list(table[0]) == [name for name in hits[0] if name != "type"]
    provenance = records[-1]["provenance"]
    opening = [line for line in whole.splitlines() if line.startswith("# ")]
    assert opening[0] == f"# query: {provenance['query']}"
    assert f"generation {provenance['index']['generation']}" in opening[2]


def test_an_export_follows_the_filters_and_sort(client, index_dir):
    args = ("query", "*", "--index", str(index_dir), "--format", "csv", "--limit", "1000")
    whole = CliRunner().invoke(cli_app, [*args, "--sort", "-decided"]).stdout
    expected = [
        {name: value for name, value in row.items() if name != "snippet"}
        for row in export_rows(whole)
        if row["outcome"] == "Overturned"
    ]
    exported = client.get(
        "/export.csv", query_string={"sort": "-decided", "filter": "outcome:Overturned"}
    )
    assert export_rows(exported.text) == expected


# ---------------------------------------------------------------- the live index


def test_a_new_commit_is_served_without_a_restart(tmp_path):
    letters = tmp_path / "letters"
    letters.mkdir()
    texts = sorted(CORPUS.glob("*.txt"))
    for path in texts[:3]:
        shutil.copy(path, letters)
    folder = tmp_path / "ix"
    index_paths([letters], folder)
    client = create_app(folder).test_client()
    _, before = api(client, "/api/search", q="*")
    shutil.copy(texts[3], letters)
    index_paths([letters], folder)
    _, after = api(client, "/api/search", q="*")
    added = [item for item in truth_items() if item.case == texts[3].stem]
    assert after["summary"]["total"] == before["summary"]["total"] + len(added) > 0


def test_a_changed_or_gone_file_is_not_served(tmp_path):
    letters = tmp_path / "letters"
    letters.mkdir()
    source = shutil.copy(CORPUS / "000_9dd21c29f48658d3.txt", letters)
    folder = tmp_path / "ix"
    index_paths([letters], folder)
    client = create_app(folder).test_client()
    served = client.get("/letter/000_9dd21c29f48658d3/source")
    assert served.status_code == 200 and served.data == Path(source).read_bytes()
    Path(source).write_text("changed since it was indexed", encoding="utf-8")
    assert client.get("/letter/000_9dd21c29f48658d3/source").status_code == 404
    page = client.get("/letter/000_9dd21c29f48658d3")
    assert page.status_code == 200 and "has changed since it was indexed" in page.text
    Path(source).unlink()
    assert client.get("/letter/000_9dd21c29f48658d3/source").status_code == 404
    assert "is no longer there" in client.get("/letter/000_9dd21c29f48658d3").text


# ---------------------------------------------------------------- the command


def serve_process(index_dir: Path, *args: str) -> tuple[subprocess.Popen, str]:
    """`imr-search serve` on a free port, and the first line it prints."""
    command = [COMMAND, "serve"]
    process = subprocess.Popen(
        [*command, "--index", str(index_dir), "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    return process, process.stdout.readline()


def test_serve_listens_on_this_machine_alone_by_default(index_dir):
    process, line = serve_process(index_dir)
    try:
        url = re.search(r"at (http://127\.0\.0\.1:\d+/) ", line).group(1)
        with urllib.request.urlopen(url + "api/search?q=mri", timeout=30) as response:
            assert json.load(response)["summary"]["total"] > 0
    finally:
        process.terminate()
        process.wait(timeout=30)
    assert "anyone" not in process.stderr.read()


def test_serve_says_so_when_others_can_reach_it(index_dir):
    process, line = serve_process(index_dir, "--host", "0.0.0.0")
    try:
        assert "http://0.0.0.0:" in line
        time.sleep(0.2)
    finally:
        process.terminate()
        process.wait(timeout=30)
    assert "anyone who can reach it can read the index" in process.stderr.read()


def test_serve_refuses_a_folder_without_an_index(tmp_path):
    result = CliRunner().invoke(cli_app, ["serve", "--index", str(tmp_path / "none")])
    assert result.exit_code == 2
    assert "imr-search index" in result.stderr


@pytest.mark.parametrize(
    "host, loopback",
    [
        ("127.0.0.1", True),
        ("localhost", True),
        ("::1", True),
        ("0.0.0.0", False),
        ("10.0.0.5", False),
    ],
)
def test_loopback_addresses(host, loopback):
    assert is_loopback(host) is loopback


def test_the_readme_api_example_is_what_the_api_answers(client):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    command, shown = re.search(
        r"```\n(curl '[^']*/api/search\?[^']*')\n(.*?)\n```", readme
    ).groups()
    query = command.split("?", 1)[1].rstrip("'")
    answer = client.get("/api/search?" + query).text
    answer = as_in_readme(answer.replace(str(CORPUS), "/home/me/imr-search/corpus"))
    assert json.loads(answer) == json.loads(shown)


def test_the_other_commands_start_without_the_web_stack():
    imported = subprocess.run(
        [sys.executable, "-c", "import sys, imr_search.cli; print(sorted(sys.modules))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    for package in ("flask", "werkzeug", "waitress", "jinja2", "imr_search.web"):
        assert f"'{package}'" not in imported, package


@pytest.mark.parametrize("query", ["mri NOT knee", "mri -knee", "mri ANDNOT knee"])
def test_the_letter_page_marks_no_word_the_query_excludes(client, query):
    page = client.get("/letter/CM17-0019120", query_string={"q": query})
    _, record = api(client, "/api/letter/CM17-0019120")
    own_text = " ".join(item["item"] + " " + item["rationale"] for item in record["items"])
    assert re.search(r"(?i)\bknee\b", own_text) and re.search(r"(?i)\bmri\b", own_text)
    marks = MARK.findall(page.text)
    assert marks and all(re.fullmatch(r"(?i)mri", mark) for mark in marks), set(marks)


@pytest.mark.parametrize(
    "written, field, value",
    [
        ("outcome:upheld", "outcome", "Upheld"),
        ("OUTCOME:overturned", "outcome", "Overturned"),
        ("state:california", "license_states", "California"),
        ("specialty:occupational   medicine", "specialties", "Occupational Medicine"),
    ],
)
def test_a_filter_matches_its_value_in_any_case_and_spacing(client, written, field, value):
    status, answer = api(client, "/api/search", q="*", filter=written)
    assert status == 200
    assert answer["summary"]["total"] == truth_count(field, value) > 0


@pytest.mark.parametrize("written", ["outcome:Bogus", "year:abc", "specialty:Astrology"])
def test_a_filter_value_no_item_has_is_refused_with_the_values(client, written):
    status, answer = api(client, "/api/search", q="*", filter=written)
    assert status == 400
    field = written.split(":")[0]
    _, everything = api(client, "/api/search", q="*", facet=field)
    values = list(everything["summary"]["facets"][field])
    assert written.split(":")[1] in answer["error"]
    assert all(value in answer["error"] for value in values[:5])
    page = client.get("/", query_string={"filter": written})
    assert page.status_code == 400 and escaped(answer["error"]) in page.text


def test_a_filter_value_this_search_lacks_is_no_error(client):
    _, answer = api(client, "/api/search", q="*", filter="outcome:Upheld")
    upheld_cases = {hit["case"] for hit in answer["hits"]}
    overturned_only = [
        item.case
        for item in truth_items()
        if item.outcome == "Overturned" and item.case not in upheld_cases
    ]
    status, narrowed = api(
        client, "/api/search", q=f"case:{overturned_only[0]}", filter="outcome:Upheld"
    )
    assert status == 200 and narrowed["summary"]["total"] == 0


@pytest.mark.parametrize(
    "path",
    [
        "/api/stats?q=*",
        "/api/stats?q=*&by=outcome",
        "/api/search?q=mri&facet=bogus",
        "/api/search?q=mri&filter=nocolon",
        "/api/search?q=mri&filter=outcome:Bogus",
        "/similar/CM16-0230651%2399/1",
    ],
)
def test_a_parameters_error_does_not_blame_the_query(client, path):
    response = client.get(path)
    assert response.status_code in (400, 404)
    message = response.get_json()["error"] if path.startswith("/api/") else response.text
    assert "query &#39;" not in message and not message.startswith("query '"), message


@pytest.mark.parametrize("path", ["/", "/api/search"])
@pytest.mark.parametrize("limit", ["1001", "1000000000", "9" * 5000])
def test_a_limit_too_large_says_the_most(client, path, limit):
    response = client.get(path, query_string={"q": "*", "limit": limit})
    assert response.status_code == 400
    assert "limit is at most 1000" in response.text


@pytest.mark.parametrize("path", ["/", "/api/search"])
def test_a_page_past_the_last_says_how_many_there_are(client, path):
    pages = math.ceil(len(truth_items()) / 20)
    response = client.get(path, query_string={"q": "*", "limit": "20", "page": str(pages + 1)})
    assert response.status_code == 400
    assert f"page {pages + 1}: this search has {pages} pages" in response.text
    assert client.get(path, query_string={"q": "*", "page": str(pages)}).status_code == 200


@pytest.mark.parametrize(
    "written, letters", [("1", True), ("true", True), ("0", False), ("false", False)]
)
def test_letters_is_read_as_a_boolean(client, written, letters):
    status, answer = api(client, "/api/search", q="*", letters=written)
    assert status == 200 and ("letters" in answer["summary"]) is letters


@pytest.mark.parametrize("written", ["yes", "maybe", "2"])
def test_letters_refuses_what_is_not_a_boolean(client, written):
    status, answer = api(client, "/api/search", q="*", letters=written)
    assert status == 400 and f"letters is 1, true, 0 or false, not {written!r}" in answer["error"]


@pytest.mark.parametrize(
    "args, message",
    [
        (["--port", "70000"], "70000 is not in the range 0<=x<=65535"),
        (["--port", "-1"], "-1 is not in the range 0<=x<=65535"),
        (["--host", "999.1.1.1"], "cannot listen on 999.1.1.1:0: no such address"),
    ],
)
def test_serve_refuses_an_address_it_cannot_listen_on(index_dir, args, message):
    result = CliRunner().invoke(cli_app, ["serve", "--index", str(index_dir), "--port", "0", *args])
    assert result.exit_code == 2
    assert message in " ".join(result.stderr.split()), result.stderr
    assert "internal error" not in result.stderr


def test_the_source_file_sent_is_the_one_checked(tmp_path):
    """The bytes checked against the index's digest are the bytes sent: a file changed
    while the answer is on its way changes nothing in it."""
    letters = tmp_path / "letters"
    letters.mkdir()
    source = Path(shutil.copy(CORPUS / "CM17-0016761.pdf", letters))  # the longest
    indexed = source.read_bytes()
    folder = tmp_path / "ix"
    index_paths([letters], folder)
    client = create_app(folder).test_client()
    response = client.get("/letter/CM17-0016761/source", buffered=False)
    assert response.status_code == 200
    with open(source, "r+b") as changed:  # the same file, written over in place
        changed.write(b"X" * len(indexed))
    assert response.get_data() == indexed
    response.close()


def glance_of(page: str) -> dict[str, str]:
    """The outcome at a glance as the search page shows it: term -> value."""
    glance = re.search(r'<section class="glance".*?</section>', page, re.S).group()
    return dict(re.findall(r"<dt>(.*?)</dt><dd[^>]*>(.*?)</dd>", glance))


@pytest.mark.parametrize("chosen", [None, "specialty:Occupational Medicine", "state:California"])
def test_the_outcome_at_a_glance_is_the_truth_rows(client, chosen):
    items = truth_items()
    if chosen:
        field, value = chosen.split(":")
        field = {"specialty": "specialties", "state": "license_states"}[field]
        items = [item for item in items if facet_key(value) in map(facet_key, item.row[field])]
    upheld = sum(item.outcome == "Upheld" for item in items)
    overturned = sum(item.outcome == "Overturned" for item in items)
    page = client.get("/", query_string={"filter": chosen} if chosen else {}).text
    glance = glance_of(page)
    assert glance["items with an outcome"] == str(upheld + overturned)
    assert glance["upheld"] == str(upheld) and glance["overturned"] == str(overturned)
    assert glance["overturn rate (95% CI)"].startswith(f"{overturned / (upheld + overturned):.1%}")


def test_an_item_without_an_outcome_says_so(tmp_path):
    from .test_older_layouts import PROFESSIONAL_REVIEW_UNDECIDED

    letters = tmp_path / "letters"
    letters.mkdir()
    (letters / "undecided.txt").write_text(PROFESSIONAL_REVIEW_UNDECIDED, encoding="utf-8")
    decided = sorted(CORPUS.glob("*.txt"))[0]
    shutil.copy(decided, letters)
    index_paths([letters], tmp_path / "ix")
    client = create_app(tmp_path / "ix").test_client()
    page = client.get("/", query_string={"q": "*"}).text
    assert '<span class="outcome unknown">(no outcome)</span>' in page
    known = [item for item in truth_items() if item.case == decided.stem]
    assert "1 without an outcome" in page
    assert glance_of(page)["items with an outcome"] == str(len(known))
    letter = client.get("/letter/CM13-0000007").text
    assert '<span class="outcome unknown">(no outcome)</span>' in letter


def test_one_item_is_one_item(client):
    single = next(row for row in truth_rows() if len(row["items"]) == 1)
    page = client.get("/", query_string={"q": f"case:{single['case']}"}).text
    assert "1 item matches; showing 1-1 (page 1)" in page and "1 items" not in page


def test_the_letter_page_tells_the_letters_parse_warnings(tmp_path):
    from .test_older_layouts import PROFESSIONAL_REVIEW

    letters = tmp_path / "letters"
    letters.mkdir()
    # Its reviewer's credentials cut away: the letter parses, with a warning `show` prints.
    text = PROFESSIONAL_REVIEW.split("MEDICAL REVIEWER QUALIFICATIONS:")[0]
    (letters / "review.txt").write_text(text, encoding="utf-8")
    index_paths([letters], tmp_path / "ix")
    shown = CliRunner().invoke(cli_app, ["show", "IMR 13-000004", "--index", str(tmp_path / "ix")])
    said = [w.strip(" │") for w in re.findall(r"warning: ([^│\n]*)", shown.stdout)]
    assert said
    client = create_app(tmp_path / "ix").test_client()
    page = client.get("/letter/IMR 13-000004")
    assert page.status_code == 200
    for warning in said:
        assert f"warning: {escaped(warning)}</p>" in page.text


SEARCH_STATE = {
    "q": "guidelines",
    "filter": ["outcome:Upheld", "license_state:California"],
    "sort": "-decided",
    "page": "2",
    "limit": "5",
}


def same_search(url: str) -> bool:
    asked = parse_qs(urlsplit(url.replace("&amp;", "&")).query)
    return asked == {
        name: value if isinstance(value, list) else [value] for name, value in SEARCH_STATE.items()
    }


def test_a_letter_opened_from_a_search_keeps_the_whole_search(client):
    page = client.get("/", query_string=SEARCH_STATE).text
    links = re.findall(r'<h3><a href="(/letter/[^"#]*)#item-\d+"', page)
    assert len(links) == 5 and all(same_search(link) for link in links)
    letter = client.get(links[0].replace("&amp;", "&")).text
    back = re.search(r'<a href="([^"]*)">← Back to the search</a>', letter).group(1)
    assert urlsplit(back.replace("&amp;", "&")).path == "/" and same_search(back)


def test_the_stats_link_keeps_the_filters(client):
    page = client.get("/", query_string=SEARCH_STATE).text
    link = re.search(r'<a href="([^"]*)">Overturn rates by field</a>', page).group(1)
    asked = parse_qs(urlsplit(link.replace("&amp;", "&")).query)
    assert asked["q"] == ["guidelines"] and asked["filter"] == SEARCH_STATE["filter"]
    stats_page = client.get(link.replace("&amp;", "&")).text
    _, answer = api(
        client, "/api/stats", q="guidelines", by="category", filter=SEARCH_STATE["filter"]
    )
    assert f"Overturn rates, {answer['summary']['items']} decided items" in stats_page


def test_an_active_facet_link_says_it_removes_the_filter(client):
    page = client.get("/", query_string={"filter": "outcome:Upheld"}).text
    active = re.search(r'<a [^>]*aria-current="true"[^>]*>', page).group()
    assert re.search(r'aria-label="[^"]*remove filter"', active, re.I)


def test_the_hits_have_a_heading_of_their_own(client):
    page = client.get("/", query_string={"q": "mri"}).text
    headings = re.findall(r"<(h[1-3])[^>]*>(.*?)</h[1-3]>", page, re.S)
    first_hit = next(n for n, (level, text) in enumerate(headings) if level == "h3")
    level, text = headings[first_hit - 1]
    assert level == "h2" and "glance" not in text


def contrast(first: str, second: str) -> float:
    """The WCAG 2 contrast ratio of two colours written #rrggbb."""

    def luminance(colour: str) -> float:
        channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    light, dark = sorted((luminance(first), luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


@pytest.mark.parametrize("path", ["/stats?by=specialty", "/?q=mri"])
def test_the_whiskers_stand_out_from_the_bars_and_the_page(client, path):
    page = client.get(path).text
    drawings = re.findall(r"<svg.*?</svg>", page, re.S)
    fills = set(
        re.findall(
            r'<rect x="[\d.]+" y="[\d.]+" width="[\d.]+" height="[\d.]+" fill="(#\w{6})"', page
        )
    )
    strokes = [
        re.findall(r'<g stroke="(#\w{6})" stroke-width="([\d.]+)">', svg) for svg in drawings
    ]
    assert fills and all(strokes)
    for layers in strokes:
        # Each whisker is drawn twice, the wider beneath: wherever it crosses a bar or the
        # background, one of its two strokes stands out by 3:1 or more.
        (under, under_width), (over, over_width) = layers[:2]
        assert float(under_width) > float(over_width)
        for ground in [*fills, "#ffffff", "#f1f1f1"]:
            assert max(contrast(under, ground), contrast(over, ground)) >= 3, ground
        assert contrast(under, over) >= 3


def test_a_marked_word_differs_by_more_than_colour(client):
    page = client.get("/", query_string={"q": "mri"}).text
    rule = re.search(r"\bmark \{([^}]*)\}", page).group(1)
    assert re.search(r"font-weight:\s*(bold|[6-9]00)|text-decoration:\s*underline", rule), rule
