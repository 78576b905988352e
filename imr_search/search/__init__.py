"""Searching an index: hits with snippets, facet counts, letters, outcome statistics,
similar decisions. Returns plain result objects and prints nothing; render.py shows them."""

from ..engine.query import QueryError
from ..engine.snippets import Snippet
from .results import (
    HIT_COLUMNS,
    Hit,
    LetterHits,
    NotFound,
    Provenance,
    SearchResult,
    Sort,
    every_hit,
    find_letter,
    search,
)
from .similar import similar, similar_to_file
from .stats import Group, OutcomeCounts, StatsResult, stats, wilson_interval

__all__ = [
    "HIT_COLUMNS",
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
    "every_hit",
    "find_letter",
    "search",
    "similar",
    "similar_to_file",
    "stats",
    "wilson_interval",
]
