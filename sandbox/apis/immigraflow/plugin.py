"""The ImmigraFlow API as an engine plug-in: spec, handlers per operationId, authenticators."""

from __future__ import annotations

import hmac
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from connexion.lifecycle import ConnexionRequest

from sandbox.apis.immigraflow import accounts
from sandbox.apis.immigraflow.handlers.auth import AuthHandlers
from sandbox.apis.immigraflow.handlers.cases import CaseHandlers
from sandbox.apis.immigraflow.handlers.check import CheckHandlers
from sandbox.apis.immigraflow.handlers.client import ClientHandlers
from sandbox.apis.immigraflow.handlers.common import END_USER, PARTNER
from sandbox.apis.immigraflow.handlers.users import UserHandlers
from sandbox.apis.immigraflow.handlers.webhooks import WebhookHandlers
from sandbox.apis.immigraflow.repositories import Partners
from sandbox.apis.immigraflow.runtime import Runtime
from sandbox.engine.security import Authenticator, Principal
from sandbox.engine.versions import VersionedCache

SPEC_PATH = Path(__file__).resolve().parents[3] / "openapi" / "immigraflow.yaml"


class ImmigraFlowApi:
    """Serves ``openapi/immigraflow.yaml``."""

    name = "immigraflow"
    spec_path = SPEC_PATH
    base_path = ""

    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        # Every partner call checks its key and secret: keep them in memory, dropped on any write
        # to ``partners`` in any worker (see engine/versions.py). Unknown keys are not remembered.
        self._partners: VersionedCache[str, tuple[int, str] | None] = VersionedCache(
            rt.db, "partners", self._load_partner, cache_none=False
        )

    def operations(self) -> Mapping[str, Callable[..., Any]]:
        users, cases = UserHandlers(self.rt), CaseHandlers(self.rt)
        hooks, auth = WebhookHandlers(self.rt), AuthHandlers(self.rt)
        client, check = ClientHandlers(self.rt), CheckHandlers(self.rt)
        return {
            "checkCaseStatus": check.check_case_status,
            "verifyUserEmail": users.verify_user_email,
            "listUsers": users.list_users,
            "createUser": users.create_user,
            "getUser": users.get_user,
            "updateUser": users.update_user,
            "deleteUser": users.delete_user,
            "resendVerification": users.resend_verification,
            "resendVerificationPreflight": users.resend_verification_preflight,
            "listUserCases": cases.list_user_cases,
            "createCase": cases.create_case,
            "getCase": cases.get_case,
            "updateCase": cases.update_case,
            "deleteCase": cases.delete_case,
            "listWebhooks": hooks.list_webhooks,
            "createWebhook": hooks.create_webhook,
            "getWebhook": hooks.get_webhook,
            "updateWebhook": hooks.update_webhook,
            "deleteWebhook": hooks.delete_webhook,
            "requestLoginCode": auth.request_login_code,
            "verifyLoginCode": auth.verify_login_code,
            "getClient": client.get_client,
            "updateClientLogo": client.update_client_logo,
            "listClientUsers": client.list_client_users,
            "createClientUser": client.create_client_user,
            "getClientUser": client.get_client_user,
            "updateClientUser": client.update_client_user,
            "deleteClientUser": client.delete_client_user,
            "resendClientUserVerification": client.resend_client_user_verification,
            "resendClientUserVerificationPreflight": client.resend_client_user_verification_preflight,
            "createClientUserCase": cases.create_client_user_case,
            "listClientCases": cases.list_client_cases,
            "getClientCase": cases.get_client_case,
        }

    def authenticators(self) -> Mapping[str, Authenticator]:
        return {
            "PartnerKey": self._partner_key,
            "PartnerSecret": self._partner_secret,
            "UserBearer": self._user_bearer,
        }

    def _load_partner(self, api_key: str) -> tuple[int, str] | None:
        """``(partner id, api secret)`` of an API key, or ``None``."""
        with self.rt.db.connect() as conn:
            partner = Partners(conn).by_key(api_key)
        return (partner["id"], partner["api_secret"]) if partner else None

    def _partner_key(self, api_key: str, request: ConnexionRequest) -> Principal | None:
        partner = self._partners.get(api_key)
        return Principal(tenant_id=partner[0], scheme=PARTNER) if partner else None

    def _partner_secret(self, api_secret: str, request: ConnexionRequest) -> Principal | None:
        api_key = request.headers.get("X-API-KEY")
        if not api_key:
            return None
        partner = self._partners.get(api_key)
        if partner is None or not hmac.compare_digest(partner[1].encode(), api_secret.encode()):
            return None
        return Principal(tenant_id=partner[0], scheme=PARTNER)

    def _user_bearer(self, token: str, request: ConnexionRequest) -> Principal | None:
        with self.rt.db.connect() as conn:
            owner = accounts.token_owner(conn, token)
        # Token lifetimes run on the partner's simulated clock, like login codes.
        if owner is None or owner["expires_at"] <= self.rt.clock.now(owner["partner_id"]).timestamp():
            return None
        return Principal(tenant_id=owner["partner_id"], scheme=END_USER, subject_id=owner["user_id"])
