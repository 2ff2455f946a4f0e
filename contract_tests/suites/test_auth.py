"""Layer 4: authentication and tenancy, for every operation that declares security.

Each test sends a well-formed request about the run's own objects with bad or foreign credentials
(none, a wrong secret, a key alone, another partner's key or keys, another user's bearer token) and
expects what the spec says (401, or 404 for someone else's object), never data. A control request
with the right credentials then proves the bad one was refused for its credentials alone.

``verifyLoginCode`` is sent a fresh code of one of the run's users (read from the sandbox outbox)
with bad credentials, another partner's key, or another user's email: it must be a 401 carrying no
token, and the same code with the user's own email and the right key must then log in.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
import requests

from contract_tests.api import exchange_of, expect
from contract_tests.checks.envelope import envelope_problems
from contract_tests.checks.failures import (
    AuthNotEnforced,
    ContractFailure,
    CrossTenantLeak,
    CrossUserLeak,
    MissingEnvelope,
    WrongAuthStatus,
)
from contract_tests.context import RunContext
from contract_tests.identities import BearerUser, bearer_headers, key_headers, partner_headers
from contract_tests.pytest_plugin import contract_settings
from contract_tests.resources import Created
from contract_tests.spec import AuthKind, Operation, SpecIndex

pytestmark = pytest.mark.contract_auth

INDEX = SpecIndex.from_path(contract_settings().spec_path)


@dataclass(frozen=True, slots=True)
class Request:
    method: str
    path: str
    json: Any = None

    def send(self, run: RunContext, headers: dict[str, str]) -> requests.Response:
        kwargs: dict[str, Any] = {"headers": headers}
        if self.json is not None:
            kwargs["json"] = self.json
        return run.session.request(self.method, run.target.base_url + self.path, **kwargs)


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    #: Status the spec prescribes (401: credentials refused, 404: someone else's object).
    status: int
    #: Which operations it applies to.
    applies: Callable[[Operation], bool]
    needs: tuple[str, ...] = ()  # "second", "bearer"
    foreign: bool = False  # valid credentials of someone else: success would be a leak


def _has_path_object(op: Operation) -> bool:
    return "{" in op.path


def _verifies_login_code(op: Operation) -> bool:
    return op.operation_id == "verifyLoginCode"


SCENARIOS = [
    Scenario("no-credentials", 401, lambda op: op.auth is not AuthKind.NONE),
    Scenario("wrong-secret", 401, lambda op: op.auth is AuthKind.PARTNER),
    Scenario("key-without-secret", 401, lambda op: op.auth is AuthKind.PARTNER),
    Scenario("unknown-key", 401, lambda op: op.auth is AuthKind.KEY),
    Scenario("forged-bearer", 401, lambda op: op.accepts_bearer),
    Scenario("partner-keys-on-self-service", 401, lambda op: op.auth is AuthKind.BEARER),
    Scenario("other-partner-key", 401, lambda op: op.auth is AuthKind.PARTNER, needs=("second",)),
    Scenario(
        "other-partner",
        404,
        lambda op: op.auth is AuthKind.PARTNER and _has_path_object(op),
        needs=("second",),
        foreign=True,
    ),
    Scenario(
        "other-partner-lists",
        200,
        lambda op: op.auth is AuthKind.PARTNER and op.method == "get" and not _has_path_object(op),
        needs=("second",),
        foreign=True,
    ),
    Scenario("other-user-bearer", 404, lambda op: op.accepts_bearer, needs=("bearer",), foreign=True),
    Scenario(
        "other-partner-user-bearer",
        404,
        lambda op: op.accepts_bearer,
        needs=("bearer", "second"),
        foreign=True,
    ),
    Scenario(
        "bearer-on-partner-route",
        401,
        lambda op: op.auth is AuthKind.PARTNER and not op.accepts_bearer,
        needs=("bearer",),
    ),
    # A user's fresh login code, sent with another partner's key, or with another user's email.
    Scenario("other-partner-code", 401, _verifies_login_code, needs=("second",), foreign=True),
    Scenario("other-user-code", 401, _verifies_login_code, foreign=True),
]

CASES = [
    (operation.operation_id, scenario)
    for operation in INDEX.selected(contract_settings().operations)
    for scenario in SCENARIOS
    if scenario.applies(operation)
]


class Identities:
    """Logged-in users for the bearer scenarios, created once per module."""

    def __init__(self, run: RunContext) -> None:
        self.run = run
        self._other: BearerUser | None = None
        self._foreign: BearerUser | None = None

    @property
    def owner(self) -> BearerUser:
        assert self.run.bearer is not None
        return self.run.bearer

    @property
    def other(self) -> BearerUser:
        if self._other is None:
            self._other = self.run.login_new_user(self.run.partner, tag="other-user")
        return self._other

    @property
    def foreign(self) -> BearerUser:
        if self._foreign is None:
            assert self.run.second is not None
            self._foreign = self.run.login_new_user(self.run.second, tag="other-partner-user")
        return self._foreign


@pytest.fixture(scope="module")
def identities(contract_run: RunContext) -> Identities:
    return Identities(contract_run)


class Objects:
    """The objects a request names: the run's own (fresh ones for deletes), or, read-only, existing ones."""

    def __init__(self, run: RunContext) -> None:
        self.run = run
        self._existing: dict[str, Any] | None = None
        self._code_owner: Created | None = None

    def existing(self) -> dict[str, Any]:
        if self._existing is None:
            client = self.run.client()
            cases = expect(
                client.get("/v1/client/cases", params={"limit": 1}), 200, operation="listClientCases"
            )
            users = expect(
                client.get("/v1/client/users", params={"limit": 1}), 200, operation="listClientUsers"
            )
            hooks = expect(client.get("/v1/webhooks", params={"limit": 1}), 200, operation="listWebhooks")
            case = cases["cases"][0] if cases["cases"] else None
            self._existing = {
                "user_id": case["user"]["id"]
                if case
                else (users["users"][0]["id"] if users["users"] else None),
                "case": case,
                "webhook_id": hooks["webhooks"][0]["id"] if hooks["webhooks"] else None,
            }
        return self._existing

    def read_only_request(self, op: Operation) -> Request:
        found = self.existing()
        case = found["case"]
        values = {
            "user_id": found["user_id"],
            "case_ref": (case["user_case_id"] if op.operation_id == "getClientCase" else case["id"])
            if case
            else None,
            "webhook_id": found["webhook_id"],
        }
        needed = [name for name in values if "{" + name + "}" in op.path]
        if any(values[name] is None for name in needed):
            pytest.skip(f"read-only mode and the partner has no object for {op.path}")
        return Request("GET", op.path.format(**{name: values[name] for name in needed}))

    def request(self, op: Operation, owner: int) -> Request:
        """A valid request of ``op`` about the run's own objects (fresh ones for a delete)."""
        run = self.run
        marker = run.marker
        user_id = owner
        if op.operation_id == "deleteClientUser":
            user_id = run.new_user(tag="auth-delete").id
        pending = run.pool_user()
        assert pending is not None
        if op.operation_id == "resendClientUserVerification":
            user_id = pending.id
        case_ref: Any = None
        if "{case_ref}" in op.path:
            case_owner = owner if op.path.startswith("/v1/users/") else pending.id
            case = run.new_case(case_owner) if op.operation_id == "deleteCase" else run.pool_case(case_owner)
            assert case is not None
            case_ref = case.ref if op.operation_id == "getClientCase" else case.id
            user_id = case_owner
        webhook_id: Any = None
        if "{webhook_id}" in op.path:
            webhook = run.new_webhook()[0] if op.operation_id == "deleteWebhook" else run.pool_webhook()
            assert webhook is not None
            webhook_id = webhook.id
        bodies: dict[str, Any] = {
            "checkCaseStatus": {"receipt_number": run.receipt()},
            "createUser": {"email": marker.email("auth"), "name": marker.label("Auth Check")},
            "createClientUser": {"email": marker.email("auth"), "name": marker.label("Auth Check")},
            "resendVerification": {"email": pending.data.get("email")},
            "updateUser": {"name": marker.label("Auth Check")},
            "updateClientUser": {"name": marker.label("Auth Check")},
            "createCase": {"receipt_number": run.receipt(), "description": marker.label("auth", 500)},
            "createClientUserCase": {
                "receipt_number": run.receipt(),
                "description": marker.label("auth", 500),
            },
            "updateCase": {"description": marker.label("auth", 500)},
            "createWebhook": {
                "url": marker.webhook_url(),
                "events": ["case.created"],
                "description": marker.label("auth", 200),
            },
            "updateWebhook": {"description": marker.label("auth", 200)},
            "requestLoginCode": {"email": marker.nobody},
            "updateClientLogo": {"logo_url": run.original_logo or "https://example.com/logo.png"},
        }
        path = op.path.format(user_id=user_id, case_ref=case_ref, webhook_id=webhook_id)
        return Request(op.method.upper(), path, bodies.get(op.operation_id))

    def login_code(self, op: Operation, scenario: Scenario, identities: Identities) -> tuple[Request, Request]:
        """``verifyLoginCode`` with a fresh code of the run's own active user: (the scenario's request, its control).

        The control is the user's own email and code; ``other-user-code`` sends that code with the
        email of another active user of the same partner instead.
        """
        run = self.run
        if self._code_owner is None:
            self._code_owner = run.new_user(tag="auth-login-code", reserved=True)
            run.verify_email(run.partner, self._code_owner.data["email"])
        email = self._code_owner.data["email"]
        code = run.login_code(run.partner, email)  # replaces any earlier code of the user
        control = Request(op.method.upper(), op.path, {"email": email, "code": code})
        if scenario.name == "other-user-code":
            other_email = identities.other.email
            assert other_email is not None and other_email != email
            return Request(op.method.upper(), op.path, {"email": other_email, "code": code}), control
        return control, control


