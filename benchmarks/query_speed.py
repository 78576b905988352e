"""Query latency, p50 and p95, beside plain Whoosh and tantivy on the same letters.

    python benchmarks/query_speed.py [--letters 5000] [--repeats 5]

From one run, on the same synthetic letters (benchmarks/synthetic.py) and the same fixed
query set, each query written in each engine's own syntax:
- imr-search: `search.search()`, as `imr-search query` calls it (opening the index each
  time), with the total count, outcome and three facets (specialty, year, category) and
  10 hits with highlighted snippets;
- plain Whoosh: a schema of plain TEXT/KEYWORD/NUMERIC/DATETIME fields at default settings,
  one open searcher, the same count, facets (`groupedby`) and 10 highlighted snippets;
- tantivy: one open searcher, the count, the facets as terms aggregations over fast fields,
  and 10 snippets from its SnippetGenerator.
Each query is run once to warm up, then `--repeats` times. Needs the `bench` extra
(`pip install -e '.[bench]'`). Results go to benchmarks/results/query_speed.{json,md}.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from synthetic import write_letters  # noqa: E402

FACETS = ("specialty", "year", "category")
TEXT_FIELDS = ("item", "rationale", "summary", "guideline")
HITS = 10

# (imr-search, plain Whoosh, tantivy): the same question in each engine's syntax. tantivy's
# parser ORs bare words, so its queries say AND.
QUERIES = [
    (
        '"acute exacerbation" AND outcome:Upheld',
        '"acute exacerbation" AND outcome:Upheld',
        '"acute exacerbation" AND outcome:Upheld',
    ),
    ("flexeril", "flexeril", "flexeril"),
    ('"not medically necessary"', '"not medically necessary"', '"not medically necessary"'),
    ("mri lumbar", "mri lumbar", "mri AND lumbar"),
    ("outcome:Overturned", "outcome:Overturned", "outcome:Overturned"),
    (
        'specialty:"pain management" "physical therapy"',
        'specialty:"Pain Management" "physical therapy"',
        'specialty:"Pain Management" AND "physical therapy"',
    ),
    (
        "decided:[2016-01-01 TO 2016-06-30]",
        "decision_date:[20160101 TO 20160630]",
        "decision_date:[2016-01-01T00:00:00Z TO 2016-06-30T23:59:59Z]",
    ),
    (
        '"physical therapy"~3 AND state:california',
        '"physical therapy"~3 AND license_state:California',
        '"physical therapy"~3 AND license_state:California',
    ),
    ("ambien OR lyrica", "ambien OR lyrica", "ambien OR lyrica"),
    (
        "injured:<2014 AND age:[40 TO 60]",
        "injury_date:[19000101 TO 20131231] AND age:[40 TO 60]",
        "injury_date:[1900-01-01T00:00:00Z TO 2013-12-31T23:59:59Z] AND age:[40 TO 60]",
    ),
    (
        "subacromial decompression outcome:overturned",
        "subacromial decompression outcome:Overturned",
        "subacromial AND decompression AND outcome:Overturned",
    ),
    ("radiculopathy", "radiculopathy", "radiculopathy"),
    (
        '"red flag" NOT outcome:overturned',
        '"red flag" NOT outcome:Overturned',
        '"red flag" AND -outcome:Overturned',
    ),
]


# ---------------------------------------------------------------- the documents


def item_documents(folder: Path) -> list[dict]:
    """One plain record per item, parsed once, for the peers' indexes."""
    from imr_search.letters import find_letter_files, read_letter

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
    parser = MultifieldParser(list(TEXT_FIELDS), schema)
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
        query = ix.parse_query(text, list(TEXT_FIELDS))
        found = searcher.search(query, HITS, count=True)
        searcher.aggregate(query, aggregations)
        snippets = tantivy.SnippetGenerator.create(searcher, query, schema, "rationale")
        for _, address in found.hits:
            snippets.snippet_from_doc(searcher.doc(address)).to_html()
        return found.count

    return run


# ---------------------------------------------------------------- measuring


def timed(run, text: str, repeats: int) -> tuple[int, list[float]]:
    total = run(text)  # warm-up
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        run(text)
        times.append((time.perf_counter() - started) * 1000)
    return total, times


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--letters", type=int, default=5000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    from imr_search.indexer import index_paths

    work = Path(tempfile.mkdtemp(prefix="imr-query-bench-"))
    try:
        letters = work / "letters"
        write_letters(letters, args.letters)
        index_paths([letters], work / "imr-search", jobs=2)
        documents = item_documents(letters)
        engines = {
            "imr-search": imr_search_engine(work / "imr-search"),
            "plain-whoosh": plain_whoosh_engine(work / "plain-whoosh", documents),
            "tantivy": tantivy_engine(work / "tantivy", documents),
        }
        rows, overall = [], {name: [] for name in engines}
        for texts in QUERIES:
            row = {"query": texts[0]}
            for (name, run), text in zip(engines.items(), texts, strict=True):
                total, times = timed(run, text, args.repeats)
                overall[name] += times
                row[name] = {
                    "total": total,
                    "p50_ms": round(statistics.median(times), 2),
                    "p95_ms": round(percentile(times, 0.95), 2),
                }
            rows.append(row)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    summary = {
        name: {
            "p50_ms": round(statistics.median(times), 2),
            "p95_ms": round(percentile(times, 0.95), 2),
        }
        for name, times in overall.items()
    }
    ours = summary["imr-search"]
    for name in ("plain-whoosh", "tantivy"):
        summary[name]["imr_search_p50_ratio"] = round(ours["p50_ms"] / summary[name]["p50_ms"], 2)
    report = {
        "letters": args.letters,
        "items": len(documents),
        "repeats": args.repeats,
        "facets": ["outcome", *FACETS],
        "hits_with_snippets": HITS,
        "queries": rows,
        "summary": summary,
    }
    out = ROOT / "benchmarks" / "results"
    out.mkdir(exist_ok=True)
    (out / "query_speed.json").write_text(json.dumps(report, indent=2) + "\n")
    names = list(engines)
    lines = [
        f"{args.letters} letters, {len(documents)} items; each query: count, "
        f"{1 + len(FACETS)} facets, {HITS} snippets; ms, p50 / p95 of {args.repeats} runs",
        "",
        "| query | " + " | ".join(f"{n} total | {n} p50 | {n} p95" for n in names) + " |",
        "| --- |" + " --- | --- | --- |" * len(names),
    ]
    for row in rows:
        cells = [f"{row[n]['total']} | {row[n]['p50_ms']} | {row[n]['p95_ms']}" for n in names]
        lines.append(f"| `{row['query']}` | " + " | ".join(cells) + " |")
    lines += [
        "",
        "| engine | p50 ms | p95 ms | imr-search p50 / its p50 |",
        "| --- | --- | --- | --- |",
    ]
    for name in names:
        ratio = summary[name].get("imr_search_p50_ratio", "")
        lines.append(
            f"| {name} | {summary[name]['p50_ms']} | {summary[name]['p95_ms']} | {ratio} |"
        )
    (out / "query_speed.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
