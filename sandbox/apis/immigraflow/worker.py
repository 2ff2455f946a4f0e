"""Background work of a running sandbox: webhook deliveries and the periodic case re-checks."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from types import TracebackType

import httpx
from sqlalchemy import select

from sandbox.apis.immigraflow import tables as t
from sandbox.apis.immigraflow.case_status import CaseStatus
from sandbox.apis.immigraflow.deliveries import Deliverer
from sandbox.apis.immigraflow.runtime import Runtime

logger = logging.getLogger(__name__)

RECHECK_EVERY = 1.0  # real seconds between two passes over the partners' due cases


class BackgroundWorker:
    """An async context manager running one loop until the app shuts down."""

    def __init__(self, rt: Runtime, tick: float) -> None:
        self.rt = rt
        self.tick = tick
        self._task: asyncio.Task[None] | None = None
        self._client: httpx.AsyncClient | None = None

    async def __aenter__(self) -> BackgroundWorker:
        self._client = httpx.AsyncClient(follow_redirects=False, trust_env=False)
        self._task = asyncio.create_task(self._loop(Deliverer(self.rt, self._client)), name="sandbox-worker")
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._client is not None:
            await self._client.aclose()

    async def _loop(self, deliverer: Deliverer) -> None:
        last_recheck = 0.0
        while True:
            try:
                await deliverer.run_once()
                if time.monotonic() - last_recheck >= RECHECK_EVERY:
                    last_recheck = time.monotonic()
                    await asyncio.to_thread(self.recheck_all)
            except asyncio.CancelledError:
                raise
            except Exception:  # keep the loop alive; the error is in the log
                logger.exception("background pass failed")
            await asyncio.sleep(self.tick)

    def recheck_all(self) -> int:
        with self.rt.db.connect() as conn:
            partner_ids = [row[0] for row in conn.execute(select(t.partners.c.id))]
        status = CaseStatus(self.rt)
        return sum(status.run_due_checks(partner_id) for partner_id in partner_ids)
