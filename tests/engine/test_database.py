"""The embedded database: WAL checkpoints happen in the background, not inside request commits."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import Column, Integer, MetaData, String, Table, insert, text

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


def test_checkpointing_runs_while_the_app_runs(tmp_path: Path) -> None:
    """Committed pages reach the database file without any commit checkpointing them."""
    path = tmp_path / "n.sqlite3"
    db = open_database(path, metadata)

    async def scenario() -> tuple[int, int]:
        async with checkpointing(db, every=0.05):
            with db.begin() as conn:
                conn.execute(insert(notes), [{"text": "y" * 4000} for _ in range(50)])
            written = path.stat().st_size  # the 50 rows are in the WAL only
            await asyncio.sleep(0.4)
            return written, path.stat().st_size

    written, checkpointed = asyncio.run(scenario())
    assert checkpointed >= written + 50 * 4000, (written, checkpointed)
