"""Hot statements compiled once and run straight on the SQLite driver.

Executing a prepared SQLAlchemy ``SELECT`` costs ~50 µs of Python per call (cache lookup,
execution context, result proxy, row mappings) around a query SQLite answers in ~8 µs; an
``INSERT`` ~25 µs around ~5 µs. A :class:`CompiledSelect` is compiled once for the engine's
dialect; each call binds its values with the bind processors SQLAlchemy would use, runs the SQL on
the connection's own DBAPI connection (same transaction, same snapshot) and types each row with
the same result processors (JSON, booleans…). Rows are plain dicts. A :class:`CompiledInsert`
does the same for single-row inserts, scalar column defaults included.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from sqlalchemy import Connection, Select, Table
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError

K = TypeVar("K")
C = TypeVar("C")


def _run(conn: Connection, sql: str, parameters: tuple[Any, ...]) -> Any:
    """``sql`` on the connection's DBAPI connection; driver errors raised as SQLAlchemy raises them
    (``sqlalchemy.exc.IntegrityError`` and kin), so callers catch one family either way."""
    driver = conn.connection.driver_connection
    try:
        return driver.execute(sql, parameters)  # type: ignore[union-attr]
    except conn.dialect.loaded_dbapi.Error as exc:
        raise DBAPIError.instance(sql, parameters, exc, conn.dialect.loaded_dbapi.Error) from exc


def _compiled_once(cache: dict[K, C | None], key: K, compile_: Callable[[], C]) -> C | None:
    """``cache[key]``, compiled on first use; ``None`` (remembered) when SQLAlchemy must run it."""
    try:
        return cache[key]
    except KeyError:
        try:
            compiled: C | None = compile_()
        except ValueError:
            compiled = None
        return cache.setdefault(key, compiled)


def _bind_processors(compiled: Any, dialect: Dialect) -> list[tuple[str, Callable[[Any], Any] | None]]:
    """Each positional parameter of a compiled statement, with the bind processor SQLAlchemy applies."""
    binds = compiled.binds
    return [(name, binds[name].type.dialect_impl(dialect).bind_processor(dialect)) for name in compiled.positiontup]


class CompiledSelect:
    """One ``SELECT`` with named ``bindparam`` values, compiled for each dialect it runs on.

    Statements the driver cannot take as they are (``IN`` lists that SQLAlchemy expands, dialects
    with named parameters) run through SQLAlchemy instead, with the same results.
    """

    def __init__(self, statement: Select[Any]) -> None:
        self.statement = statement
        self._by_dialect: dict[Dialect, _Compiled | None] = {}

    def _for(self, conn: Connection) -> _Compiled | None:
        """The compiled form for this connection's dialect; ``None``: SQLAlchemy must run it."""
        return _compiled_once(self._by_dialect, conn.dialect, lambda: _Compiled(self.statement, conn.dialect))

    def all(self, conn: Connection, values: Mapping[str, Any]) -> list[dict[str, Any]]:
        """Every row, as dicts keyed like ``.mappings()`` would key them."""
        compiled = self._for(conn)
        if compiled is None:
            return [dict(row) for row in conn.execute(self.statement, values).mappings()]
        cursor = _run(conn, compiled.sql, compiled.parameters(values))
        return [compiled.row(raw) for raw in cursor.fetchall()]

    def first(self, conn: Connection, values: Mapping[str, Any]) -> dict[str, Any] | None:
        """The first row, or ``None``."""
        compiled = self._for(conn)
        if compiled is None:
            found = conn.execute(self.statement, values).mappings().first()
            return None if found is None else dict(found)
        raw = _run(conn, compiled.sql, compiled.parameters(values)).fetchone()
        return None if raw is None else compiled.row(raw)

    def scalar(self, conn: Connection, values: Mapping[str, Any]) -> Any:
        """The first column of the first row (``None`` without rows)."""
        row = self.first(conn, values)
        return None if row is None else next(iter(row.values()))


class _Compiled:
    """The SQL, bind order and processors of one statement for one dialect."""

    def __init__(self, statement: Select[Any], dialect: Dialect) -> None:
        compiled = statement.compile(dialect=dialect)
        binds = compiled.binds
        if any(bind.expanding for bind in binds.values()):
            raise ValueError("IN (...) parameters need SQLAlchemy's expansion: execute the statement instead")
        if compiled.positiontup is None:
            raise ValueError(f"dialect {dialect.name} does not use positional parameters")
        self.sql = compiled.string
        self._binds = [
            (name, binds[name].effective_value, process) for name, process in _bind_processors(compiled, dialect)
        ]
        self.keys = list(statement.selected_columns.keys())
        processors = [
            column.type.dialect_impl(dialect).result_processor(dialect, None) for column in statement.selected_columns
        ]
        self._processors = [(key, p) for key, p in zip(self.keys, processors, strict=True) if p is not None]

    def parameters(self, values: Mapping[str, Any]) -> tuple[Any, ...]:
        out = []
        for name, default, process in self._binds:
            value = values.get(name, default)
            out.append(value if process is None else process(value))  # None too, as SQLAlchemy does
        return tuple(out)

    def row(self, raw: tuple[Any, ...]) -> dict[str, Any]:
        row = dict(zip(self.keys, raw, strict=True))
        for key, process in self._processors:
            row[key] = process(row[key])
        return row


class CompiledInsert:
    """Single-row ``INSERT``s into one table, compiled once per dialect and set of given columns.

    Scalar column defaults are filled in as SQLAlchemy would. Anything else SQLAlchemy must work
    out per row (callable or server-side defaults of omitted columns, dialects without
    ``lastrowid``) runs through SQLAlchemy, with the same result.
    """

    def __init__(self, table: Table) -> None:
        self.statement = table.insert()
        self._defaults = {
            column.key: column.default.arg  # type: ignore[attr-defined]
            for column in table.columns
            if column.default is not None and column.default.is_scalar
        }
        self._compiled: dict[tuple[Dialect, frozenset[str]], _CompiledInsert | None] = {}

    def execute(self, conn: Connection, values: Mapping[str, Any]) -> Any:
        """Insert one row; returns its primary key (the new ``rowid`` for an integer key)."""
        row = {**self._defaults, **values}
        compiled = _compiled_once(
            self._compiled, (conn.dialect, frozenset(row)), lambda: _CompiledInsert(self.statement, conn.dialect, row)
        )
        if compiled is None:
            return conn.execute(self.statement, row).inserted_primary_key[0]
        return _run(conn, compiled.sql, compiled.parameters(row)).lastrowid


class _CompiledInsert:
    """The SQL and bind processors of one table's ``INSERT`` for one set of columns."""

    def __init__(self, statement: Any, dialect: Dialect, row: Mapping[str, Any]) -> None:
        if dialect.name != "sqlite":
            raise ValueError(f"the new primary key on {dialect.name} needs SQLAlchemy")
        compiled = statement.compile(dialect=dialect, column_keys=list(row))
        if compiled.positiontup is None or set(compiled.positiontup) != set(row):
            raise ValueError("defaults SQLAlchemy computes per row: execute the statement instead")
        primary = list(statement.table.primary_key.columns)
        if len(primary) != 1 or primary[0].type.python_type is not int:
            raise ValueError("only an integer primary key (SQLite's rowid) comes back as lastrowid")
        self.sql = compiled.string
        self._binds = _bind_processors(compiled, dialect)

    def parameters(self, row: Mapping[str, Any]) -> tuple[Any, ...]:
        # SQLAlchemy hands None to the processors too (a JSON column stores it as 'null').
        return tuple(row[name] if process is None else process(row[name]) for name, process in self._binds)
