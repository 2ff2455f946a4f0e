"""The embedded database: WAL checkpoints happen in the background, not inside request commits."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import Column, Engine, Integer, MetaData, String, Table, insert, text

from sandbox.engine import database
from sandbox.engine.database import SAFETY_CHECKPOINT_PAGES, checkpoint, checkpointing, open_database

metadata = MetaData()
notes = Table("notes", metadata, Column("id", Integer, primary_key=True), Column("text", String))


def test_commits_leave_checkpoints_to_the_background(tmp_path: Path) -> None:
    db = open_database(tmp_path / "n.sqlite3", metadata)
    with db.connect() as conn:
        assert conn.execute(text("PRAGMA wal_autocheckpoint")).scalar_one() == SAFETY_CHECKPOINT_PAGES
    for i in range(500):  # ~1,500 pages: well past SQLite's default of 1,000 pages between automatic checkpoints
        with db.begin() as conn:
            conn.execute(insert(notes), {"text": "x" * 4000 + str(i)})
    result = checkpoint(db)
    assert result is not None
    busy, wal_pages, done = result
    assert busy == 0 and wal_pages > 1000 and done == wal_pages, result


def test_checkpointing_runs_while_the_app_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = open_database(tmp_path / "n.sqlite3", metadata)
    results: list[tuple[int, int, int] | None] = []

    def recorded(engine: Engine) -> tuple[int, int, int] | None:
        results.append(checkpoint(engine))
        return results[-1]

    monkeypatch.setattr(database, "checkpoint", recorded)

    async def scenario() -> None:
        async with checkpointing(db, every=0.05):
            with db.begin() as conn:
                conn.execute(insert(notes), [{"text": "y" * 4000} for _ in range(50)])
            await asyncio.sleep(0.4)

    asyncio.run(scenario())
    copied = [r for r in results if r is not None and r[1] > 0]
    assert copied, results
    assert all(done == pages for _, pages, done in copied), copied
