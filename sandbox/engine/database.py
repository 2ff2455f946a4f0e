"""The embedded database: one SQLite file (or memory) through SQLAlchemy 2 Core.

WAL journaling and a busy timeout make one file safe to share between several worker
processes; foreign keys are enforced.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, MetaData, create_engine, event
from sqlalchemy.pool import StaticPool
from sqlalchemy.schema import CreateIndex

MEMORY = ":memory:"
#: A commit checkpoints the WAL itself only past this many pages (~40 MB): a bound, not the routine.
SAFETY_CHECKPOINT_PAGES = 10_000

logger = logging.getLogger(__name__)


def open_database(db: str | Path, *metadatas: MetaData) -> Engine:
    """Open (creating if needed) the database at ``db`` and create the tables of each metadata."""
    if str(db) == MEMORY:
        engine = create_engine("sqlite://", connect_args={"check_same_thread": False}, poolclass=StaticPool)
    else:
        path = Path(db).expanduser().resolve()
        path.parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            f"sqlite:///{path}", connect_args={"check_same_thread": False, "timeout": 15}, pool_size=8
        )

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        if str(db) != MEMORY:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            # In WAL mode the only fsyncs are a checkpoint's; SQLite runs one inside whichever
            # commit crosses 1,000 pages, stalling that request (and the event loop it runs on)
            # for tens of milliseconds. checkpointing() runs them in the background instead.
            cursor.execute(f"PRAGMA wal_autocheckpoint={SAFETY_CHECKPOINT_PAGES}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=15000")
        cursor.close()

    for metadata in metadatas:
        metadata.create_all(engine)
        # create_all skips the indexes of tables that already exist: add the ones a newer version
        # of the sandbox defines to a database file created by an older one.
        with engine.begin() as conn:
            for table in metadata.sorted_tables:
                for index in table.indexes:
                    conn.execute(CreateIndex(index, if_not_exists=True))
    return engine


def checkpoint(db: Engine) -> tuple[int, int, int] | None:
    """One passive WAL checkpoint (never waits for readers or writers); ``None`` for memory."""
    path = db.url.database
    if not path or path == MEMORY:
        return None
    with contextlib.closing(sqlite3.connect(path, timeout=15, isolation_level=None)) as conn:
        busy, wal_pages, done = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    return busy, wal_pages, done


@contextlib.asynccontextmanager
async def checkpointing(db: Engine, every: float = 0.5) -> AsyncIterator[None]:
    """Checkpoint the WAL from a thread of its own every ``every`` seconds while the app runs.

    A dedicated thread, stopped and joined on exit (not the loop's executor),
    so no checkpoint is still running when the app, and possibly the interpreter, shuts down.
    """
    path = db.url.database
    if not path or path == MEMORY:
        yield
        return
    stop = threading.Event()

    def run() -> None:
        while not stop.wait(every):
            try:
                checkpoint(db)
            except sqlite3.Error as exc:  # e.g. busy under a reset: try again next time
                logger.warning("WAL checkpoint failed: %s", exc)

    thread = threading.Thread(target=run, name="sandbox-wal-checkpoint", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        await asyncio.to_thread(thread.join)
