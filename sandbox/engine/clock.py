"""A simulated clock per tenant: real UTC time plus an offset that sandbox controls advance."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, select
from sqlalchemy.dialects.sqlite import insert

from sandbox.engine.tables import clock_offsets
from sandbox.engine.versions import VersionedCache


def iso_ms(moment: datetime) -> str:
    """``2026-03-04T14:15:22.123Z``: ISO 8601 in UTC with milliseconds, as the API writes dates."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def parse_iso(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


class Clock:
    """Simulated time, stored in the database so every worker process agrees on it."""

    def __init__(self, db: Engine) -> None:
        self.db = db
        # Read on most requests, moved only by the controls: cached until any worker writes the
        # table (trigger-kept counter, see engine/versions.py), so an advance is seen at once.
        self._offsets: VersionedCache[int, timedelta] = VersionedCache(db, clock_offsets.name, self._load)

    @staticmethod
    def real_now() -> datetime:
        return datetime.now(UTC)

    def _load(self, tenant_id: int) -> timedelta:
        with self.db.connect() as conn:
            seconds = conn.execute(
                select(clock_offsets.c.offset_seconds).where(clock_offsets.c.tenant_id == tenant_id)
            ).scalar()
        return timedelta(seconds=seconds or 0.0)

    def offset(self, tenant_id: int) -> timedelta:
        return self._offsets.get(tenant_id)

    def now(self, tenant_id: int) -> datetime:
        return self.real_now() + self.offset(tenant_id)

    def advance(self, tenant_id: int, by: timedelta) -> datetime:
        """Move the tenant's clock forward by ``by`` and return its new simulated now."""
        if by < timedelta(0):
            raise ValueError("the simulated clock only moves forward")
        with self.db.begin() as conn:
            stmt = insert(clock_offsets).values(tenant_id=tenant_id, offset_seconds=by.total_seconds())
            conn.execute(
                stmt.on_conflict_do_update(
                    index_elements=["tenant_id"],
                    set_={"offset_seconds": clock_offsets.c.offset_seconds + by.total_seconds()},
                )
            )
        return self.now(tenant_id)

    def reset(self, tenant_id: int) -> None:
        with self.db.begin() as conn:
            conn.execute(clock_offsets.delete().where(clock_offsets.c.tenant_id == tenant_id))
