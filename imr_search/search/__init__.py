"""Searching an index: hits with snippets, facet counts, letters, outcome statistics,
similar decisions. Returns plain result objects and prints nothing; render.py shows them.
One letter as indexed (its record, marks and source file) is in search.letter, which a
query does not import (the letter records' classes)."""

from ..engine.query import QueryError
from ..engine.snippets import Snippet
from .counts import OutcomeCounts, wilson_interval
from .results import (
    DEFAULT_LIMIT,
    EXPORT_COLUMNS,
    HIT_COLUMNS,
    Filter,
    Hit,
    LetterHits,
    NotFound,
    ParameterError,
    Provenance,
    SearchResult,
    Sort,
    every_hit,
    query_problem,
    search,
)
from .similar import read_reference, similar, similar_to_file
from .stats import Group, StatsResult, stats

__all__ = [
    "DEFAULT_LIMIT",
    "EXPORT_COLUMNS",
    "HIT_COLUMNS",
    "Filter",
    "Group",
    "Hit",
    "LetterHits",
    "NotFound",
    "OutcomeCounts",
    "Provenance",
    "ParameterError",
    "QueryError",
    "SearchResult",
    "Snippet",
    "Sort",
    "StatsResult",
    "every_hit",
    "query_problem",
    "read_reference",
    "search",
    "similar",
    "similar_to_file",
    "stats",
    "wilson_interval",
]
