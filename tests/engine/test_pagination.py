from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from sandbox.engine.pagination import MAX_LIMIT, PageRequest


def test_defaults_and_clamping() -> None:
    assert PageRequest.of(None, None) == PageRequest(1, 20)
    assert PageRequest.of(0, 1000) == PageRequest(1, MAX_LIMIT)


def test_block_for_empty_set() -> None:
    assert PageRequest(1, 20).block(0) == {
        "page": 1,
        "limit": 20,
        "total": 0,
        "total_pages": 0,
        "has_more": False,
    }


@given(total=st.integers(0, 10_000), limit=st.integers(1, 100))
def test_pages_cover_every_item_exactly_once(total: int, limit: int) -> None:
    pages = PageRequest(1, limit).block(total)["total_pages"]
    seen = 0
    for page in range(1, pages + 1):
        request = PageRequest(page, limit)
        block = request.block(total)
        size = max(0, min(limit, total - request.offset))
        assert size > 0
        seen += size
        assert block["has_more"] == (page < pages)
    assert seen == total
