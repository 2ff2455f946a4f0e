"""End-user login: a 6-digit code by email (or WhatsApp), exchanged for a one-hour bearer token."""

from __future__ import annotations

from typing import Any

from sandbox.apis.immigraflow import accounts
from sandbox.apis.immigraflow import serializers as ser
from sandbox.apis.immigraflow.handlers.common import Handlers, Response, caller
from sandbox.apis.immigraflow.notifications import Outbox
from sandbox.apis.immigraflow.repositories import Users
from sandbox.engine.errors import ApiError, ErrorKind

ACCEPTED = {"message": "If this email belongs to an active user, a login code is on its way."}


class AuthHandlers(Handlers):
    def request_login_code(self, token_info: Any, body: dict[str, Any]) -> Response:
        """Always 202, whether or not the email is known (no account enumeration)."""
        partner_id = caller(token_info).tenant_id
        at, now = self.now(partner_id)
        settings = self.rt.settings
        with self.rt.db.begin() as conn:
            user = Users(conn, partner_id).by_email(body["email"])
            if user is not None and user["status"] == "active":
                channel = body.get("channel", "email")
                if channel == "whatsapp" and not (user["notify_by_whatsapp"] and user["phone"]):
                    channel = "email"
                code = accounts.new_login_code()
                accounts.store_login_code(conn, user, code, now + settings.login_code_ttl.total_seconds())
                Outbox(conn, partner_id).login_code(
                    user, code, channel, int(settings.login_code_ttl.total_seconds() // 60), at
                )
        return dict(ACCEPTED), 202

    def verify_login_code(self, token_info: Any, body: dict[str, Any]) -> Response:
        partner_id = caller(token_info).tenant_id
        _, now = self.now(partner_id)
        settings = self.rt.settings
        with self.rt.db.begin() as conn:
            user = Users(conn, partner_id).by_email(body["email"])
            if user is None or user["status"] != "active":
                raise ApiError(ErrorKind.UNAUTHENTICATED, "The login code is invalid or has expired; request a new one")
            refused = accounts.check_login_code(conn, user, body["code"], now, settings.login_code_max_attempts)
            if refused is None:
                ttl = int(settings.token_ttl.total_seconds())
                token = accounts.issue_token(conn, user, now + ttl)
        if refused is not None:
            raise refused
        return {"access_token": token, "token_type": "Bearer", "expires_in": ttl, "user": ser.user(user)}, 200
