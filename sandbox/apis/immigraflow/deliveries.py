"""Webhook delivery: signed POSTs, retried with exponential backoff, every attempt logged."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping
from typing import Any

import httpx
from sqlalchemy import select

from sandbox import signatures
from sandbox.apis.immigraflow import tables as t
from sandbox.apis.immigraflow.runtime import Runtime
from sandbox.engine.clock import iso_ms

logger = logging.getLogger(__name__)

USER_AGENT = "ImmigraFlow-Sandbox-Webhooks/1.0"
_BATCH = 50


class Deliverer:
    """Sends due deliveries. Several worker processes may run one each: rows are claimed first."""

    def __init__(self, rt: Runtime, client: httpx.AsyncClient) -> None:
        self.rt = rt
        self.client = client

    def _claim_due(self) -> list[Mapping[str, Any]]:
        now = time.time()
        with self.rt.db.begin() as conn:
            rows = (
                conn.execute(
                    select(t.webhook_deliveries, t.webhooks.c.secret)
                    .join(t.webhooks, t.webhooks.c.id == t.webhook_deliveries.c.webhook_id)
                    .where(
                        t.webhook_deliveries.c.status == "pending",
                        t.webhook_deliveries.c.next_attempt_at <= now,
                    )
                    .order_by(t.webhook_deliveries.c.next_attempt_at)
                    .limit(_BATCH)
                )
                .mappings()
                .all()
            )
            claimed = []
            for row in rows:
                won = conn.execute(
                    t.webhook_deliveries.update()
                    .where(t.webhook_deliveries.c.id == row["id"], t.webhook_deliveries.c.status == "pending")
                    .values(status="sending")
                ).rowcount
                if won:
                    claimed.append(row)
            return claimed

    async def run_once(self) -> int:
        """Attempt every due delivery once, concurrently; returns how many were attempted."""
        due = await asyncio.to_thread(self._claim_due)
        if due:
            await asyncio.gather(*(self._attempt(row) for row in due))
        return len(due)

    async def _attempt(self, row: Mapping[str, Any]) -> None:
        body = row["payload"].encode()
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "ImmigraFlow-Event": row["event_type"],
            "ImmigraFlow-Delivery": row["delivery_id"],
            signatures.HEADER: signatures.sign(row["secret"], body),
        }
        started = time.perf_counter()
        status_code: int | None = None
        error: str | None = None
        try:
            response = await self.client.post(
                row["url"], content=body, headers=headers, timeout=self.rt.settings.webhook_timeout
            )
            status_code = response.status_code
            if not 200 <= status_code < 300:
                error = f"receiver answered {status_code}"
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        duration_ms = round((time.perf_counter() - started) * 1000, 2)
        await asyncio.to_thread(self._record, row, headers, status_code, error, duration_ms)

    def _record(
        self,
        row: Mapping[str, Any],
        headers: Mapping[str, str],
        status_code: int | None,
        error: str | None,
        duration_ms: float,
    ) -> None:
        settings = self.rt.settings
        attempts = row["attempts"] + 1
        at = iso_ms(self.rt.clock.real_now())
        entry = {
            "attempt": attempts,
            "at": at,
            "request": {"method": "POST", "url": row["url"], "headers": dict(headers)},
            "response_status": status_code,
            "duration_ms": duration_ms,
            "error": error,
        }
        if error is None:
            values: dict[str, Any] = {"status": "delivered", "next_attempt_at": None}
        elif attempts >= settings.webhook_max_attempts:
            values = {"status": "failed", "next_attempt_at": None}
        else:
            delay = settings.webhook_first_retry * settings.webhook_backoff ** (attempts - 1)
            values = {"status": "pending", "next_attempt_at": time.time() + delay}
        with self.rt.db.begin() as conn:
            current = conn.execute(
                select(t.webhook_deliveries.c.log).where(t.webhook_deliveries.c.id == row["id"])
            ).scalar_one()
            conn.execute(
                t.webhook_deliveries.update()
                .where(t.webhook_deliveries.c.id == row["id"])
                .values(
                    attempts=attempts,
                    last_status_code=status_code,
                    last_error=error,
                    log=[*current, entry],
                    updated_at=at,
                    **values,
                )
            )
        if error:
            logger.info("webhook delivery %s attempt %d failed: %s", row["delivery_id"], attempts, error)
