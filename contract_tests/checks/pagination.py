"""A list page agrees with itself and with the request: page, limit, totals, ``has_more``, item count."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import schemathesis

from contract_tests.checks._support import exchange_of, json_body, sent_query
from contract_tests.checks.failures import PaginationMismatch

if TYPE_CHECKING:
    from schemathesis import Case, CheckContext, Response

DEFAULT_LIMIT = 20


def list_items(body: Any) -> tuple[str, list[Any]] | None:
    """``(key, items)`` of a list body ``{"<plural>": [...], "pagination": {...}}``."""
    if not isinstance(body, dict) or not isinstance(body.get("pagination"), dict):
        return None
    arrays = [(key, value) for key, value in body.items() if key != "pagination" and isinstance(value, list)]
    return arrays[0] if len(arrays) == 1 else None


def pagination_problems(
    pagination: dict[str, Any], count: int, page: int | None, limit: int | None
) -> list[str]:
    """What is inconsistent in one page (``page``/``limit``: what was asked, ``None`` for the default)."""
    problems = []
    try:
        p_page, p_limit, total = int(pagination["page"]), int(pagination["limit"]), int(pagination["total"])
        total_pages, has_more = int(pagination["total_pages"]), pagination["has_more"]
    except (KeyError, TypeError, ValueError) as exc:
        return [f"pagination block is incomplete: {exc}"]
    if page is not None and p_page != page:
        problems.append(f"page is {p_page}, {page} was requested")
    if p_limit != (limit if limit is not None else DEFAULT_LIMIT):
        problems.append(f"limit is {p_limit}, {limit if limit is not None else DEFAULT_LIMIT} was requested")
    if p_limit < 1:
        return [*problems, f"limit is {p_limit}"]
    expected_pages = math.ceil(total / p_limit)
    if total_pages != expected_pages and not (total == 0 and total_pages == 1):
        problems.append(f"total_pages is {total_pages}, ceil({total}/{p_limit}) = {expected_pages}")
    if has_more is not (p_page < expected_pages):
        problems.append(f"has_more is {has_more} on page {p_page} of {expected_pages}")
    expected_count = max(0, min(p_limit, total - (p_page - 1) * p_limit))
    if count != expected_count:
        problems.append(
            f"{count} items on page {p_page}, expected {expected_count} (total {total}, limit {p_limit})"
        )
    return problems


def _requested(query: dict[str, str], name: str) -> int | None:
    value = query.get(name)
    return int(value) if value is not None and value.isdigit() else None


@schemathesis.check
def pagination_consistency(ctx: CheckContext, response: Response, case: Case) -> bool | None:
    """Every 200 list page has a pagination block that adds up."""
    if response.status_code != 200 or case.method.upper() != "GET":
        return None
    found = list_items(json_body(response))
    if found is None:
        return None
    _, items = found
    query = sent_query(response)
    page, limit = _requested(query, "page"), _requested(query, "limit")
    problems = pagination_problems(json_body(response)["pagination"], len(items), page, limit)
    if problems:
        raise PaginationMismatch(
            operation=case.operation.label, message="; ".join(problems), exchange=exchange_of(response)
        )
    return True
