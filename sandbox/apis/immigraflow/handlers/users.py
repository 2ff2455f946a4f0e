"""Users: the partner's end users (``/v1/users`` and the backoffice ``/v1/client/users``)."""

from __future__ import annotations

import html
from typing import Any

from connexion.lifecycle import ConnexionResponse

from sandbox.apis.immigraflow import accounts, events
from sandbox.apis.immigraflow import serializers as ser
from sandbox.apis.immigraflow.handlers.common import (
    Handlers,
    Response,
    caller,
    created,
    no_content,
    scoped_user,
)
from sandbox.apis.immigraflow.notifications import Outbox
from sandbox.apis.immigraflow.repositories import Users
from sandbox.engine.errors import not_found
from sandbox.engine.pagination import PageRequest

EDITABLE = ("email", "name", "phone", "notify_by_email", "notify_by_whatsapp", "preferred_language")

CORS_HEADERS = {
    "Access-Control-Allow-Methods": "POST, OPTIONS",
    "Access-Control-Allow-Headers": "Content-Type, X-API-KEY, X-API-SECRET, Authorization",
    "Access-Control-Max-Age": "600",
}


def _page_html(title: str, message: str, status: int) -> ConnexionResponse:
    body = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title></head><body><main><h1>{html.escape(title)}</h1>"
        f"<p>{html.escape(message)}</p></main></body></html>"
    )
    return ConnexionResponse(status_code=status, content_type="text/html; charset=utf-8", body=body.encode())


class UserHandlers(Handlers):
    # Shared by /v1/users and /v1/client/users ------------------------------------------------

    def list(
        self,
        token_info: Any,
        page: int = 1,
        limit: int = 20,
        status: str | None = None,
        q: str | None = None,
        sort: str | None = None,
    ) -> Response:
        principal = caller(token_info)
        with self.rt.db.connect() as conn:
            request = PageRequest.of(page, limit)
            rows, total = Users(conn, principal.tenant_id).list(request, status=status, q=q, sort=sort)
        return {"users": [ser.user(r) for r in rows], "pagination": request.block(total)}, 200

    def create(self, token_info: Any, body: dict[str, Any], location_prefix: str) -> Response:
        partner_id = caller(token_info).tenant_id
        at, _ = self.now(partner_id)
        now = self.rt.clock.real_now().timestamp()
        token = accounts.new_verify_token()
        values = {
            "email": body["email"],
            "name": body["name"].strip() or body["name"],
            "phone": body.get("phone"),
            "notify_by_email": body.get("notify_by_email", True),
            "notify_by_whatsapp": body.get("notify_by_whatsapp", False),
            "preferred_language": body.get("preferred_language", "en"),
            "status": "pending_verification",
            "verify_token": accounts.digest(token),
            "created_at": at,
            "updated_at": at,
        }
        with self.rt.db.begin() as conn:
            row = Users(conn, partner_id).create(values)
            link = accounts.verification_link(self.rt.settings.public_base_url, token)
            Outbox(conn, partner_id).verification(row, link, at)
            events.emit(conn, partner_id, "user.created", {"user": ser.user(row)}, at, now)
        return created({"user": ser.user(row)}, f"{location_prefix}/{row['id']}")

    def get(self, token_info: Any, user_id: int) -> Response:
        principal = scoped_user(token_info, user_id)
        with self.rt.db.connect() as conn:
            row = Users(conn, principal.tenant_id).get(user_id)
        return {"user": ser.user(row)}, 200

    def update(self, token_info: Any, user_id: int, body: dict[str, Any]) -> Response:
        principal = scoped_user(token_info, user_id)
        at, _ = self.now(principal.tenant_id)
        values = {key: body[key] for key in EDITABLE if key in body}
        with self.rt.db.begin() as conn:
            row = Users(conn, principal.tenant_id).update(user_id, {**values, "updated_at": at})
        return {"user": ser.user(row)}, 200

    def delete(self, token_info: Any, user_id: int) -> Response:
        principal = scoped_user(token_info, user_id)
        at, _ = self.now(principal.tenant_id)
        with self.rt.db.begin() as conn:
            row = Users(conn, principal.tenant_id).delete(user_id)
            gone = {**ser.user(row), "status": "deleted", "updated_at": at}
            events.emit(
                conn,
                principal.tenant_id,
                "user.deleted",
                {"user": gone},
                at,
                self.rt.clock.real_now().timestamp(),
            )
        return no_content()

    def resend(self, partner_id: int, row: Any) -> Response:
        if row["status"] != "pending_verification":
            return {"message": "This user's email address is already verified; nothing was sent."}, 202
        at, _ = self.now(partner_id)
        token = accounts.new_verify_token()
        with self.rt.db.begin() as conn:
            users = Users(conn, partner_id)
            fresh = users.update(row["id"], {"verify_token": accounts.digest(token)})
            link = accounts.verification_link(self.rt.settings.public_base_url, token)
            Outbox(conn, partner_id).verification(fresh, link, at)
        return {"message": "A new verification email was sent."}, 202

    # Operations ---------------------------------------------------------------------------------

    def list_users(self, token_info: Any, page: int = 1, limit: int = 20, status: str | None = None) -> Response:
        return self.list(token_info, page, limit, status)

    def create_user(self, token_info: Any, body: dict[str, Any]) -> Response:
        return self.create(token_info, body, "/v1/users")

    def get_user(self, token_info: Any, user_id: int) -> Response:
        return self.get(token_info, user_id)

    def update_user(self, token_info: Any, user_id: int, body: dict[str, Any]) -> Response:
        return self.update(token_info, user_id, body)

    def delete_user(self, token_info: Any, user_id: int) -> Response:
        return self.delete(token_info, user_id)

    def resend_verification(self, token_info: Any, body: dict[str, Any]) -> Response:
        partner_id = caller(token_info).tenant_id
        with self.rt.db.connect() as conn:
            row = Users(conn, partner_id).by_email(body["email"])
        if row is None:
            raise not_found("user")
        answer = self.resend(partner_id, row)
        return answer[0], answer[1], {"Access-Control-Allow-Origin": "*"}

    def resend_verification_preflight(self) -> Response:
        return None, 204, {"Access-Control-Allow-Origin": "*", **CORS_HEADERS}

    def verify_user_email(self, token: str) -> ConnexionResponse:
        with self.rt.db.begin() as conn:
            row = Users.by_verify_token(conn, accounts.digest(token))
            if row is None:
                return _page_html(
                    "Link not valid",
                    "This verification link is invalid or was replaced by a newer one. Ask for a new email.",
                    404,
                )
            partner_id = row["partner_id"]
            at, _ = self.now(partner_id)
            users = Users(conn, partner_id)
            user = users.update(row["id"], {"status": "active", "verify_token": None, "updated_at": at})
            events.emit(
                conn,
                partner_id,
                "user.verified",
                {"user": ser.user(user)},
                at,
                self.rt.clock.real_now().timestamp(),
            )
        return _page_html("Email confirmed", f"Thank you, {user['name']}: your email address is confirmed.", 200)
