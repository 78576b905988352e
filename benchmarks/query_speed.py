"""The query-latency contenders of benchmarks/run.py: imr-search, plain Whoosh, tantivy and
SQLite FTS5, each answering the same fixed query set in its own syntax.

Every run of a query includes the total count, the outcome and three facets (specialty,
year, category) and 10 hits with highlighted snippets:
- imr-search: `search.search()`, as `imr-search query` calls it (opening the index each
  time);
- plain Whoosh: a schema of plain TEXT/KEYWORD/NUMERIC/DATETIME fields at default settings,
  one open searcher, facets by `groupedby`, snippets by `highlights`;
- tantivy: one open searcher, facets as terms aggregations over fast fields, snippets from
  its SnippetGenerator;
- SQLite FTS5: a porter-stemmed FTS5 table over the text beside a table of the fields, the
  count and facets by SQL, hits by bm25 with `snippet()`.
"""

from __future__ import annotations

import statistics
import time
from datetime import datetime
from pathlib import Path

FACETS = ("specialty", "year", "category")
TEXT_FIELDS = ("item", "rationale", "summary", "guideline")
# What bare words search in every engine: the item's own text, as imr-search reads them.
DEFAULT_TEXT = ("item", "rationale", "guideline")
HITS = 10

# (imr-search, plain Whoosh, tantivy, SQLite (FTS5 MATCH or None, SQL condition or None)):
# the same question in each engine's syntax. tantivy's parser ORs bare words, so its queries
# say AND.
QUERIES = [
    (
        '"acute exacerbation" AND outcome:Upheld',
        '"acute exacerbation" AND outcome:Upheld',
        '"acute exacerbation" AND outcome:Upheld',
        ('"acute exacerbation"', "outcome = 'Upheld'"),
    ),
    (
        "flexeril",
        "flexeril",
        "flexeril",
        ("flexeril", None),
    ),
    (
        '"not medically necessary"',
        '"not medically necessary"',
        '"not medically necessary"',
        ('"not medically necessary"', None),
    ),
    (
        "mri lumbar",
        "mri lumbar",
        "mri AND lumbar",
        ("mri lumbar", None),
    ),
    (
        "outcome:Overturned",
        "outcome:Overturned",
        "outcome:Overturned",
        (None, "outcome = 'Overturned'"),
    ),
    (
        'specialty:"pain management" "physical therapy"',
        'specialty:"Pain Management" "physical therapy"',
        'specialty:"Pain Management" AND "physical therapy"',
        (
            '"physical therapy"',
            "rowid IN (SELECT item FROM specialty WHERE value = 'Pain Management')",
        ),
    ),
    (
        "decided:[2016-01-01 TO 2016-06-30]",
        "decision_date:[20160101 TO 20160630]",
        "decision_date:[2016-01-01T00:00:00Z TO 2016-06-30T23:59:59Z]",
        (None, "decision_date BETWEEN '2016-01-01' AND '2016-06-30'"),
    ),
    (
        '"physical therapy"~3 AND state:california',
        '"physical therapy"~3 AND license_state:California',
        '"physical therapy"~3 AND license_state:California',
        (
            'NEAR("physical therapy", 3)',
            "rowid IN (SELECT item FROM license_state WHERE value = 'California')",
        ),
    ),
    (
        "ambien OR lyrica",
        "ambien OR lyrica",
        "ambien OR lyrica",
        ("ambien OR lyrica", None),
    ),
    (
        "injured:<2014 AND age:[40 TO 60]",
        "injury_date:[19000101 TO 20131231] AND age:[40 TO 60]",
        "injury_date:[1900-01-01T00:00:00Z TO 2013-12-31T23:59:59Z] AND age:[40 TO 60]",
        (None, "injury_date < '2014-01-01' AND age BETWEEN 40 AND 60"),
    ),
    (
        "subacromial decompression outcome:overturned",
        "subacromial decompression outcome:Overturned",
        "subacromial AND decompression AND outcome:Overturned",
        ("subacromial decompression", "outcome = 'Overturned'"),
    ),
    (
        "radiculopathy",
        "radiculopathy",
        "radiculopathy",
        ("radiculopathy", None),
    ),
    (
        '"red flag" NOT outcome:overturned',
        '"red flag" NOT outcome:Overturned',
        '"red flag" AND -outcome:Overturned',
        ('"red flag"', "outcome != 'Overturned'"),
    ),
]

