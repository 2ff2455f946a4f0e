"""The embedded database: one SQLite file (or memory) through SQLAlchemy 2 Core.

WAL journaling and a busy timeout make one file safe to share between several worker
processes; foreign keys are enforced.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, MetaData, create_engine, event
from sqlalchemy.pool import StaticPool
from sqlalchemy.schema import CreateIndex

MEMORY = ":memory:"


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
