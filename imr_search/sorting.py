"""What a search takes that every face offers before any engine is imported: the orders
its hits come in and how many a page holds, so that the command line can show them in its
help without importing the engine."""

from enum import StrEnum

DEFAULT_LIMIT = 10  # hits (or letters) a page, unless asked otherwise


class Sort(StrEnum):
    relevance = "relevance"
    decided = "decided"  # oldest first
    newest = "-decided"

    @property
    def label(self) -> str:
        """The order in words."""
        return {"decided": "oldest first", "-decided": "newest first"}.get(self.value, self.value)