# Terms and connectors, which only imr-search reads: each beside the plain phrase queries
# above (those with a quoted phrase), whose p95 they are measured against.
CONNECTOR_QUERIES = [
    '"acute exacerbation" /s documentation',  # sentence
    'flexeril /p "not medically necessary"',  # paragraph (a bare drug: all its names)
    "pain /5 chronic",  # within n words
    "functional +2 improvement",  # n words, in order
    '"acute exacerbation" /s "low back pain"',  # phrase to phrase
    '"red flag" w/s identified',  # Lexis
]
# A word as written, apart: it reads the stored text of every item its stem is in.
EXACT_QUERIES = ["#documented AND outcome:overturned", "rationale:#exacerbation"]
PHRASE_QUERIES = [texts[0] for texts in QUERIES if '"' in texts[0]]


# ---------------------------------------------------------------- the documents


def item_documents(folder: Path) -> list[dict]:
    """One plain record per item, parsed once, for the peers' indexes."""
    from imr_search.letters.files import find_letter_files, read_letter

    def day(value):
        return datetime(value.year, value.month, value.day) if value else None

    documents = []
    for path in find_letter_files([folder]):
        letter = read_letter(path)
        for item in letter.items:
            documents.append(
                {
                    "case": letter.case,
                    "item": item.item,
                    "outcome": item.outcome,
                    "rationale": item.rationale,
                    "summary": letter.summary,
                    "guideline": f"{item.claims_guideline.text}\n{item.maximus_guideline.text}",
                    "specialty": list(letter.specialties),
                    "license_state": list(letter.license_states),
                    "category": item.category or "",
                    "year": letter.decision_date.year,
                    "decision_date": day(letter.decision_date),
                    "injury_date": day(letter.injury_date),
                    "age": letter.age or 0,
                }
            )
    return documents


# ---------------------------------------------------------------- the engines


def imr_search_engine(index_dir: Path):
    from imr_search.search import search

    def run(text: str) -> int:
        result = search(index_dir, text, limit=HITS, facets=FACETS)
        assert len(result.facets) == 1 + len(FACETS)
        return result.total

    return run


def plain_whoosh_engine(index_dir: Path, documents: list[dict]):
    from whoosh import index, sorting
    from whoosh.fields import DATETIME, ID, KEYWORD, NUMERIC, TEXT, Schema
    from whoosh.qparser import MultifieldParser

    schema = Schema(
        case=ID(stored=True),
        item=TEXT(stored=True),
        outcome=KEYWORD(stored=True),
        rationale=TEXT(stored=True),
        summary=TEXT(stored=True),
        guideline=TEXT(stored=True),
        specialty=KEYWORD(stored=True, commas=True),
        license_state=KEYWORD(stored=True, commas=True),
        category=KEYWORD(stored=True),
        year=NUMERIC(stored=True),
        decision_date=DATETIME(stored=True),
        injury_date=DATETIME(stored=True),
        age=NUMERIC(stored=True),
    )
    index_dir.mkdir()
    ix = index.create_in(str(index_dir), schema)
    writer = ix.writer()
    for document in documents:
        fields = dict(document)
        fields["specialty"] = ",".join(document["specialty"])
        fields["license_state"] = ",".join(document["license_state"])
        writer.add_document(**{k: v for k, v in fields.items() if v is not None})
    writer.commit()
    searcher = ix.searcher()
    parser = MultifieldParser(list(DEFAULT_TEXT), schema)
    groupedby = {
        name: sorting.FieldFacet(name, allow_overlap=True, maptype=sorting.Count)
        for name in ("outcome", *FACETS)
    }

    def run(text: str) -> int:
        results = searcher.search(parser.parse(text), limit=HITS, groupedby=groupedby)
        for name in groupedby:
            results.groups(name)
        for hit in results:
            hit.highlights("rationale") or hit.highlights("summary")
        return len(results)

    return run


