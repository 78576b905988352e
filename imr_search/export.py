"""Results as lines for other programs: JSON Lines, CSV with the lines that say how its
rows were obtained, and citations as a brief writes them. No terminal here: rich tables are
render.py's, so that an export or a JSON query never imports them."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from typing import IO

from .search.results import EXPORT_COLUMNS, HIT_COLUMNS, Hit, Provenance, SearchResult
from .search.stats import StatsResult, days_dict


def write_json_lines(records: Iterable[dict], out: IO[str]) -> None:
    out.writelines(json_lines(records))


def json_lines(records: Iterable[dict]) -> Iterator[str]:
    for record in records:
        yield json.dumps(record, ensure_ascii=False) + "\n"


LIST_SEPARATOR = "; "


def write_search_json(result: SearchResult, out: IO[str]) -> None:
    """JSON Lines: one hit (or letter, with --letters) a line, then one summary, each line
    written as its hit is read (an export of every hit holds one at a time)."""
    write_json_lines(result.records(), out)


def provenance_lines(provenance: Provenance | None) -> Iterator[str]:
    """A CSV export's opening lines, each starting with "#" (read as comments by pandas'
    `comment="#"`, R's `comment.char`): how its rows were obtained."""
    if provenance is None:
        return
    index = provenance.to_dict()["index"]
    lines = (
        ("query", provenance.query),
        ("read as", provenance.read_as),
        (
            "index",
            f"{index['store']} generation {index['generation']}, "
            f"{index['letters']} letters, {index['items']} items",
        ),
        ("searched at", provenance.to_dict()["searched_at"]),
    )
    for label, value in lines:
        yield f"# {label}: {' '.join(str(value).split())}\n"


def write_search_csv(result: SearchResult, out: IO[str]) -> None:
    """How the rows were obtained (`provenance_lines`), a header row, then one row per
    hit (per matching item, letter by letter), each written as its hit is read."""
    out.writelines(provenance_lines(result.provenance))
    out.writelines(csv_lines(result.hits))


def csv_lines(hits: Iterable[Hit], columns: tuple[str, ...] = HIT_COLUMNS) -> Iterator[str]:
    """The CSV of `hits` a line at a time: a header row, then one row a hit."""
    line = io.StringIO()
    writer = csv.writer(line)

    def written(row) -> str:
        line.seek(0)
        line.truncate()
        writer.writerow(row)
        return line.getvalue()

    yield written(columns)
    for hit in hits:
        row = hit.to_dict(columns)
        for name in ("specialties", "license_states"):
            row[name] = LIST_SEPARATOR.join(row[name])
        yield written(["" if row[name] is None else row[name] for name in columns])


# An export of every hit of a search (every_hit's, without snippets), in its two forms: a
# row a hit in EXPORT_COLUMNS, a line at a time, with how it was obtained (the CSV's
# opening "#" lines, the JSON Lines' closing summary).


def csv_export_lines(result: SearchResult) -> Iterator[str]:
    yield from provenance_lines(result.provenance)
    yield from csv_lines(result.hits, EXPORT_COLUMNS)


def json_export_lines(result: SearchResult) -> Iterator[str]:
    hits = ({"type": "hit", **hit.to_dict(EXPORT_COLUMNS)} for hit in result.hits)
    yield from json_lines(hits)
    summary = {"type": "summary", "total": result.total}
    if result.provenance is not None:
        summary["provenance"] = result.provenance.to_dict()
    yield from json_lines([summary])


def write_watch_json(runs, out: IO[str]) -> None:
    """JSON Lines: each watch's new hits, each with the time its letter was first indexed,
    then one line for the watch: how many are new, how many shown, counts, provenance."""
    for run in runs:
        hits = (
            {"type": "hit", "watch": run.watch.name, **new.hit.to_dict(), "indexed": new.indexed}
            for new in run.hits
        )
        write_json_lines(hits, out)
        summary = {
            "type": "watch",
            "name": run.watch.name,
            "query": run.watch.query,
            "since": run.watch.seen,
            "new": run.new,
            "shown": len(run.hits),
            "facets": run.facets,
        }
        summary["provenance"] = run.provenance.to_dict()
        write_json_lines([summary], out)


# The months as a brief abbreviates them (The Bluebook, table T12).
MONTHS = (
    "Jan.", "Feb.", "Mar.", "Apr.", "May", "June", "July", "Aug.", "Sept.", "Oct.", "Nov.", "Dec.",
)  # fmt: skip


def brief_date(day) -> str:
    return f"{MONTHS[day.month - 1]} {day.day}, {day.year}"


def citation(hit: Hit) -> str:
    """A hit as a brief cites it: the case number, "IMR Final Determination", the decision
    date, the item and its outcome, and the matching sentence quoted (its own double quotes
    made single, as a quotation within a quotation)."""
    # A letter is keyed by its case number where it has one (indexer.letter_key); else it
    # goes by its file's name, which is no case number.
    case = f"Case No. {hit.case}" if hit.letter_key == hit.case else hit.case
    decided = f" ({brief_date(hit.decision_date)})" if hit.decision_date else ""
    quoted = hit.snippet.text.replace('"', "'").replace("“", "‘").replace("”", "’")
    return (
        f"{case}, IMR Final Determination{decided}, item {hit.item_no}, {hit.item}: "
        f'{hit.outcome} ("{quoted}").'
    )


def write_citations(result: SearchResult, out: IO[str]) -> None:
    """One citation a hit, a line each, written as each hit is read."""
    for hit in result.hits:
        out.write(citation(hit) + "\n")


def write_stats_json(result: StatsResult, out: IO[str]) -> None:
    """JSON Lines: one object a group, then one summary with the totals."""
    write_json_lines(result.records(), out)


STATS_COLUMNS = ("items", "upheld", "overturned", "rate", "ci_low", "ci_high")


VERSUS_REST_COLUMNS = (
    "rest_items",
    "rest_overturned",
    "rest_rate",
    "difference",
    "difference_low",
    "difference_high",
    "query",
)


SPREAD_COLUMNS = ("letters", "q1", "median", "q3")


def write_stats_csv(result: StatsResult, out: IO[str]) -> None:
    """How the rows were obtained (`provenance_lines`), a header row, one row a
    group, then a total row; a group's days as columns `received_median` and the like."""
    out.writelines(provenance_lines(result.provenance))
    writer = csv.writer(out)
    spans = list(result.total_days or {})
    days = [f"{span}_{column}" for span in spans for column in SPREAD_COLUMNS]
    writer.writerow([*result.by, *STATS_COLUMNS, *VERSUS_REST_COLUMNS, *days])
    rows = [(list(g.values.values()), g.to_dict()) for g in result.groups]
    total = result.total.to_dict() | days_dict(result.total_days)
    rows.append((["total"] * len(result.by), total))
    for values, shown in rows:
        for span in spans:
            shown |= {f"{span}_{c}": v for c, v in shown[f"days_{span}"].items()}
        numbers = [shown.get(c) for c in (*STATS_COLUMNS, *VERSUS_REST_COLUMNS, *days)]
        writer.writerow([*values, *("" if n is None else n for n in numbers)])
