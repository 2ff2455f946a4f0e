"""Webhook events: queued in the database when something happens, delivered in the background."""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection

from sandbox.apis.immigraflow import tables as t
from sandbox.apis.immigraflow.repositories import Webhooks

EVENT_TYPES = (
    "case.created",
    "case.status_changed",
    "case.deleted",
    "user.created",
    "user.verified",
    "user.deleted",
)


def new_event_id() -> str:
    return "evt_" + secrets.token_hex(12)


def new_delivery_id() -> str:
    return "dlv_" + secrets.token_hex(12)


def emit(conn: Connection, partner_id: int, event_type: str, data: Mapping[str, Any], at: str, now: float) -> int:
    """Queue one event for every active webhook of the partner subscribed to it.

    Returns how many deliveries were queued. The body is fixed here, so every attempt (and a
    redelivery) sends the same bytes; only the signature's timestamp changes.
    """
    assert event_type in EVENT_TYPES, event_type
    hooks = Webhooks(conn, partner_id).subscribed(event_type)
    if not hooks:
        return 0
    event = {"id": new_event_id(), "type": event_type, "created_at": at, "data": dict(data)}
    payload = json.dumps(event, separators=(",", ":"), ensure_ascii=False)
    rows = [
        {
            "delivery_id": new_delivery_id(),
            "partner_id": partner_id,
            "webhook_id": hook["id"],
            "url": hook["url"],
            "event_id": event["id"],
            "event_type": event_type,
            "payload": payload,
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": now,
            "log": [],
            "created_at": at,
            "updated_at": at,
        }
        for hook in hooks
    ]
    conn.execute(t.webhook_deliveries.insert(), rows)
    return len(hooks)