def tantivy_engine(index_dir: Path, documents: list[dict]):
    import tantivy

    builder = tantivy.SchemaBuilder()
    builder.add_text_field("case", stored=True, tokenizer_name="raw")
    for name in TEXT_FIELDS:
        builder.add_text_field(name, stored=True, tokenizer_name="en_stem")
    for name in ("outcome", "specialty", "license_state", "category"):
        builder.add_text_field(name, stored=True, tokenizer_name="raw", fast=True)
    for name in ("year", "age"):
        builder.add_integer_field(name, stored=True, indexed=True, fast=True)
    for name in ("decision_date", "injury_date"):
        builder.add_date_field(name, stored=True, indexed=True, fast=True)
    schema = builder.build()
    index_dir.mkdir()
    ix = tantivy.Index(schema, path=str(index_dir))
    writer = ix.writer()
    for document in documents:
        writer.add_document(
            tantivy.Document(**{k: v for k, v in document.items() if v not in (None, "")})
        )
    writer.commit()
    ix.reload()
    searcher = ix.searcher()
    aggregations = {name: {"terms": {"field": name, "size": 1000}} for name in ("outcome", *FACETS)}

    def run(text: str) -> int:
        query = ix.parse_query(text, list(DEFAULT_TEXT))
        found = searcher.search(query, HITS, count=True)
        searcher.aggregate(query, aggregations)
        snippets = tantivy.SnippetGenerator.create(searcher, query, schema, "rationale")
        for _, address in found.hits:
            snippets.snippet_from_doc(searcher.doc(address)).to_html()
        return found.count

    return run


def sqlite_engine(path: Path, documents: list[dict]):
    import sqlite3

    db = sqlite3.connect(path)
    db.executescript(
        """
        CREATE TABLE items (
            case_number TEXT, item TEXT, outcome TEXT, rationale TEXT, summary TEXT,
            guideline TEXT, category TEXT, year INTEGER, decision_date TEXT,
            injury_date TEXT, age INTEGER);
        CREATE TABLE specialty (item INTEGER, value TEXT);
        CREATE TABLE license_state (item INTEGER, value TEXT);
        CREATE VIRTUAL TABLE text USING fts5(
            item, rationale, summary, guideline, content='items', tokenize='porter');
        """
    )
    for rowid, d in enumerate(documents, start=1):
        dates = [
            d[name].date().isoformat() if d[name] else None
            for name in ("decision_date", "injury_date")
        ]
        db.execute(
            "INSERT INTO items (rowid, case_number, item, outcome, rationale, summary, guideline,"
            " category, year, decision_date, injury_date, age) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                rowid,
                d["case"],
                d["item"],
                d["outcome"],
                d["rationale"],
                d["summary"],
                d["guideline"],
                d["category"],
                d["year"],
                *dates,
                d["age"],
            ),
        )
        for table in ("specialty", "license_state"):
            db.executemany(f"INSERT INTO {table} VALUES (?, ?)", [(rowid, v) for v in d[table]])
    db.executescript(
        """
        INSERT INTO text(text) VALUES ('rebuild');
        CREATE INDEX specialty_item ON specialty(item);
        CREATE INDEX specialty_value ON specialty(value);
        CREATE INDEX license_state_value ON license_state(value);
        CREATE INDEX items_outcome ON items(outcome);
        CREATE INDEX items_decided ON items(decision_date);
        """
    )
    db.commit()

    def run(query: tuple[str | None, str | None]) -> int:
        match, condition = query
        if match:  # FTS5's column filter: the item's own text
            match = f"{{{' '.join(DEFAULT_TEXT)}}} : ({match})"
        where = " AND ".join(
            part
            for part in (
                "rowid IN (SELECT rowid FROM text WHERE text MATCH :match)" if match else None,
                condition,
            )
            if part
        )
        found = f"SELECT rowid FROM items WHERE {where}"
        arguments = {"match": match}
        total = db.execute(f"SELECT count(*) FROM ({found})", arguments).fetchone()[0]
        for facet in ("outcome", "year", "category"):
            db.execute(
                f"SELECT {facet}, count(*) FROM items WHERE rowid IN ({found}) GROUP BY {facet}",
                arguments,
            ).fetchall()
        db.execute(
            f"SELECT value, count(*) FROM specialty WHERE item IN ({found}) GROUP BY value",
            arguments,
        ).fetchall()
        if match:
            db.execute(
                "SELECT items.rowid, snippet(text, 1, '[', ']', '…', 24) FROM text"
                f" JOIN items ON items.rowid = text.rowid WHERE text MATCH :match"
                f" AND items.rowid IN ({found}) ORDER BY bm25(text) LIMIT {HITS}",
                arguments,
            ).fetchall()
        else:
            db.execute(
                f"SELECT rowid, substr(rationale, 1, 200) FROM items WHERE {where} LIMIT {HITS}",
                arguments,
            ).fetchall()
        return total

    return run


