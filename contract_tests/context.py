"""One contract run: the target, the HTTP session, who the suite speaks as, and what it created.

The pytest plugin opens a ``RunContext`` once per session (``contract_run`` fixture) and makes it
``current()`` so that auth providers and checks, which Schemathesis instantiates itself, can reach it.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from contract_tests.api import ApiClient, expect
from contract_tests.config import ContractSettings, Partner
from contract_tests.identities import BearerUser, Identities, bearer_headers, key_headers, partner_headers
from contract_tests.resources import Created, Tracker
from contract_tests.safety import CaseGuard, Marker
from contract_tests.spec import SpecIndex
from contract_tests.target import Target
from contract_tests.transport import RateLimiter, Recorder, RecordingSession

if TYPE_CHECKING:
    from schemathesis import Case, Response

_CURRENT: RunContext | None = None
#: Receipt prefixes the spec accepts; the first digit 9 keeps clear of the sandbox's magic numbers.
RECEIPT_PREFIXES = ("IOE", "EAC", "WAC", "LIN", "SRC", "NBC", "MSC", "YSC")


def current() -> RunContext | None:
    """The run in progress in this process, if any."""
    return _CURRENT


def activate(run: RunContext | None) -> None:
    global _CURRENT
    _CURRENT = run


@dataclass
class CleanupResult:
    deleted: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


class RunContext:
    """Everything the suite's tests, auth providers and checks share during one run."""

    def __init__(self, settings: ContractSettings, target: Target) -> None:
        assert settings.partner is not None
        self.settings = settings
        self.target = target
        self.index = SpecIndex.from_path(settings.spec_path)
        self.recorder = Recorder(self.index, base_path=urlsplit(target.base_url).path.rstrip("/"))
        self.limiter = RateLimiter(settings.rate_limit) if settings.rate_limit else None
        self.session = RecordingSession(self.recorder, self.limiter, read_only=settings.read_only)
        self.identities = Identities(settings.partner, settings.second_partner)
        self.tracker = Tracker(self.identities)
        self.recorder.observers.append(self.tracker.observe)
        self.marker = Marker(settings.run_id)
        self.guard = CaseGuard(self)
        self.original_logo: str | None = None
        self.bearer: BearerUser | None = None
        self._sacrificial: BearerUser | None = None
        self._sacrificial_tried = False
        self.started = time.monotonic()
        self.cleanup_result: CleanupResult | None = None

    # Identities and clients
    @property
    def partner(self) -> Partner:
        assert self.settings.partner is not None
        return self.settings.partner

    @property
    def second(self) -> Partner | None:
        return self.settings.second_partner

    def client(self, partner: Partner | None = None, *, key_only: bool = False) -> ApiClient:
        partner = partner or self.partner
        headers = key_headers(partner) if key_only else partner_headers(partner)
        return ApiClient(self.session, self.target.base_url, headers)

    def anonymous(self) -> ApiClient:
        return ApiClient(self.session, self.target.base_url)

    def as_bearer(self, user: BearerUser) -> ApiClient:
        return ApiClient(self.session, self.target.base_url, bearer_headers(user.token))

    def call_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``case.call`` / ``validate_response(transport_kwargs=...)``."""
        return {"base_url": self.target.base_url, "session": self.session}

    @property
    def writes(self) -> bool:
        return not self.settings.read_only

    # Start and end
    def setup(self) -> None:
        self.target.controls = self.target.probe_controls(self.session, self.partner)
        client = self.client().get("/v1/client")
        if client.status_code == 200:
            self.original_logo = (client.json().get("client") or {}).get("logo_url")
        if self.writes:
            if self.target.controls:
                self.bearer = self.login_new_user(self.partner, tag="bearer")
            elif self.settings.bearer_token and self.settings.bearer_user_id:
                self.bearer = BearerUser(
                    self.settings.bearer_token, self.settings.bearer_user_id, self.partner
                )
                self.identities.add_bearer(self.bearer)
        elif self.settings.bearer_token and self.settings.bearer_user_id:
            self.bearer = BearerUser(self.settings.bearer_token, self.settings.bearer_user_id, self.partner)
            self.identities.add_bearer(self.bearer)

    def prepare(self, case: Case) -> None:
        """Make a generated case safe to send (see ``contract_tests.safety``)."""
        if self.writes:
            self.guard.prepare(case)

    def exercise(self, case: Case, checks: list[Any], recorder: Any = None) -> Response:
        """Send a generated case through the suite's session and run ``checks`` on the answer.

        A failure carries the exchange that shows it, for the report.
        """
        from schemathesis.core.failures import FailureGroup

        self.prepare(case)
        kwargs = self.call_kwargs()
        response = case.call(**kwargs)
        exchange = self.recorder.last
        try:
            case.validate_response(response, checks=checks, transport_kwargs=kwargs, recorder=recorder)
        except FailureGroup as group:
            for failure in group.exceptions:
                if getattr(failure, "exchange", None) is None:
                    failure.exchange = exchange  # type: ignore[attr-defined]
            raise
        return response

    # Provisioning (partner keys; everything marked)
    def new_user(
        self, partner: Partner | None = None, *, tag: str = "", reserved: bool = False, **fields: Any
    ) -> Created:
        partner = partner or self.partner
        body = {"email": self.marker.email(tag), "name": self.marker.label("Ana Souza"), **fields}
        data = expect(
            self.client(partner).post("/v1/client/users", json=body), 201, operation="createClientUser"
        )
        return self.tracker.add("user", data["user"], partner.api_key, partner.label, reserved=reserved)

    def new_case(
        self, user_id: int, partner: Partner | None = None, *, receipt: str | None = None
    ) -> Created:
        partner = partner or self.partner
        body = {
            "receipt_number": receipt or self.receipt(),
            "description": self.marker.label("monitored case", 500),
        }
        response = self.client(partner).post(f"/v1/users/{user_id}/cases", json=body)
        data = expect(response, 201, operation="createCase")
        return self.tracker.add("case", data["case"], partner.api_key, partner.label, user_id=user_id)

    def new_webhook(
        self,
        partner: Partner | None = None,
        *,
        url: str | None = None,
        events: list[str] | None = None,
        active: bool = False,
    ) -> tuple[Created, str]:
        """A marked webhook; inactive unless asked (only the webhook layer wants deliveries)."""
        partner = partner or self.partner
        body = {
            "url": url or self.marker.webhook_url(),
            "events": events or ["case.created"],
            "description": self.marker.label("webhook", 200),
            "active": active,
        }
        data = expect(self.client(partner).post("/v1/webhooks", json=body), 201, operation="createWebhook")
        created = self.tracker.add("webhook", data["webhook"], partner.api_key, partner.label)
        return created, str(data.get("signing_secret", ""))

    @staticmethod
    def receipt() -> str:
        prefix = RECEIPT_PREFIXES[secrets.randbelow(len(RECEIPT_PREFIXES))]
        return prefix + "9" + "".join(str(secrets.randbelow(10)) for _ in range(9))

    def pool_user(self) -> Created | None:
        """A live user of the run's own (never a reserved one), created on demand."""
        user = self.tracker.pick("user", self.partner.api_key)
        if user is None and self.writes:
            user = self.new_user(tag="pool")
        return user

    def pool_case(self, user_id: int | None) -> Created | None:
        if user_id is None:
            user = self.pool_user()
            if user is None:
                return None
            user_id = user.id
        case = self.tracker.pick("case", self.partner.api_key, user_id=user_id)
        if case is None and self.writes:
            case = self.new_case(user_id)
        return case

    def pool_webhook(self) -> Created | None:
        webhook = self.tracker.pick("webhook", self.partner.api_key)
        if webhook is None and self.writes:
            webhook, _ = self.new_webhook()
        return webhook

    @property
    def sacrificial_user(self) -> BearerUser | None:
        """A logged-in user that fuzzing of the self-service delete may delete."""
        if not self._sacrificial_tried and self.writes and self.target.controls:
            self._sacrificial_tried = True
            self._sacrificial = self.login_new_user(self.partner, tag="self-delete")
        return self._sacrificial

    # End users: verify the email and log in through the sandbox's outbox
    def outbox(self, partner: Partner, kind: str, recipient: str) -> list[dict[str, Any]]:
        response = self.client(partner).get("/_sandbox/outbox", params={"kind": kind, "recipient": recipient})
        return list(expect(response, 200, operation="listOutbox")["messages"])

    def verify_email(self, partner: Partner, email: str) -> None:
        messages = self.outbox(partner, "verification", email)
        if not messages or not messages[0].get("link"):
            raise AssertionError(f"no verification link for {email} in the sandbox outbox")
        token = parse_qs(urlsplit(messages[0]["link"]).query)["token"][0]
        expect(
            self.anonymous().get("/v1/users/verify-email", params={"token": token}),
            200,
            operation="verifyUserEmail",
        )

    def login_code(self, partner: Partner, email: str) -> str:
        """A fresh login code for an active user, read from the sandbox outbox (newest message first)."""
        keyed = self.client(partner, key_only=True)
        expect(keyed.post("/v1/auth/login-code", json={"email": email}), 202, operation="requestLoginCode")
        messages = self.outbox(partner, "login_code", email)
        if not messages or not messages[0].get("code"):
            raise AssertionError(f"no login code for {email} in the sandbox outbox")
        return str(messages[0]["code"])

    def login(self, partner: Partner, email: str, user_id: int) -> BearerUser:
        keyed = self.client(partner, key_only=True)
        body = {"email": email, "code": self.login_code(partner, email)}
        data = expect(keyed.post("/v1/auth/verify-code", json=body), 200, operation="verifyLoginCode")
        user = BearerUser(token=data["access_token"], user_id=user_id, partner=partner, email=email)
        self.identities.add_bearer(user)
        return user

    def login_new_user(self, partner: Partner, *, tag: str) -> BearerUser:
        created = self.new_user(partner, tag=tag, reserved=True)
        email = created.data["email"]
        self.verify_email(partner, email)
        return self.login(partner, email, created.id)

    # Cleanup
    def cleanup(self) -> CleanupResult:
        """Delete what the run created (cases, webhooks, then users), then sweep by marker."""
        result = CleanupResult()
        order = {"case": 0, "webhook": 1, "user": 2}
        partners = {partner.api_key: partner for partner in self.identities.partners}
        for obj in sorted(self.tracker.leftovers(), key=lambda o: order[o.kind]):
            partner = partners.get(obj.partner)
            if partner is None or obj.deleted:
                continue
            path = {
                "case": f"/v1/users/{obj.user_id}/cases/{obj.id}",
                "webhook": f"/v1/webhooks/{obj.id}",
                "user": f"/v1/client/users/{obj.id}",
            }[obj.kind]
            status = self.client(partner).delete(path).status_code
            label = f"{obj.kind} {obj.id} of {partner.label}"
            if status in (204, 404):
                obj.deleted = True
                result.deleted.append(label)
            else:
                result.failed.append(f"{label}: DELETE {path} answered {status}")
        for partner in self.identities.partners:
            self._sweep(partner, result)
        if self.original_logo and self.writes:
            current = self.client().get("/v1/client")
            if (
                current.status_code == 200
                and (current.json().get("client") or {}).get("logo_url") != self.original_logo
            ):
                self.client().put("/v1/client/logo", json={"logo_url": self.original_logo})
                result.notes.append("restored the partner's logo_url")
        self.cleanup_result = result
        return result

    def _sweep(self, partner: Partner, result: CleanupResult) -> None:
        """Delete marked users and webhooks the tracker missed (e.g. a create whose answer was lost)."""
        client = self.client(partner)
        response = client.get(
            "/v1/client/users", params={"q": f"contract+{self.settings.run_id}-", "limit": 100}
        )
        if response.status_code == 200:
            for user in response.json().get("users", []):
                if self.marker.owns(user.get("email")) and user.get("status") != "deleted":
                    status = client.delete(f"/v1/client/users/{user['id']}").status_code
                    (result.deleted if status in (204, 404) else result.failed).append(
                        f"user {user['id']} of {partner.label} (swept): {status}"
                    )
        response = client.get("/v1/webhooks", params={"limit": 100})
        if response.status_code == 200:
            for webhook in response.json().get("webhooks", []):
                if self.marker.owns(webhook.get("description")) or f"r{self.settings.run_id}." in str(
                    webhook.get("url")
                ):
                    status = client.delete(f"/v1/webhooks/{webhook['id']}").status_code
                    (result.deleted if status in (204, 404) else result.failed).append(
                        f"webhook {webhook['id']} of {partner.label} (swept): {status}"
                    )
