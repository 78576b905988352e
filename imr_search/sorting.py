"""The orders a search's hits come in. Kept apart from the search itself, so that the
command line can offer them without importing the engine."""

from enum import StrEnum


class Sort(StrEnum):
    relevance = "relevance"
    decided = "decided"  # oldest first
    newest = "-decided"
