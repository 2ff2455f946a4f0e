"""Rows → the JSON shapes of the spec (User, CaseSummary, StatusUpdate, Webhook, Client)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

Row = Mapping[str, Any]


def user(row: Row) -> dict[str, Any]:
    return {
        "id": row["id"],
        "email": row["email"],
        "name": row["name"],
        "phone": row["phone"],
        "notify_by_email": bool(row["notify_by_email"]),
        "notify_by_whatsapp": bool(row["notify_by_whatsapp"]),
        "status": row["status"],
        "preferred_language": row["preferred_language"],
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
    }


def status_update(row: Row) -> dict[str, Any]:
    return {"id": row["id"], **row["body"], "timestamp": row["timestamp"]}


def case_summary(row: Row, latest: Row | None) -> dict[str, Any]:
    body = latest["body"] if latest is not None else {}
    return {
        "id": row["id"],
        "user_case_id": row["user_case_id"],
        "receipt_number": row["receipt_number"],
        "description": row["description"],
        "created_at": row["created_at"],
        "last_checked": row["last_checked"],
        "active": bool(row["active"]),
        "status_code": body.get("status_code"),
        "status_description": body.get("status_description"),
        "form_type": body.get("form_type"),
    }


def partner_case_summary(row: Row, latest: Row | None, owner: Row, update_count: int) -> dict[str, Any]:
    return {**case_summary(row, latest), "user": user(owner), "update_count": update_count}


def webhook(row: Row) -> dict[str, Any]:
    return {
        "id": row["id"],
        "url": row["url"],
        "events": list(row["events"]),
        "active": bool(row["active"]),
        "description": row["description"],
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
    }


def client(row: Row) -> dict[str, Any]:
    return {
        "id": row["id"],
        "name": row["name"],
        "email": row["email"],
        "logo_url": row["logo_url"],
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
    }
