"""ImmigraFlow's own sandbox controls: reset, outbox, forced statuses, deliveries, scenarios."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from sandbox.apis.immigraflow import seeding
from sandbox.apis.immigraflow import serializers as ser
from sandbox.apis.immigraflow import tables as t
from sandbox.apis.immigraflow.case_status import CaseStatus
from sandbox.apis.immigraflow.repositories import Cases
from sandbox.apis.immigraflow.runtime import Runtime
from sandbox.apis.immigraflow.simulation import MAGIC_RECEIPTS
from sandbox.engine.clock import iso_ms
from sandbox.engine.errors import ApiError, ErrorKind, not_found
from sandbox.engine.pagination import PageRequest, fetch_page
from sandbox.engine.security import principal_of

Response = tuple[Any, int] | tuple[Any, int, dict[str, str]]
_OUTBOX_FIELDS = (
    "id",
    "user_id",
    "case_id",
    "channel",
    "kind",
    "recipient",
    "language",
    "subject",
    "body",
    "link",
    "code",
    "delivery",
    "error",
    "created_at",
)


def delivery(row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": row["delivery_id"],
        "webhook_id": row["webhook_id"],
        "url": row["url"],
        "event_id": row["event_id"],
        "event_type": row["event_type"],
        "status": row["status"],
        "attempts": row["attempts"],
        "next_attempt_at": None if row["next_attempt_at"] is None else iso_ms(_from_epoch(row["next_attempt_at"])),
        "last_status_code": row["last_status_code"],
        "last_error": row["last_error"],
        "payload": json.loads(row["payload"]),
        "log": row["log"],
        "created_at": row["created_at"],
    }


def _from_epoch(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


class ImmigraFlowControls:
    """Handlers of the domain-specific ``/_sandbox`` operations."""

    def __init__(self, rt: Runtime, world: Callable[[], Mapping[str, Any]], on_reset: Callable[[int], None]) -> None:
        self.rt = rt
        self.world = world
        self.on_reset = on_reset

    def operations(self) -> dict[str, Callable[..., Any]]:
        return {
            "resetSandbox": self.reset_sandbox,
            "listOutbox": self.list_outbox,
            "advanceCase": self.advance_case,
            "listWebhookDeliveries": self.list_webhook_deliveries,
            "getWebhookDelivery": self.get_webhook_delivery,
            "redeliverWebhook": self.redeliver_webhook,
            "listScenarios": self.list_scenarios,
        }

    def reset_sandbox(self, token_info: Any, body: dict[str, Any] | None = None) -> Response:
        partner_id = principal_of(token_info).tenant_id
        with self.rt.db.begin() as conn:
            restored = seeding.reset_partner(conn, self.world(), partner_id)
        if not (body or {}).get("keep_clock", False):
            self.rt.clock.reset(partner_id)
        self.on_reset(partner_id)
        return {"partner_id": partner_id, "restored": restored}, 200

    def list_outbox(
        self,
        token_info: Any,
        page: int = 1,
        limit: int = 20,
        channel: str | None = None,
        kind: str | None = None,
        recipient: str | None = None,
        user_id: int | None = None,
    ) -> Response:
        partner_id = principal_of(token_info).tenant_id
        request = PageRequest.of(page, limit)
        query = select(t.outbox).where(t.outbox.c.partner_id == partner_id)
        for column, value in (
            (t.outbox.c.channel, channel),
            (t.outbox.c.kind, kind),
            (t.outbox.c.recipient, recipient),
            (t.outbox.c.user_id, user_id),
        ):
            if value is not None:
                query = query.where(column == value)
        with self.rt.db.connect() as conn:
            rows, total = fetch_page(conn, query, request, [t.outbox.c.id.desc()])
        messages = [{k: r[k] for k in _OUTBOX_FIELDS} for r in rows]
        return {"messages": messages, "pagination": request.block(total)}, 200

    def advance_case(self, token_info: Any, case_ref: str, body: dict[str, Any] | None = None) -> Response:
        partner_id = principal_of(token_info).tenant_id
        with self.rt.db.connect() as conn:
            case = Cases(conn, partner_id).resolve(case_ref)
        update = CaseStatus(self.rt).force(partner_id, case, (body or {}).get("status"))
        return {
            "case_id": case["id"],
            "user_case_id": case["user_case_id"],
            "status_update": ser.status_update(update),
        }, 200

    def _delivery_row(self, partner_id: int, delivery_id: str) -> Mapping[str, Any]:
        with self.rt.db.connect() as conn:
            row = (
                conn.execute(
                    select(t.webhook_deliveries).where(
                        t.webhook_deliveries.c.delivery_id == delivery_id,
                        t.webhook_deliveries.c.partner_id == partner_id,
                    )
                )
                .mappings()
                .first()
            )
        if row is None:
            raise not_found("delivery")
        return row

    def list_webhook_deliveries(
        self,
        token_info: Any,
        page: int = 1,
        limit: int = 20,
        status: str | None = None,
        event_type: str | None = None,
        webhook_id: int | None = None,
    ) -> Response:
        partner_id = principal_of(token_info).tenant_id
        request = PageRequest.of(page, limit)
        d = t.webhook_deliveries
        query = select(d).where(d.c.partner_id == partner_id)
        for column, value in (
            (d.c.status, status),
            (d.c.event_type, event_type),
            (d.c.webhook_id, webhook_id),
        ):
            if value is not None:
                query = query.where(column == value)
        with self.rt.db.connect() as conn:
            rows, total = fetch_page(conn, query, request, [d.c.id.desc()])
        items = [delivery(r) for r in rows]
        return {"deliveries": items, "pagination": request.block(total)}, 200

    def get_webhook_delivery(self, token_info: Any, delivery_id: str) -> Response:
        return delivery(self._delivery_row(principal_of(token_info).tenant_id, delivery_id)), 200

    def redeliver_webhook(self, token_info: Any, delivery_id: str) -> Response:
        partner_id = principal_of(token_info).tenant_id
        row = self._delivery_row(partner_id, delivery_id)
        if row["status"] in ("pending", "sending"):
            raise ApiError(ErrorKind.CONFLICT, f"delivery {delivery_id} is already queued ({row['status']})")
        with self.rt.db.begin() as conn:
            hook = conn.execute(select(t.webhooks.c.id).where(t.webhooks.c.id == row["webhook_id"])).first()
            if hook is None:
                raise ApiError(ErrorKind.CONFLICT, "the webhook of this delivery was deleted")
            conn.execute(
                t.webhook_deliveries.update()
                .where(t.webhook_deliveries.c.id == row["id"])
                .values(status="pending", attempts=0, next_attempt_at=self.rt.clock.real_now().timestamp())
            )
        return delivery(self._delivery_row(partner_id, delivery_id)), 202

    def list_scenarios(self, token_info: Any) -> Response:
        principal_of(token_info)
        items = [
            {
                "receipt_number": s.receipt,
                "name": s.name,
                "description": s.description,
                "form_type": s.form,
                "journey": list(s.journey),
            }
            for s in MAGIC_RECEIPTS.values()
        ]
        return {"scenarios": items}, 200