# ---------------------------------------------------------------- measuring


def timed(run, text, repeats: int) -> tuple[int, float, list[float]]:
    """The total found, the first (cold) run's milliseconds, and those of `repeats` more."""
    started = time.perf_counter()
    total = run(text)
    cold = (time.perf_counter() - started) * 1000
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        run(text)
        times.append((time.perf_counter() - started) * 1000)
    return total, cold, times


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


ENGINES = ("imr-search", "plain-whoosh", "tantivy", "sqlite-fts5")  # the columns of QUERIES


def query_latencies(
    imr_index: Path, documents: list[dict] | None, work: Path, repeats: int
) -> dict:
    """Each query through each engine (imr-search alone without `documents` for the peers):
    totals and p50/p95 milliseconds, then the overall p50/p95 of each engine and the ratios
    of imr-search's to the others'."""
    engines = {"imr-search": imr_search_engine(imr_index)}
    if documents is not None:
        engines["plain-whoosh"] = plain_whoosh_engine(work / "plain-whoosh-query", documents)
        engines["tantivy"] = tantivy_engine(work / "tantivy", documents)
        engines["sqlite-fts5"] = sqlite_engine(work / "fts5.sqlite", documents)
    rows, overall = [], {name: [] for name in engines}
    for texts in QUERIES:
        row = {"query": texts[0]}
        for name, run in engines.items():
            total, cold, times = timed(run, texts[ENGINES.index(name)], repeats)
            overall[name] += times
            row[name] = figures(total, cold, times)
        rows.append(row)
    ours, apart = engines["imr-search"], {"connectors": [], "exact words": []}
    for kind, texts in (("connectors", CONNECTOR_QUERIES), ("exact words", EXACT_QUERIES)):
        for text in texts:
            total, cold, times = timed(ours, text, repeats)
            apart[kind] += times
            rows.append({"query": text, "kind": kind, "imr-search": figures(total, cold, times)})
    phrases = [t for r in rows if r["query"] in PHRASE_QUERIES for t in r["imr-search"]["times"]]
    summary = {
        name: {
            "p50_ms": round(statistics.median(times), 2),
            "p95_ms": round(percentile(times, 0.95), 2),
        }
        for name, times in overall.items()
    }
    mine = summary["imr-search"]
    for name, held in summary.items():
        if name != "imr-search":
            held["imr_search_p50_ratio"] = round(mine["p50_ms"] / held["p50_ms"], 2)
            held["imr_search_p95_ratio"] = round(mine["p95_ms"] / held["p95_ms"], 2)
    phrase_p95 = percentile(phrases, 0.95)
    kinds = {
        kind: {
            "p50_ms": round(statistics.median(times), 2),
            "p95_ms": round(percentile(times, 0.95), 2),
            "p95_vs_phrases_p95": round(percentile(times, 0.95) / phrase_p95, 2),
        }
        for kind, times in apart.items()
    }
    kinds["phrases"] = {
        "p50_ms": round(statistics.median(phrases), 2),
        "p95_ms": round(phrase_p95, 2),
    }
    for row in rows:
        for name in engines:
            row.get(name, {}).pop("times", None)
    return {"queries": rows, "summary": summary, "kinds": kinds}


def figures(total: int, cold: float, times: list[float]) -> dict:
    """One query's figures through one engine, its times kept until the kinds are summed."""
    return {
        "total": total,
        "cold_ms": round(cold, 2),
        "p50_ms": round(statistics.median(times), 2),
        "p95_ms": round(percentile(times, 0.95), 2),
        "times": times,
    }
