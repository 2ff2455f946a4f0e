"""Versioned caches: a committed write is seen by the next lookup, and a request reads the
change counters once however many caches it consults."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import Column, Engine, Integer, MetaData, String, Table, insert, update

from sandbox.engine.database import open_database
from sandbox.engine.tables import metadata as engine_metadata
from sandbox.engine.versions import VersionedCache, change_versions, one_snapshot_per_request

metadata = MetaData()
colours = Table("colours", metadata, Column("id", Integer, primary_key=True), Column("name", String))
sizes = Table("sizes", metadata, Column("id", Integer, primary_key=True), Column("name", String))


@pytest.fixture()
def db(tmp_path: Path) -> Engine:
    engine = open_database(tmp_path / "v.sqlite3", engine_metadata, metadata)
    with engine.begin() as conn:
        conn.execute(insert(colours), [{"id": 1, "name": "red"}])
        conn.execute(insert(sizes), [{"id": 1, "name": "small"}])
    return engine


def _caches(db: Engine) -> tuple[VersionedCache[int, str], VersionedCache[int, str]]:
    def loader(table: Table) -> object:
        def load(key: int) -> str:
            with db.connect() as conn:
                return conn.execute(table.select().where(table.c.id == key)).one().name

        return load

    return VersionedCache(db, "colours", loader(colours)), VersionedCache(db, "sizes", loader(sizes))  # type: ignore[arg-type]


def _counter_reads(db: Engine) -> list[str]:
    """The statements the engine's change-counter connection runs from now on."""
    statements: list[str] = []
    change_versions(db)._connection().set_trace_callback(statements.append)
    return statements


def _write_from_another_process(db: Engine, name: str) -> None:
    with sqlite3.connect(db.url.database, isolation_level=None) as other:  # type: ignore[arg-type]
        other.execute("UPDATE colours SET name = ? WHERE id = 1", (name,))


def test_outside_a_request_every_lookup_sees_the_latest_commit(db: Engine) -> None:
    colour, _ = _caches(db)
    assert colour.get(1) == "red"
    _write_from_another_process(db, "blue")
    assert colour.get(1) == "blue"


def test_a_request_reads_the_counters_once_for_all_its_lookups(db: Engine) -> None:
    colour, size = _caches(db)
    reads = _counter_reads(db)
    with one_snapshot_per_request():
        for _ in range(3):
            assert (colour.get(1), size.get(1)) == ("red", "small")
    assert len([s for s in reads if "sandbox_versions" in s]) == 1, reads


def test_a_request_sees_its_own_commits_and_the_next_request_sees_everyones(db: Engine) -> None:
    colour, _ = _caches(db)
    with one_snapshot_per_request():
        assert colour.get(1) == "red"
        _write_from_another_process(db, "green")
        assert colour.get(1) == "red"  # one consistent view within the request
        with db.begin() as conn:
            conn.execute(update(colours).where(colours.c.id == 1).values(name="blue"))
        assert colour.get(1) == "blue"  # its own commit
    _write_from_another_process(db, "green")
    with one_snapshot_per_request():
        assert colour.get(1) == "green"