@pytest.fixture(scope="module")
def objects(contract_run: RunContext) -> Objects:
    return Objects(contract_run)


def headers_for(scenario: Scenario, run: RunContext, identities: Identities) -> dict[str, str]:
    partner = run.partner
    match scenario.name:
        case "no-credentials":
            return {}
        case "wrong-secret":
            return {"X-API-KEY": partner.api_key, "X-API-SECRET": partner.api_secret[:-4] + "0000"}
        case "key-without-secret":
            return key_headers(partner)
        case "unknown-key":
            return {"X-API-KEY": partner.api_key[:-4] + "0000"}
        case "forged-bearer":
            return bearer_headers("ifu_forged_" + "0" * 32)
        case "partner-keys-on-self-service":
            return partner_headers(partner)
        case "other-partner-key":
            assert run.second is not None
            return {"X-API-KEY": run.second.api_key, "X-API-SECRET": partner.api_secret}
        case "other-partner" | "other-partner-lists":
            assert run.second is not None
            return partner_headers(run.second)
        case "other-user-bearer":
            return bearer_headers(identities.other.token)
        case "other-partner-user-bearer":
            return bearer_headers(identities.foreign.token)
        case "bearer-on-partner-route":
            return bearer_headers(identities.other.token)
        case "other-partner-code":
            assert run.second is not None
            return key_headers(run.second)
        case "other-user-code":
            return key_headers(partner)
    raise AssertionError(scenario.name)


