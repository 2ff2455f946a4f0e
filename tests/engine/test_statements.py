"""Compiled reads return what SQLAlchemy returns: same rows, same typed values, same snapshot."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import JSON, Boolean, Column, Integer, MetaData, String, Table, bindparam, insert, select

from sandbox.engine.database import open_database
from sandbox.engine.statements import CompiledSelect

metadata = MetaData()
things = Table(
    "things",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String, nullable=True),
    Column("active", Boolean, nullable=False),
    Column("body", JSON, nullable=False),
)

BY_ACTIVE = select(things).where(things.c.active == bindparam("active")).order_by(things.c.id)


@pytest.fixture
def db(tmp_path: Path):  # type: ignore[no-untyped-def]
    engine = open_database(tmp_path / "s.sqlite3", metadata)
    with engine.begin() as conn:
        conn.execute(
            insert(things),
            [
                {"id": 1, "name": "a", "active": True, "body": {"en": "x", "n": [1, 2]}},
                {"id": 2, "name": None, "active": False, "body": []},
                {"id": 3, "name": "c", "active": True, "body": {"nested": {"ok": True}}},
            ],
        )
    return engine


def test_rows_equal_sqlalchemy_mappings(db) -> None:  # type: ignore[no-untyped-def]
    compiled = CompiledSelect(BY_ACTIVE)
    with db.connect() as conn:
        for active in (True, False):
            expected = [dict(row) for row in conn.execute(BY_ACTIVE, {"active": active}).mappings()]
            assert compiled.all(conn, {"active": active}) == expected
        first = compiled.first(conn, {"active": True})
        assert first == {"id": 1, "name": "a", "active": True, "body": {"en": "x", "n": [1, 2]}}
        assert isinstance(first["active"], bool)
        assert (
            CompiledSelect(select(things.c.name).where(things.c.id == bindparam("id"))).scalar(conn, {"id": 3}) == "c"
        )
        assert compiled.first(conn, {"active": None}) is None


def test_reads_see_the_open_transaction(db) -> None:  # type: ignore[no-untyped-def]
    compiled = CompiledSelect(select(things).where(things.c.id == bindparam("id")))
    with db.begin() as conn:
        conn.execute(insert(things), {"id": 4, "name": "d", "active": True, "body": {}})
        assert compiled.first(conn, {"id": 4}) == {"id": 4, "name": "d", "active": True, "body": {}}
        conn.rollback()
    with db.connect() as conn:
        assert compiled.first(conn, {"id": 4}) is None


def test_expanding_in_lists_run_through_sqlalchemy(db) -> None:  # type: ignore[no-untyped-def]
    compiled = CompiledSelect(select(things.c.id).where(things.c.id.in_(bindparam("ids", expanding=True))))
    with db.connect() as conn:
        assert compiled.all(conn, {"ids": [1, 3]}) == [{"id": 1}, {"id": 3}]
