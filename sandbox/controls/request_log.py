"""The request log: every API call with its tenant, operation, status and duration.

Entries are buffered in memory and written in batches by a background flush, so logging costs
the request path one list append.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sandbox.controls.faults import FAULT_KEY, operation_id_of
from sandbox.engine.clock import iso_ms
from sandbox.engine.envelope import request_id_of
from sandbox.engine.tables import request_log

TenantOf = Callable[[Scope], int | None]
MAX_BUFFER = 10_000


class RequestLog:
    """Buffer plus batch writer for ``sandbox_request_log``."""

    def __init__(self, db: Engine) -> None:
        self.db = db
        self._buffer: list[dict[str, Any]] = []

    def record(self, entry: dict[str, Any]) -> None:
        if len(self._buffer) < MAX_BUFFER:
            self._buffer.append(entry)

    def flush(self) -> int:
        batch, self._buffer = self._buffer, []
        for entry in batch:  # formatted here, off the request path
            entry["created_at"] = iso_ms(datetime.fromtimestamp(entry["created_at"], UTC))
        if batch:
            with self.db.begin() as conn:
                conn.execute(request_log.insert(), batch)
        return len(batch)

    @contextlib.asynccontextmanager
    async def flushing(self, every: float = 0.25) -> AsyncIterator[None]:
        """Flush in the background while the app runs, and once more at shutdown."""

        async def loop() -> None:
            while True:
                await asyncio.sleep(every)
                await asyncio.to_thread(self.flush)

        task = asyncio.create_task(loop(), name="sandbox-request-log")
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            self.flush()


class RequestLogMiddleware:
    """Records each API call (not the controls' own calls) once its response has started."""

    def __init__(self, app: ASGIApp, log: RequestLog, tenant_of: TenantOf, exempt_prefix: str = "/_sandbox") -> None:
        self.app = app
        self.log = log
        self.tenant_of = tenant_of
        self.exempt_prefix = exempt_prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or path.startswith(self.exempt_prefix):
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def watch(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, watch)
        finally:
            self.log.record(
                {
                    "tenant_id": self.tenant_of(scope),
                    "request_id": request_id_of(scope),
                    "method": scope.get("method", ""),
                    "path": path[:2048],
                    "query": scope.get("query_string", b"").decode("latin-1")[:2048] or None,
                    "operation_id": operation_id_of(scope),
                    "status": status,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 3),
                    "fault": scope.get("extensions", {}).get(FAULT_KEY),
                    "created_at": time.time(),  # a timestamp until flush() formats it
                }
            )
