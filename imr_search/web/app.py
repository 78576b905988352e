"""The routes: each reads its URL's parameters, calls the library as the command line does,
and renders a template, or answers the same JSON records as the command's `--format json`.

The URL holds the whole search (query, filters, sort, page), so a page can be bookmarked
and sent. Nothing here searches, counts or reads a file but through the library.
"""

from __future__ import annotations

import io
import ipaddress
import json
import logging
from contextlib import ExitStack
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import urlencode

from flask import Flask, Response, render_template, request, send_file, url_for
from werkzeug.exceptions import HTTPException

from ..engine.store import IndexUnusable
from ..export import csv_export_lines, json_export_lines
from ..fields import GROUP_FIELDS
from ..render import (
    counted,
    letter_facts,
    outcome_label,
    rate_text,
    result_summary,
)
from ..search import (
    DEFAULT_LIMIT,
    Filter,
    NotFound,
    QueryError,
    SearchResult,
    Sort,
    every_hit,
    query_problem,
    search,
    similar,
    stats,
)
from ..search.letter import letter_and_marks, source_file

EVERY = "*"  # what a blank search box searches: every item
# The facets of the sidebar, in its order (outcome first, as every count has it): all but
# the worker's sex, which says little about a treatment's chances.
SIDEBAR = (
    "outcome",
    "specialty",
    "license_state",
    "category",
    "drug",
    "drug_class",
    "guideline_source",
    "year",
)
PAGE_LIMIT = 20  # hits a page on the search page (the API's: the command's, DEFAULT_LIMIT)
MOST_LIMIT = 1000  # hits a page at most: snippets cost time (exports have them all)
SIMILAR_SHOWN = 10
# The pages whose URL keeps the page of hits: the search page, and a letter opened from it
# (for its way back).
PAGED = ("search_page", "letter_page")
SOURCE_TYPES = {".pdf": "application/pdf", ".txt": "text/plain; charset=utf-8"}
# The pages run no script and load nothing from elsewhere.
PAGE_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)

log = logging.getLogger("imr_search.web")


class Refused(Exception):
    """A request whose parameters cannot be read; the message says which and why."""


@dataclass(frozen=True)
class Asked:
    """A search as its URL holds it."""

    q: str = ""
    filters: tuple[Filter, ...] = ()
    sort: Sort = Sort.relevance
    page: int = 1
    limit: int = PAGE_LIMIT

    @property
    def text(self) -> str:
        """The query searched: a blank box is every item."""
        return self.q.strip() or EVERY

    def url(self, endpoint: str, route: dict | None = None, **changes) -> str:
        """This search's URL at `endpoint` (its `route` values), with `changes`; defaults
        left out, and the page and its size but where a page of hits is, or is gone back to."""
        asked = replace(self, **changes)
        pairs = [("q", asked.q)] if asked.q else []
        pairs += [("filter", str(chosen)) for chosen in asked.filters]
        if asked.sort is not Sort.relevance:
            pairs.append(("sort", asked.sort.value))
        if endpoint in PAGED and asked.page != 1:
            pairs.append(("page", str(asked.page)))
        if endpoint in PAGED and asked.limit != PAGE_LIMIT:
            pairs.append(("limit", str(asked.limit)))
        return url_for(endpoint, **(route or {})) + ("?" + urlencode(pairs) if pairs else "")

    def letter_url(self, case: str) -> str:
        """A letter's page, keeping this search for its words' marks and the way back."""
        return self.url("letter_page", {"case": case})

    def with_filter(self, chosen: Filter) -> str:
        return self.url("search_page", filters=(*self.filters, chosen), page=1)

    def without_filter(self, chosen: Filter) -> str:
        kept = tuple(f for f in self.filters if f != chosen)
        return self.url("search_page", filters=kept, page=1)


def whole_number(name: str, default: int, most: int | None = None) -> int:
    raw = request.args.get(name, "")
    if not raw:
        return default
    if not raw.isascii() or not raw.isdigit() or not raw.strip("0"):
        raise Refused(f"{name} is a whole number from 1, not {raw[:40]!r}")
    # (a number of thousands of digits is not read at all: Python refuses to)
    if most is not None and (len(raw) > len(str(most)) or int(raw) > most):
        raise Refused(f"{name} is at most {most}")
    if len(raw) > 18:
        raise Refused(f"{name} {raw[:20]}...: no search has so many")
    return int(raw)


