"""The partner's backoffice (``/v1/client…``): its profile, and its users and cases across users."""

from __future__ import annotations

from typing import Any

from sandbox.apis.immigraflow import serializers as ser
from sandbox.apis.immigraflow.handlers.common import Handlers, Response, caller
from sandbox.apis.immigraflow.handlers.users import CORS_HEADERS, UserHandlers
from sandbox.apis.immigraflow.repositories import Partners, Users


class ClientHandlers(Handlers):
    @property
    def users(self) -> UserHandlers:
        return UserHandlers(self.rt)

    def get_client(self, token_info: Any) -> Response:
        with self.rt.db.connect() as conn:
            row = Partners(conn).get(caller(token_info).tenant_id)
        return {"client": ser.client(row)}, 200

    def update_client_logo(self, token_info: Any, body: dict[str, Any]) -> Response:
        partner_id = caller(token_info).tenant_id
        at, _ = self.now(partner_id)
        with self.rt.db.begin() as conn:
            partners = Partners(conn)
            row = partners.get(partner_id)
            if row["logo_url"] != body["logo_url"]:
                row = partners.update(partner_id, {"logo_url": body["logo_url"], "updated_at": at})
        return {"client": ser.client(row)}, 200

    def list_client_users(
        self,
        token_info: Any,
        page: int = 1,
        limit: int = 20,
        status: str | None = None,
        q: str | None = None,
        sort: str | None = None,
    ) -> Response:
        return self.users.list(token_info, page, limit, status, q, sort)

    def create_client_user(self, token_info: Any, body: dict[str, Any]) -> Response:
        return self.users.create(token_info, body, "/v1/client/users")

    def get_client_user(self, token_info: Any, user_id: int) -> Response:
        return self.users.get(token_info, user_id)

    def update_client_user(self, token_info: Any, user_id: int, body: dict[str, Any]) -> Response:
        return self.users.update(token_info, user_id, body)

    def delete_client_user(self, token_info: Any, user_id: int) -> Response:
        return self.users.delete(token_info, user_id)

    def resend_client_user_verification(self, token_info: Any, user_id: int) -> Response:
        partner_id = caller(token_info).tenant_id
        with self.rt.db.connect() as conn:
            row = Users(conn, partner_id).get(user_id)
        answer = self.users.resend(partner_id, row)
        return answer[0], answer[1], {"Access-Control-Allow-Origin": "*"}

    def resend_client_user_verification_preflight(self, user_id: int) -> Response:
        return None, 204, {"Access-Control-Allow-Origin": "*", **CORS_HEADERS}
