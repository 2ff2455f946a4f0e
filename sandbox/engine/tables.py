"""The engine's own tables: per-tenant simulated clock, request log, injected faults."""

from __future__ import annotations

from sqlalchemy import JSON, Column, Float, Index, Integer, MetaData, String, Table

metadata = MetaData()

clock_offsets = Table(
    "sandbox_clock",
    metadata,
    Column("tenant_id", Integer, primary_key=True),
    Column("offset_seconds", Float, nullable=False, default=0.0),
)

request_log = Table(
    "sandbox_request_log",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("tenant_id", Integer),
    Column("request_id", String(64), nullable=False),
    Column("method", String(10), nullable=False),
    Column("path", String(2048), nullable=False),
    Column("query", String(2048)),
    Column("operation_id", String(80)),
    Column("status", Integer, nullable=False),
    Column("duration_ms", Float, nullable=False),
    Column("fault", JSON),
    Column("created_at", String(24), nullable=False),
    Index("ix_request_log_tenant", "tenant_id", "id"),
)

faults = Table(
    "sandbox_faults",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("tenant_id", Integer, nullable=False),
    Column("operation_id", String(80)),  # None: every operation
    Column("latency_ms", Integer, nullable=False, default=0),
    Column("error_rate", Float, nullable=False, default=0.0),
    Column("status", Integer),
    Column("created_at", String(24), nullable=False),
    Index("ix_faults_tenant", "tenant_id"),
)

# One change counter per watched table, bumped by SQLite triggers (see engine/versions.py): every
# worker process sees a commit of any other one, whichever code path wrote the rows.
change_versions = Table(
    "sandbox_versions",
    metadata,
    Column("name", String(80), primary_key=True),
    Column("version", Integer, nullable=False, default=0),
)