BOOLEANS = {"1": True, "true": True, "0": False, "false": False}


def boolean(name: str) -> bool:
    """A yes-or-no parameter: 1 or true, 0 or false (left out: false)."""
    raw = request.args.get(name, "0")
    if raw.lower() not in BOOLEANS:
        raise Refused(f"{name} is 1, true, 0 or false, not {raw[:40]!r}")
    return BOOLEANS[raw.lower()]


def read_asked(default_limit: int) -> Asked:
    """The search in the request's URL. Raises Refused."""
    try:
        filters = tuple(dict.fromkeys(Filter.read(raw) for raw in request.args.getlist("filter")))
    except QueryError as exc:
        raise Refused(str(exc)) from None
    raw_sort = request.args.get("sort") or Sort.relevance.value
    try:
        sort = Sort(raw_sort)
    except ValueError:
        raise Refused(
            f"sort is {', '.join(s.value for s in Sort)}, not {raw_sort[:40]!r}"
        ) from None
    return Asked(
        q=request.args.get("q", ""),
        filters=filters,
        sort=sort,
        page=whole_number("page", 1),
        limit=whole_number("limit", default_limit, MOST_LIMIT),
    )


def marked(text: str, spans) -> list[tuple[str, bool]]:
    """`text` cut at its marked spans: (part, whether marked), for <mark> in a template."""
    parts, at = [], 0
    for start, end in sorted(spans):
        if start < at:
            continue
        parts += [(text[at:start], False), (text[start:end], True)]
        at = end
    parts.append((text[at:], False))
    return [(part, is_mark) for part, is_mark in parts if part]


def json_response(value, status: int = 200) -> Response:
    """JSON as the command line writes it (keys in its order, text as written)."""
    return Response(json.dumps(value, ensure_ascii=False), status, mimetype="application/json")


def is_api() -> bool:
    return request.path.startswith("/api/")


