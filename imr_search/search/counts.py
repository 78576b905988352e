"""How a set of decided items came out: upheld, overturned, and the overturn rate with its
95% Wilson interval."""

from __future__ import annotations

import math
from dataclasses import dataclass

Z_95 = 1.959963984540054  # the standard normal quantile for a 95% two-sided interval


@dataclass(frozen=True)
class OutcomeCounts:
    """How a set of decided items came out, with the overturn rate's 95% Wilson interval."""

    items: int
    upheld: int
    overturned: int

    @property
    def rate(self) -> float | None:
        return self.overturned / self.items if self.items else None

    @property
    def interval(self) -> tuple[float, float] | None:
        return wilson_interval(self.overturned, self.items)

    def to_dict(self) -> dict:
        low, high = self.interval or (None, None)
        return {
            "items": self.items,
            "upheld": self.upheld,
            "overturned": self.overturned,
            "rate": self.rate,
            "ci_low": low,
            "ci_high": high,
        }


def wilson_interval(successes: int, trials: int, z: float = Z_95) -> tuple[float, float] | None:
    """The Wilson score interval for a binomial proportion: unlike the normal approximation
    it stays within 0..1 and is sound for small counts and rates near 0."""
    if trials == 0:
        return None
    p = successes / trials
    spread = z * z / trials
    centre = (p + spread / 2) / (1 + spread)
    half = z * math.sqrt(p * (1 - p) / trials + spread / (4 * trials)) / (1 + spread)
    # Rounded: at 0 or all successes an end is exactly 0 or 1, not 1e-17 off.
    return round(max(0.0, centre - half), 12), round(min(1.0, centre + half), 12)
