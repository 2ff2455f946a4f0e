"""Page-number pagination: ``page`` (1-based) and ``limit``, answered with a pagination block."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

DEFAULT_LIMIT = 20
MAX_LIMIT = 100


@dataclass(frozen=True, slots=True)
class PageRequest:
    """Which page a client asked for; out-of-range values are clamped to what the spec allows."""

    page: int = 1
    limit: int = DEFAULT_LIMIT

    @classmethod
    def of(cls, page: int | None, limit: int | None) -> PageRequest:
        return cls(max(1, page or 1), min(MAX_LIMIT, max(1, limit or DEFAULT_LIMIT)))

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.limit

    def block(self, total: int) -> dict[str, Any]:
        """The ``pagination`` object for a result set of ``total`` items."""
        total_pages = math.ceil(total / self.limit) if total else 0
        return {
            "page": self.page,
            "limit": self.limit,
            "total": total,
            "total_pages": total_pages,
            "has_more": self.page < total_pages,
        }