def create_app(index_dir: Path) -> Flask:
    """The web application over the index at `index_dir`, read afresh for each request (a
    re-indexed folder is seen at once)."""
    app = Flask(__name__, static_folder=None)
    app.jinja_env.globals.update(
        marked=marked,
        Filter=Filter,
        Sort=Sort,
        SIDEBAR=SIDEBAR,
        GROUP_FIELDS=GROUP_FIELDS,
        outcome_label=outcome_label,
        rate_text=rate_text,
        result_summary=result_summary,
        letter_facts=letter_facts,
    )
    app.jinja_env.filters["percent"] = lambda share: f"{share * 100:.1f}"

    @app.after_request
    def guarded(response: Response) -> Response:
        response.headers["X-Content-Type-Options"] = "nosniff"
        if response.mimetype == "text/html":
            response.headers["Content-Security-Policy"] = PAGE_POLICY
        return response

    def problem(status: int, message: str) -> Response:
        if is_api():
            return json_response({"error": message}, status)
        page = render_template("error.html", status=status, message=message)
        return Response(page, status, mimetype="text/html")

    @app.errorhandler(Exception)
    def refused(exc: Exception) -> Response:
        # Every failure is one message and its status; a traceback goes to the server's
        # log only, never into a response.
        if isinstance(exc, HTTPException):
            return problem(exc.code or 500, exc.description or exc.name)
        if isinstance(exc, Refused):
            return problem(400, str(exc))
        if isinstance(exc, QueryError):
            return problem(400, query_problem(request.args.get("q", ""), exc))
        if isinstance(exc, NotFound):
            return problem(404, str(exc))
        if isinstance(exc, IndexUnusable):
            return problem(503, str(exc))
        log.exception("internal error answering %s", request.path)
        return problem(500, "internal error")

    def index() -> Path:
        return app.config["INDEX"]

    app.config["INDEX"] = index_dir

    # ------------------------------------------------------------ pages

    def searched(asked: Asked, text: str, facets, letters: bool = False) -> SearchResult:
        """The search the URL asks for; a page past its last refused. Raises Refused,
        QueryError, IndexUnusable."""
        result = search(
            index(),
            text,
            limit=asked.limit,
            page=asked.page,
            sort=asked.sort,
            facets=tuple(facets),
            letters=letters,
            filters=asked.filters,
        )
        if asked.page > result.pages:
            raise Refused(f"page {asked.page}: this search has {counted(result.pages, 'page')}")
        return result

    @app.get("/")
    def search_page():
        asked = read_asked(PAGE_LIMIT)
        try:
            result = searched(asked, asked.text, SIDEBAR)
        except QueryError as exc:
            page = render_template(
                "search.html", asked=asked, error=query_problem(asked.text, exc), result=None
            )
            return Response(page, 400, mimetype="text/html")
        return render_template("search.html", asked=asked, error=None, result=result)

    @app.get("/stats")
    def stats_page():
        asked = read_asked(PAGE_LIMIT)
        by = [name for name in request.args.getlist("by") if name] or ["category"]
        minimum = whole_number("min", 1)
        try:
            result = stats(index(), asked.text, tuple(by), minimum, filters=asked.filters)
        except QueryError as exc:
            page = render_template(
                "stats.html", asked=asked, by=by, minimum=minimum, result=None,
                error=query_problem(asked.text, exc),
            )  # fmt: skip
            return Response(page, 400, mimetype="text/html")
        return render_template(
            "stats.html", asked=asked, by=list(result.by), minimum=minimum, result=result,
            error=None,
        )  # fmt: skip

    @app.get("/letter/<case>")
    def letter_page(case: str):
        asked = read_asked(PAGE_LIMIT)
        q = asked.q.strip()
        text = q if q and q != EVERY else None
        letter, source_problem, marks = letter_and_marks(index(), case, text)
        return render_template(
            "letter.html", letter=letter, source_problem=source_problem, marks=marks, asked=asked
        )

    @app.get("/letter/<case>/source")
    def letter_source(case: str):
        source = source_file(index(), case)
        kind = SOURCE_TYPES.get(source.path.suffix.lower(), "application/octet-stream")
        # The bytes checked against the index are the bytes sent: the file is not reopened.
        return send_file(
            io.BytesIO(source.data),
            mimetype=kind,
            download_name=source.path.name,
            conditional=False,
        )

    @app.get("/similar/<case>/<int:item>")
    def similar_page(case: str, item: int):
        result = similar(index(), case, item, limit=SIMILAR_SHOWN)
        return render_template("similar.html", case=case, item=item, result=result)

    # ------------------------------------------------------------ exports

    def exported(lines, kind: str, name: str) -> Response:
        headers = {"Content-Disposition": f'attachment; filename="{name}"'}
        return Response(lines, mimetype=kind, headers=headers)

    def exported_search(asked: Asked, lines_of, mimetype: str, filename: str):
        """Every hit of the search, streamed by `lines_of` from one held commit. The commit
        is opened and the query read before the answer starts, so that a bad query or
        index is told with its status rather than cut into a half-sent file."""
        held = ExitStack()
        result = held.enter_context(
            every_hit(index(), asked.text, sort=asked.sort, filters=asked.filters, snippets=False)
        )

        def lines():
            with held:
                yield from lines_of(result)

        return exported(lines(), mimetype, filename)

    @app.get("/export.csv")
    def export_csv():
        asked = read_asked(PAGE_LIMIT)
        return exported_search(asked, csv_export_lines, "text/csv", "imr-search.csv")

    @app.get("/export.jsonl")
    def export_jsonl():
        asked = read_asked(PAGE_LIMIT)
        return exported_search(asked, json_export_lines, "application/x-ndjson", "imr-search.jsonl")

    # ------------------------------------------------------------ the JSON API

    @app.get("/api/search")
    def api_search():
        asked = read_asked(DEFAULT_LIMIT)
        result = searched(asked, asked.q, request.args.getlist("facet"), boolean("letters"))
        *found, summary = result.records()
        return json_response({"hits": found, "summary": summary})

    @app.get("/api/stats")
    def api_stats():
        asked = read_asked(DEFAULT_LIMIT)
        minimum = whole_number("min", 1)
        by = tuple(request.args.getlist("by"))
        result = stats(index(), asked.q, by, minimum, filters=asked.filters)
        *groups, summary = result.records()
        return json_response({"groups": groups, "summary": summary})

    @app.get("/api/letter/<case>")
    def api_letter(case: str):
        letter, _, _ = letter_and_marks(index(), case)
        return json_response(letter.to_dict())

    return app


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def make_server(index_dir: Path, host: str, port: int):
    """A waitress server of the application on `host`:`port` (0: any free port), bound and
    ready to `run()`; its `effective_port` is the port it took."""
    from waitress import create_server

    return create_server(create_app(index_dir), host=host, port=port, threads=4)
