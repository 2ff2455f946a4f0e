"""Caches of small, rarely written tables, kept correct across worker processes.

Credentials, faults and clock offsets are read on every request but written a few times per
test run. Reading them from the database each time costs a SQLAlchemy round trip per lookup;
caching them with a time-to-live would make a fault or a clock move take effect "soon", which
tests and integrators would see as flakiness. Instead every watched table gets SQLite triggers
that bump a row of ``sandbox_versions`` in the same transaction as the write, whichever code path
(or process) made it. A cache reads that one row (a raw ``sqlite3`` query of a few microseconds,
no SQLAlchemy) before each lookup and reloads when it changed, so a committed write is seen by
the very next request of every worker — the trade-off is one indexed primary-key read per lookup
instead of zero, which is what keeps multi-worker sandboxes correct without a TTL.

Within one request the counters are read once: :func:`one_snapshot_per_request` (entered by the
request-context middleware) makes every cache of the request share a single read of all counters,
taken at its first lookup and retaken after any commit of this process, so the request still sees
its own writes and the next request sees everyone's.

The new value is random, not ``version + 1``: with ``:memory:`` databases all threads share one
connection and may read a bump that is later rolled back; a random value makes a later, different
commit never look like the state a cache already holds.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
import weakref
from collections.abc import Callable, Hashable, Iterator
from contextvars import ContextVar
from typing import Any, Generic, TypeVar

from sqlalchemy import Engine, event, text

from sandbox.engine.tables import change_versions as versions_table

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

_OPERATIONS = ("INSERT", "UPDATE", "DELETE")

# The counters read during the current request: ``ChangeVersions → (commits seen, counters)``.
_SNAPSHOT: ContextVar[dict[ChangeVersions, tuple[int, dict[str, int]]] | None] = ContextVar(
    "sandbox_versions_snapshot", default=None
)


@contextlib.contextmanager
def one_snapshot_per_request() -> Iterator[None]:
    """Within this block (one request), caches share one read of the change counters.

    Threads the request hands work to (``run_in_threadpool`` copies the context) share it too.
    """
    token = _SNAPSHOT.set({})
    try:
        yield
    finally:
        _SNAPSHOT.reset(token)


class ChangeVersions:
    """Reads the change counter of watched tables through a raw connection per thread."""

    def __init__(self, db: Engine) -> None:
        self.db = db
        self._local = threading.local()
        self._watched: set[str] = set()
        database = db.url.database
        self._memory = database in (None, "", ":memory:")
        self._path = None if self._memory else database
        self._shared: Any = None
        self._commits = 0  # commits of this process on ``db``: a snapshot taken before one is stale
        event.listen(db, "commit", self._committed)

    def _committed(self, _conn: Any) -> None:
        self._commits += 1

    def watch(self, table: str) -> None:
        """Install the triggers bumping ``table``'s counter (idempotent, safe with several workers)."""
        if table in self._watched:
            return
        if not table.replace("_", "").isalnum():
            raise ValueError(f"not a plain table name: {table!r}")
        versions_table.create(self.db, checkfirst=True)
        with self.db.begin() as conn:
            conn.execute(
                text("INSERT OR IGNORE INTO sandbox_versions (name, version) VALUES (:name, 0)"),
                {"name": table},
            )
            for operation in _OPERATIONS:
                conn.execute(
                    text(
                        f"CREATE TRIGGER IF NOT EXISTS sandbox_version_{table}_{operation.lower()} "
                        f"AFTER {operation} ON {table} BEGIN "
                        f"UPDATE sandbox_versions SET version = random() WHERE name = '{table}'; END"
                    )
                )
        self._watched.add(table)

    def _connection(self) -> Any:
        if self._memory:
            if self._shared is None:
                # StaticPool: every checkout is the same DBAPI connection, shared by all threads. The
                # checkout is kept for good: returning it would roll back whatever another thread runs.
                self._shared = self.db.raw_connection()
            return self._shared.dbapi_connection
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self._path, timeout=15, isolation_level=None, check_same_thread=False)
            self._local.conn = conn
        return conn

    def current(self, table: str) -> int:
        """The counter of a watched table as committed now (autocommit read: never a stale snapshot),
        or as read earlier in this request if this process committed nothing since."""
        snapshots = _SNAPSHOT.get()
        if snapshots is None:
            row = self._connection().execute("SELECT version FROM sandbox_versions WHERE name = ?", (table,))
            found = row.fetchone()
            return found[0] if found else 0
        taken = snapshots.get(self)
        if taken is None or taken[0] != self._commits:
            commits = self._commits
            counters = dict(self._connection().execute("SELECT name, version FROM sandbox_versions").fetchall())
            taken = snapshots[self] = (commits, counters)
        return taken[1].get(table, 0)


def _no_loader(key: Any) -> Any:
    raise TypeError(f"no loader for {key!r}: pass one to get()")


_BY_ENGINE: weakref.WeakKeyDictionary[Engine, ChangeVersions] = weakref.WeakKeyDictionary()
_BY_ENGINE_LOCK = threading.Lock()


def change_versions(db: Engine) -> ChangeVersions:
    """The one :class:`ChangeVersions` of an engine (shared by every cache of that database)."""
    with _BY_ENGINE_LOCK:
        versions = _BY_ENGINE.get(db)
        if versions is None:
            versions = _BY_ENGINE[db] = ChangeVersions(db)
        return versions


class VersionedCache(Generic[K, V]):
    """``key → loader(key)``, dropped whenever the watched table's counter moves.

    Each entry carries the counter read *before* it was loaded, so a write racing with a load can
    only cause one extra reload, never a stale hit. ``cache_none=False`` does not remember misses
    (e.g. unknown API keys), which keeps the cache bounded by real rows.
    """

    def __init__(
        self,
        db: Engine,
        table: str,
        loader: Callable[[K], V] | None = None,
        *,
        max_entries: int = 4096,
        cache_none: bool = True,
    ) -> None:
        self.versions = change_versions(db)
        self.versions.watch(table)
        self.table = table
        self.loader: Callable[[K], V] = loader or _no_loader
        self.max_entries = max_entries
        self.cache_none = cache_none
        self._version: int | None = None
        self._entries: dict[K, tuple[int, V]] = {}

    def get(self, key: K, load: Callable[[K], V] | None = None) -> V:
        """The cached value of ``key``, loaded (by ``load`` if given) when the table changed."""
        version = self.versions.current(self.table)
        if version != self._version:
            self._entries = {}
            self._version = version
        entry = self._entries.get(key)
        if entry is not None and entry[0] == version:
            return entry[1]
        value = (load or self.loader)(key)
        if (value is not None or self.cache_none) and len(self._entries) < self.max_entries:
            self._entries[key] = (version, value)
        return value
