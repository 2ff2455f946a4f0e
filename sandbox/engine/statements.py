"""Hot reads compiled once and run straight on the SQLite driver.

Executing a prepared SQLAlchemy ``SELECT`` costs ~50 µs of Python per call (cache lookup,
execution context, result proxy, row mappings) around a query SQLite answers in ~8 µs. A
:class:`CompiledSelect` is compiled once for the engine's dialect; each call binds its values
with the bind processors SQLAlchemy would use, runs the SQL on the connection's own DBAPI
connection (same transaction, same snapshot) and types each row with the same result processors
(JSON, booleans…). Rows are plain dicts.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import Connection, Select
from sqlalchemy.engine import Dialect


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
        try:
            return self._by_dialect[conn.dialect]
        except KeyError:
            try:
                compiled: _Compiled | None = _Compiled(self.statement, conn.dialect)
            except ValueError:
                compiled = None
            return self._by_dialect.setdefault(conn.dialect, compiled)

    def all(self, conn: Connection, values: Mapping[str, Any]) -> list[dict[str, Any]]:
        """Every row, as dicts keyed like ``.mappings()`` would key them."""
        compiled = self._for(conn)
        if compiled is None:
            return [dict(row) for row in conn.execute(self.statement, values).mappings()]
        cursor = conn.connection.driver_connection.execute(compiled.sql, compiled.parameters(values))  # type: ignore[union-attr]
        return [compiled.row(raw) for raw in cursor.fetchall()]

    def first(self, conn: Connection, values: Mapping[str, Any]) -> dict[str, Any] | None:
        """The first row, or ``None``."""
        compiled = self._for(conn)
        if compiled is None:
            found = conn.execute(self.statement, values).mappings().first()
            return None if found is None else dict(found)
        cursor = conn.connection.driver_connection.execute(compiled.sql, compiled.parameters(values))  # type: ignore[union-attr]
        raw = cursor.fetchone()
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
        self._binds: list[tuple[str, Any, Callable[[Any], Any] | None]] = [
            (name, binds[name].effective_value, binds[name].type.dialect_impl(dialect).bind_processor(dialect))
            for name in compiled.positiontup
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
            out.append(process(value) if process is not None and value is not None else value)
        return tuple(out)

    def row(self, raw: tuple[Any, ...]) -> dict[str, Any]:
        row = dict(zip(self.keys, raw, strict=True))
        for key, process in self._processors:
            row[key] = process(row[key])
        return row