BEARER_SCENARIOS = {"other-user-bearer", "other-partner-user-bearer"}
# Scenarios that log a second end user in (a token that is not the run's own): through the outbox.
SECOND_USER_SCENARIOS = {*BEARER_SCENARIOS, "bearer-on-partner-route"}


def control_headers(
    op: Operation, scenario: Scenario, run: RunContext, owner: BearerUser | None
) -> dict[str, str]:
    """The right credentials: the partner's, or the owner's own token when the scenario is about tokens."""
    if op.auth is AuthKind.KEY:
        return key_headers(run.partner)
    if owner is not None and (op.auth is AuthKind.BEARER or scenario.name in BEARER_SCENARIOS):
        return bearer_headers(owner.token)
    return partner_headers(run.partner)


def leaked(run: RunContext, response: requests.Response) -> list[str]:
    """Canaries of the run's main partner found in a response sent to someone else."""
    text = response.text
    return [
        c.describe() for c in run.tracker.canaries() if c.partner == run.partner.api_key and c.needle in text
    ]


@pytest.mark.parametrize(("operation_id", "scenario"), CASES, ids=[f"{op}-{sc.name}" for op, sc in CASES])
def test_credentials(
    contract_run: RunContext, identities: Identities, objects: Objects, operation_id: str, scenario: Scenario
) -> None:
    run = contract_run
    op = INDEX[operation_id]
    if "second" in scenario.needs and run.second is None:
        pytest.skip("no second partner (give --second-partner-key/--second-partner-secret)")
    if "bearer" in scenario.needs and run.bearer is None:
        pytest.skip(
            "no bearer token: the target has no sandbox outbox (give --bearer-token/--bearer-user-id)"
        )
    if op.is_write and not run.writes:
        pytest.skip("read-only mode: the request would be a write")
    if scenario.name in SECOND_USER_SCENARIOS and not run.target.controls:
        pytest.skip("a second end user's token needs a login through the sandbox outbox, which the target lacks")
    if op.auth is AuthKind.BEARER and not run.target.controls:
        pytest.skip("the self-service delete needs a user logged in through the sandbox outbox")
    if operation_id == "verifyLoginCode" and not run.target.controls:
        pytest.skip("verifying a login code needs a fresh code from the sandbox outbox, which the target lacks")
    # The object owner: the run's logged-in user (bearer scenarios, self-service delete) or a pool user.
    owner: BearerUser | None = None
    if op.auth is AuthKind.BEARER:
        owner = run.login_new_user(run.partner, tag="auth-self-delete")
    elif op.accepts_bearer and run.bearer is not None:
        owner = identities.owner
    control_request: Request | None = None
    if operation_id == "verifyLoginCode":
        request, control_request = objects.login_code(op, scenario, identities)
    elif run.writes:
        pool = run.pool_user()
        assert pool is not None
        request = objects.request(op, owner.user_id if owner else pool.id)
    else:
        request = objects.read_only_request(op)

    response = request.send(run, headers_for(scenario, run, identities))
    status = response.status_code

    if scenario.name == "other-partner-lists":
        expect(response, 200, operation=operation_id)
        found = leaked(run, response)
        if found:
            raise CrossTenantLeak(
                operation=op.label,
                message=f"{run.second.label} was shown: "  # type: ignore[union-attr]
                + "; ".join(found[:5]),
                exchange=exchange_of(response),
            )
        return
    failure: type[ContractFailure] = AuthNotEnforced
    if scenario.foreign:
        failure = CrossUserLeak if scenario.name.startswith("other-user") else CrossTenantLeak
    if 200 <= status < 300:
        raise failure(
            operation=op.label,
            message=f"Scenario: {scenario.name}\nReceived: {status}\nExpected: {scenario.status} (spec: "
            f"{', '.join(s for s in op.statuses if s in {'401', '404'})})",
            exchange=exchange_of(response),
        )
    if operation_id == "verifyLoginCode" and "access_token" in response.text:
        raise failure(
            operation=op.label,
            message=f"Scenario: {scenario.name}\nReceived: {status} with an access_token in the body\n"
            "Expected: no token",
            exchange=exchange_of(response),
        )
    if status != scenario.status:
        raise WrongAuthStatus(
            operation=op.label,
            message=f"Scenario: {scenario.name}\nReceived: {status}\nExpected: {scenario.status}",
            exchange=exchange_of(response),
        )
    problems = envelope_problems(
        response.json() if "json" in response.headers.get("content-type", "") else None
    )
    if problems:
        raise MissingEnvelope(operation=op.label, message="; ".join(problems), exchange=exchange_of(response))
    # Control: the same request with the right credentials is not refused, and the object exists.
    control = (control_request or request).send(run, control_headers(op, scenario, run, owner))
    if control.status_code in (401, 403, 404) or control.status_code >= 500:
        raise WrongAuthStatus(
            operation=op.label,
            message=f"control request with valid credentials answered {control.status_code}: "
            "the scenario proves nothing",
            exchange=exchange_of(control),
        )
    if operation_id == "verifyLoginCode":
        # The code was valid: the user's own email and the right key log in with it.
        data = expect(
            control,
            200,
            operation=op.label,
            failure=WrongAuthStatus,
            why="the user's own fresh code with the right key logs in; otherwise the scenario proves nothing",
        )
        if not isinstance(data, dict) or not data.get("access_token"):
            raise WrongAuthStatus(
                operation=op.label,
                message="control request answered 200 without an access_token",
                exchange=exchange_of(control),
            )
