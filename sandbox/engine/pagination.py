"""Page-number pagination: ``page`` (1-based) and ``limit``, answered with a pagination block."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Select, func, select

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


def fetch_page(
    conn: Connection, query: Select[Any], page: PageRequest, order: Sequence[Any]
) -> tuple[list[Mapping[str, Any]], int]:
    """One page of ``query`` in ``order``, and the total number of rows it matches."""
    total = conn.execute(select(func.count()).select_from(query.order_by(None).subquery())).scalar_one()
    rows = conn.execute(query.order_by(*order).limit(page.limit).offset(page.offset)).mappings().all()
    return list(rows), total
