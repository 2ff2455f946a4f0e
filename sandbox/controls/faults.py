"""Fault injection: added latency, an error rate, a fixed status, per operation or for all."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Engine, select
from starlette.types import ASGIApp, Receive, Scope, Send

from sandbox.engine.envelope import JSON, envelope_bytes, request_id_of
from sandbox.engine.errors import ErrorKind
from sandbox.engine.security import principal_of
from sandbox.engine.tables import faults
from sandbox.engine.versions import VersionedCache

DEFAULT_FAULT_STATUS = 503
FAULT_KEY = "sandbox_fault"  # in scope["extensions"], which every middleware layer shares


def operation_id_of(scope: Scope) -> str | None:
    routing = scope.get("extensions", {}).get("connexion_routing", {})
    return routing.get("operation_id")


def tenant_of(scope: Scope) -> int | None:
    """The tenant the security layer accepted for this call, if any."""
    token_info = scope.get("extensions", {}).get("connexion_context", {}).get("token_info")
    try:
        return principal_of(token_info).tenant_id
    except Exception:
        return None


class FaultMiddleware:
    """Applies the calling tenant's faults to API operations (never to the controls themselves)."""

    def __init__(
        self, app: ASGIApp, db: Engine, rng: random.Random | None = None, exempt_prefix: str = "/_sandbox"
    ) -> None:
        self.app = app
        self.db = db
        self.rng = rng or random.Random()
        self.exempt_prefix = exempt_prefix
        # A tenant's faults, read on every call: cached until any worker writes ``sandbox_faults``
        # (trigger-kept counter, see engine/versions.py), so a new fault applies to the next call.
        self._by_tenant: VersionedCache[int, tuple[Mapping[str, Any], ...]] = VersionedCache(
            db, faults.name, self._load
        )

    def _load(self, tenant_id: int) -> tuple[Mapping[str, Any], ...]:
        with self.db.connect() as conn:
            rows = conn.execute(select(faults).where(faults.c.tenant_id == tenant_id)).mappings().all()
        return tuple(dict(r) for r in rows)

    def _faults(self, tenant_id: int, operation_id: str | None) -> list[Mapping[str, Any]]:
        return [r for r in self._by_tenant.get(tenant_id) if r["operation_id"] in (None, operation_id)]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path", "").startswith(self.exempt_prefix):
            await self.app(scope, receive, send)
            return
        tenant_id = tenant_of(scope)
        active = self._faults(tenant_id, operation_id_of(scope)) if tenant_id is not None else []
        if not active:
            await self.app(scope, receive, send)
            return
        latency = sum(f["latency_ms"] for f in active)
        if latency:
            await asyncio.sleep(latency / 1000)
        for fault in active:
            if fault["error_rate"] > 0 and self.rng.random() < fault["error_rate"]:
                status = fault["status"] or DEFAULT_FAULT_STATUS
                scope.setdefault("extensions", {})[FAULT_KEY] = {
                    "id": fault["id"],
                    "status": status,
                    "latency_ms": latency,
                }
                await self._answer(scope, send, status, fault["id"])
                return
        if latency:
            scope.setdefault("extensions", {})[FAULT_KEY] = {"latency_ms": latency}
        await self.app(scope, receive, send)

    @staticmethod
    async def _answer(scope: Scope, send: Send, status: int, fault_id: int) -> None:
        kind = ErrorKind.for_status(status)
        body = envelope_bytes(kind, f"Injected by sandbox fault {fault_id}", request_id_of(scope))
        headers = [(b"content-type", JSON.encode()), (b"content-length", str(len(body)).encode())]
        if status in (429, 503):
            headers.append((b"retry-after", b"1"))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})
