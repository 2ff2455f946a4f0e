"""Webhooks: where a partner wants events delivered. The signing secret is shown once, at creation."""

from __future__ import annotations

import secrets
import string
from typing import Any
from urllib.parse import urlsplit

from sandbox.apis.immigraflow import serializers as ser
from sandbox.apis.immigraflow.handlers.common import Handlers, Response, caller, created, no_content
from sandbox.apis.immigraflow.repositories import Webhooks
from sandbox.engine.errors import ApiError, ErrorDetail, ErrorKind
from sandbox.engine.pagination import PageRequest

_ALPHABET = string.ascii_letters + string.digits


def new_signing_secret() -> str:
    return "whsec_" + "".join(secrets.choice(_ALPHABET) for _ in range(32))


def _checked_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ApiError(
            ErrorKind.UNPROCESSABLE,
            f"webhook URL {url!r} cannot receive deliveries",
            [ErrorDetail("url", "must be an absolute http or https URL with a host")],
        )
    return url


class WebhookHandlers(Handlers):
    def list_webhooks(self, token_info: Any, page: int = 1, limit: int = 20) -> Response:
        partner_id = caller(token_info).tenant_id
        request = PageRequest.of(page, limit)
        with self.rt.db.connect() as conn:
            rows, total = Webhooks(conn, partner_id).list(request)
        return {"webhooks": [ser.webhook(r) for r in rows], "pagination": request.block(total)}, 200

    def create_webhook(self, token_info: Any, body: dict[str, Any]) -> Response:
        partner_id = caller(token_info).tenant_id
        at, _ = self.now(partner_id)
        secret = new_signing_secret()
        values = {
            "url": _checked_url(body["url"]),
            "events": list(dict.fromkeys(body["events"])),
            "active": body.get("active", True),
            "description": body.get("description"),
            "secret": secret,
            "created_at": at,
            "updated_at": at,
        }
        with self.rt.db.begin() as conn:
            row = Webhooks(conn, partner_id).create(values)
        return created({"webhook": ser.webhook(row), "signing_secret": secret}, f"/v1/webhooks/{row['id']}")

    def get_webhook(self, token_info: Any, webhook_id: int) -> Response:
        with self.rt.db.connect() as conn:
            row = Webhooks(conn, caller(token_info).tenant_id).get(webhook_id)
        return {"webhook": ser.webhook(row)}, 200

    def update_webhook(self, token_info: Any, webhook_id: int, body: dict[str, Any]) -> Response:
        partner_id = caller(token_info).tenant_id
        at, _ = self.now(partner_id)
        values = {key: body[key] for key in ("url", "events", "active", "description") if key in body}
        if "url" in values:
            _checked_url(values["url"])
        if "events" in values:
            values["events"] = list(dict.fromkeys(values["events"]))
        with self.rt.db.begin() as conn:
            hooks = Webhooks(conn, partner_id)
            row = hooks.get(webhook_id)
            if any(row[key] != value for key, value in values.items()):
                row = hooks.update(webhook_id, {**values, "updated_at": at})
        return {"webhook": ser.webhook(row)}, 200

    def delete_webhook(self, token_info: Any, webhook_id: int) -> Response:
        with self.rt.db.begin() as conn:
            Webhooks(conn, caller(token_info).tenant_id).delete(webhook_id)
        return no_content()
