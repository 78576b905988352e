"""Searching an index: hits with snippets, facet counts, letters, outcome statistics,
similar decisions. Returns plain result objects and prints nothing; render.py shows them."""

from ..engine.query import QueryError
from ..engine.snippets import Snippet
from .results import (
    HIT_COLUMNS,
    Filter,
    Hit,
    LetterHits,
    NotFound,
    Provenance,
    SearchResult,
    Sort,
    each_hit,
    every_hit,
    find_letter,
    letter_and_marks,
    query_problem,
    search,
    source_file,
)
from .similar import similar, similar_to_file
from .stats import Group, OutcomeCounts, StatsResult, stats, wilson_interval

__all__ = [
    "HIT_COLUMNS",
    "Filter",
    "Group",
    "Hit",
    "LetterHits",
    "NotFound",
    "OutcomeCounts",
    "Provenance",
    "QueryError",
    "SearchResult",
    "Snippet",
    "Sort",
    "StatsResult",
    "each_hit",
    "every_hit",
    "find_letter",
    "letter_and_marks",
    "query_problem",
    "search",
    "similar",
    "similar_to_file",
    "source_file",
    "stats",
    "wilson_interval",
]
