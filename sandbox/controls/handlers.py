"""Generic control handlers: the simulated clock, faults and the request log."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import Engine, select

from sandbox.controls.request_log import RequestLog
from sandbox.engine.clock import Clock, iso_ms
from sandbox.engine.errors import ApiError, ErrorDetail, ErrorKind, not_found
from sandbox.engine.pagination import PageRequest, fetch_page
from sandbox.engine.security import principal_of
from sandbox.engine.tables import faults, request_log

Response = tuple[Any, int] | tuple[Any, int, dict[str, str]]
#: Runs the re-checks that fell due on a tenant's clock; returns the number of status changes.
RecheckHook = Callable[[int], int]


def _fault(row: Any) -> dict[str, Any]:
    return {
        "id": row["id"],
        "operation_id": row["operation_id"],
        "latency_ms": row["latency_ms"],
        "error_rate": row["error_rate"],
        "status": row["status"],
        "created_at": row["created_at"],
    }


class GenericControls:
    def __init__(
        self, db: Engine, clock: Clock, log: RequestLog, recheck: RecheckHook, operation_ids: frozenset[str]
    ) -> None:
        self.db = db
        self.clock = clock
        self.log = log
        self.recheck = recheck
        self.operation_ids = operation_ids

    def _clock_state(self, tenant_id: int, changes: int | None = None) -> dict[str, Any]:
        offset = self.clock.offset(tenant_id)
        real = self.clock.real_now()
        state: dict[str, Any] = {
            "now": iso_ms(real + offset),
            "real_now": iso_ms(real),
            "offset_seconds": offset.total_seconds(),
        }
        if changes is not None:
            state["status_changes"] = changes
        return state

    def get_clock(self, token_info: Any) -> Response:
        return self._clock_state(principal_of(token_info).tenant_id), 200

    def advance_clock(self, token_info: Any, body: dict[str, Any]) -> Response:
        tenant_id = principal_of(token_info).tenant_id
        by = timedelta(seconds=body.get("seconds", 0), days=body.get("days", 0))
        self.clock.advance(tenant_id, by)
        changes = self.recheck(tenant_id)
        return self._clock_state(tenant_id, changes), 200

    def list_faults(self, token_info: Any) -> Response:
        tenant_id = principal_of(token_info).tenant_id
        with self.db.connect() as conn:
            rows = conn.execute(select(faults).where(faults.c.tenant_id == tenant_id).order_by(faults.c.id)).mappings()
            return {"faults": [_fault(r) for r in rows]}, 200

    def create_fault(self, token_info: Any, body: dict[str, Any]) -> Response:
        tenant_id = principal_of(token_info).tenant_id
        operation_id = body.get("operation_id")
        if operation_id is not None and operation_id not in self.operation_ids:
            raise ApiError(
                ErrorKind.UNPROCESSABLE,
                f"unknown operation_id {operation_id!r}",
                [ErrorDetail("operation_id", "must be an operationId of openapi/immigraflow.yaml, or omitted")],
            )
        values = {
            "tenant_id": tenant_id,
            "operation_id": operation_id,
            "latency_ms": body.get("latency_ms", 0),
            "error_rate": body.get("error_rate", 0.0),
            "status": body.get("status", 503),
            "created_at": iso_ms(self.clock.real_now()),
        }
        with self.db.begin() as conn:
            fault_id = conn.execute(faults.insert().values(**values)).inserted_primary_key[0]
        return _fault({"id": fault_id, **values}), 201, {"Location": f"/_sandbox/faults/{fault_id}"}

    def delete_fault(self, token_info: Any, fault_id: int) -> Response:
        tenant_id = principal_of(token_info).tenant_id
        with self.db.begin() as conn:
            gone = conn.execute(
                faults.delete().where(faults.c.id == fault_id, faults.c.tenant_id == tenant_id)
            ).rowcount
        if not gone:
            raise not_found("fault")
        return None, 204

    def clear_faults(self, token_info: Any) -> Response:
        self.clear_tenant_faults(principal_of(token_info).tenant_id)
        return None, 204

    def clear_tenant_faults(self, tenant_id: int) -> None:
        with self.db.begin() as conn:
            conn.execute(faults.delete().where(faults.c.tenant_id == tenant_id))

    def list_requests(
        self,
        token_info: Any,
        page: int = 1,
        limit: int = 20,
        status: int | None = None,
        operation_id: str | None = None,
    ) -> Response:
        tenant_id = principal_of(token_info).tenant_id
        self.log.flush()
        request = PageRequest.of(page, limit)
        query = select(request_log).where(request_log.c.tenant_id == tenant_id)
        if status is not None:
            query = query.where(request_log.c.status == status)
        if operation_id:
            query = query.where(request_log.c.operation_id == operation_id)
        with self.db.connect() as conn:
            rows, total = fetch_page(conn, query, request, [request_log.c.id.desc()])
        items = [
            {
                k: r[k]
                for k in (
                    "request_id",
                    "method",
                    "path",
                    "query",
                    "operation_id",
                    "status",
                    "duration_ms",
                    "fault",
                    "created_at",
                )
            }
            for r in rows
        ]
        return {"requests": items, "pagination": request.block(total)}, 200
