"""Compiled reads return what SQLAlchemy returns: same rows, same typed values, same snapshot."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import JSON, Boolean, Column, Integer, MetaData, String, Table, bindparam, insert, select
from sqlalchemy.exc import IntegrityError

from sandbox.engine.database import open_database
from sandbox.engine.statements import CompiledInsert, CompiledSelect

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


defaults = Table(
    "defaulted",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String, nullable=False),
    Column("active", Boolean, nullable=False, default=True),
    Column("body", JSON, nullable=True),
    Column("stamp", String, nullable=True, default=lambda: "from a callable"),
    sqlite_autoincrement=True,
)


def _rows(conn, table: Table) -> list[dict]:  # type: ignore[no-untyped-def, type-arg]
    return [dict(row) for row in conn.execute(select(table).order_by(table.c.id)).mappings()]


@pytest.mark.parametrize(
    "values",
    [
        {"name": "plain", "active": False, "body": {"n": [1, 2]}, "stamp": "given"},
        {"name": "scalar default", "body": None, "stamp": "given"},  # active from its default, body JSON null
        {"name": "callable default", "active": False},  # stamp needs SQLAlchemy
    ],
)
def test_inserts_store_what_sqlalchemy_stores(tmp_path: Path, values: dict) -> None:  # type: ignore[type-arg]
    ours, theirs = (open_database(tmp_path / f"{name}.sqlite3", metadata) for name in ("ours", "theirs"))
    compiled = CompiledInsert(defaults)
    with ours.begin() as conn:
        new_ids = [compiled.execute(conn, values) for _ in range(2)]
    with theirs.begin() as conn:
        expected_ids = [conn.execute(insert(defaults), values).inserted_primary_key[0] for _ in range(2)]
    assert new_ids == expected_ids == [1, 2]
    with ours.connect() as a, theirs.connect() as b:
        assert _rows(a, defaults) == _rows(b, defaults)
        raw = a.exec_driver_sql("SELECT body, typeof(body) FROM defaulted").fetchall()
        assert raw == b.exec_driver_sql("SELECT body, typeof(body) FROM defaulted").fetchall()


def test_an_insert_belongs_to_the_open_transaction(db) -> None:  # type: ignore[no-untyped-def]
    compiled = CompiledInsert(things)
    with db.connect() as conn:
        with conn.begin() as transaction:
            compiled.execute(conn, {"id": 9, "name": "gone", "active": True, "body": {}})
            transaction.rollback()
        assert CompiledSelect(select(things).where(things.c.id == 9)).first(conn, {}) is None
    with db.begin() as conn:  # a key that is no column is ignored, as SQLAlchemy ignores it
        new_id = compiled.execute(conn, {"name": "x", "active": True, "body": {}, "colour": "red"})
        assert CompiledSelect(select(things.c.name).where(things.c.id == new_id)).scalar(conn, {}) == "x"


def test_a_constraint_violation_raises_sqlalchemys_integrity_error(db) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(IntegrityError, match="UNIQUE constraint failed"), db.begin() as conn:
        CompiledInsert(things).execute(conn, {"id": 1, "name": "again", "active": True, "body": {}})
