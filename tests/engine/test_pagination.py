from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Column, Engine, Integer, MetaData, String, Table, bindparam, insert, select

from sandbox.engine import pagination
from sandbox.engine.database import open_database
from sandbox.engine.pagination import CACHED_PAGES, MAX_LIMIT, PagedQuery, PageRequest
from sandbox.engine.tables import metadata as engine_metadata
from sandbox.engine.versions import one_snapshot_per_request


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


metadata = MetaData()
items = Table("items", metadata, Column("id", Integer, primary_key=True), Column("name", String))
BY_NAME = PagedQuery(select(items).where(items.c.name != bindparam("skip")), [items.c.id], cache_table="items")


@pytest.fixture()
def db(tmp_path: Path) -> Engine:
    engine = open_database(tmp_path / "p.sqlite3", engine_metadata, metadata)
    with engine.begin() as conn:
        conn.execute(insert(items), [{"id": i, "name": f"item {i}"} for i in range(1, 8)])
    return engine


def _page(db: Engine, page: int, limit: int = 3) -> tuple[list[str], int, list[str]]:
    """Names on a page, the total, and the statements the page cost."""
    with db.connect() as conn:
        statements: list[str] = []
        conn.connection.driver_connection.set_trace_callback(statements.append)  # type: ignore[union-attr]
        with one_snapshot_per_request():
            rows, total = BY_NAME.fetch(conn, PageRequest(page, limit), {"skip": "none"})
        conn.connection.driver_connection.set_trace_callback(None)  # type: ignore[union-attr]
    return [row["name"] for row in rows], total, statements


def test_a_page_asked_again_is_not_read_again_until_the_table_changes(db: Engine) -> None:
    first = _page(db, 2)
    assert first[:2] == (["item 4", "item 5", "item 6"], 7) and first[2]  # counted and read
    again = _page(db, 2)
    assert again == (first[0], 7, [])  # from the caches: no SQL on the connection
    assert _page(db, 1)[0] == ["item 1", "item 2", "item 3"] and _page(db, 1, limit=2)[0] == ["item 1", "item 2"]
    with sqlite3.connect(db.url.database) as other:  # type: ignore[arg-type]  # another worker process
        other.execute("UPDATE items SET name = 'renamed' WHERE id = 5")
    assert _page(db, 2)[:2] == (["item 4", "renamed", "item 6"], 7)
    with db.begin() as conn:
        conn.execute(insert(items), {"id": 8, "name": "item 8"})
    assert _page(db, 3)[:2] == (["item 7", "item 8"], 8)


def test_cached_pages_are_bounded_and_callers_get_their_own_list(db: Engine) -> None:
    with db.connect() as conn, one_snapshot_per_request():
        rows, _ = BY_NAME.fetch(conn, PageRequest(1, 3), {"skip": "none"})
        rows.clear()
        assert len(BY_NAME.fetch(conn, PageRequest(1, 3), {"skip": "none"})[0]) == 3
        for skip in range(CACHED_PAGES + 50):
            BY_NAME.fetch(conn, PageRequest(1, 3), {"skip": str(skip)})
    pages = pagination._caches(db, "items")[1]
    assert len(pages._entries) == CACHED_PAGES
