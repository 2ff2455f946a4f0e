"""The fast path answers exactly as Connexion's pipeline does, and does serve conforming requests.

Two real sandboxes on the same seeded world, one with the compiled fast path and one without,
get the same sequence of requests (conforming ones, and every kind of request the fast path must
hand over to Connexion); every answer must be the same, up to what is random by nature.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from connexion.middleware.request_validation import RequestValidationOperation

from fixtures.partners import DEMO_PARTNERS
from sandbox.apis.immigraflow.plugin import ImmigraFlowApi
from sandbox.engine import validation
from sandbox.engine.fast_path import compile_operations
from sandbox.engine.spec import load_spec
from tests.support.clients import log_in, unique_email
from tests.support.server import RunningSandbox, start_sandbox

ACME = {"X-API-KEY": DEMO_PARTNERS[0]["api_key"], "X-API-SECRET": DEMO_PARTNERS[0]["api_secret"]}
GLOBEX = {"X-API-KEY": DEMO_PARTNERS[1]["api_key"], "X-API-SECRET": DEMO_PARTNERS[1]["api_secret"]}
JSON_HEADERS = {**ACME, "Content-Type": "application/json"}

# Random by nature, or the wall clock: compared by shape, not value.
VOLATILE_KEYS = {"request_id", "signing_secret", "token", "access_token", "code", "expires_at", "user_case_id"}
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)?$")
COMPARED_HEADERS = ("content-type", "location", "allow", "access-control-allow-origin", "retry-after")

Request = tuple[str, str, dict[str, Any]]


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[RunningSandbox, RunningSandbox]]:
    root = tmp_path_factory.mktemp("fast-path")
    with (
        start_sandbox(root / "fast.sqlite3", background=False) as fast,
        start_sandbox(root / "connexion.sqlite3", background=False, fast_path=False) as connexion,
    ):
        yield fast, connexion


def normalized(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: "<volatile>" if k in VOLATILE_KEYS else normalized(v) for k, v in value.items()}
    if isinstance(value, list):
        return [normalized(v) for v in value]
    if isinstance(value, str) and TIMESTAMP.match(value):
        return "<timestamp>"
    return value


def answer(response: httpx.Response, base_url: str) -> dict[str, Any]:
    try:
        body: Any = normalized(response.json())
    except ValueError:
        body = response.text
    headers = {name: response.headers.get(name, "").replace(base_url, "<sandbox>") for name in COMPARED_HEADERS}
    return {"status": response.status_code, "headers": headers, "body": body}


def requests_for(client: httpx.Client) -> Iterator[Request]:
    """The exchange both sandboxes get; ``client`` lets later requests use earlier answers."""
    yield "GET", "/v1/client/users", {"params": {"limit": 3}}
    yield "GET", "/v1/client/users", {"params": {"limit": 3, "page": 2, "status": "verified", "sort": "-created_at"}}
    yield "GET", "/v1/client/users", {"params": {"q": "a", "unknown": "ignored"}}
    yield "GET", "/v1/client/cases", {"params": {"limit": 2, "active": "true"}}
    yield "GET", "/v1/client/cases", {"params": {"limit": 2, "active": "false", "user_id": 1}}
    yield "GET", "/v1/client/cases", {"params": {"updated_since": "2020-01-01T00:00:00Z"}}
    yield "GET", "/v1/client", {}
    yield "GET", "/v1/webhooks", {}
    # Values Connexion must judge: not an integer, out of range, empty, repeated, odd booleans.
    for limit in ("abc", "0", "101", "-1", "+5", "1e3", "", "99999999999999999999999", "007"):
        yield "GET", "/v1/client/users", {"params": {"limit": limit}}
    yield "GET", "/v1/client/users?limit=2&limit=3", {}
    for active in ("True", "1", "yes", ""):
        yield "GET", "/v1/client/cases", {"params": {"active": active}}
    yield "GET", "/v1/client/users", {"params": {"status": "nonsense"}}
    # Credentials: none, a wrong secret, another partner's key with this secret, only the key.
    for headers in ({}, {**ACME, "X-API-SECRET": "wrong"}, {**GLOBEX, "X-API-SECRET": ACME["X-API-SECRET"]}):
        yield "GET", "/v1/client/users", {"headers": headers, "auth": False}
    yield "GET", "/v1/client/users", {"headers": {"X-API-KEY": ACME["X-API-KEY"]}, "auth": False}
    # Routes: unknown, trailing slash, wrong method, HEAD, malformed path parameters.
    for path in (
        "/v1/nowhere",
        "/v1/client/users/",
        "/v1/client/users/abc",
        "/v1/client/users/0",
        "/v1/client/cases/x",
    ):
        yield "GET", path, {}
    yield "PATCH", "/v1/client/users", {}
    yield "HEAD", "/v1/client/users", {}
    # Bodies: conforming, then every way to be wrong.
    created = client.post(
        "/v1/client/users", json={"email": "fast.path@example.com", "name": "Fast Path"}, headers=ACME
    )
    yield "POST", "/v1/client/users", {"json": {"email": "fast.path@example.com", "name": "Fast Path"}}  # 409 now
    user_id = created.json()["user"]["id"]
    yield "GET", f"/v1/client/users/{user_id}", {}
    yield "PUT", f"/v1/client/users/{user_id}", {"json": {"name": "Renamed", "phone": "+15555550100"}}
    yield "PUT", f"/v1/client/users/{user_id}", {"json": {"name": "Renamed", "phone": "+15555550100"}}
    for body in (b"", b"{", b"null", b"[]", b'{"name": 5}', b'{"email": "x"}', b"\xff\xfe", b'{"email": "a@b.co"}'):
        yield "POST", "/v1/client/users", {"content": body, "headers": JSON_HEADERS}
    for content_type in ("text/plain", "application/json; charset=latin-1", "application/x-www-form-urlencoded"):
        payload = json.dumps({"email": f"ct.{len(content_type)}@example.com", "name": "Content Type"}).encode()
        yield "POST", "/v1/client/users", {"content": payload, "headers": {**ACME, "Content-Type": content_type}}
    yield (
        "POST",
        "/v1/client/users",
        {
            "content": b'{"email": "charset@example.com", "name": "C"}',
            "headers": {**ACME, "Content-Type": "application/json; charset=utf-8"},
        },
    )
    case = client.post(
        f"/v1/client/users/{user_id}/cases", json={"receipt_number": "IOE0912345678"}, headers=ACME
    ).json()["case"]
    yield "POST", f"/v1/client/users/{user_id}/cases", {"json": {"receipt_number": "IOE0912345678"}}  # 409
    yield "GET", f"/v1/client/cases/{case['id']}", {}
    yield "GET", f"/v1/client/cases/{case['user_case_id']}", {}
    yield "GET", "/v1/client/cases/FLOW0000000", {}
    yield "GET", f"/v1/client/cases/{case['user_case_id']}", {"headers": GLOBEX, "auth": False}
    # The end user's own view, with a bearer token (and a partner key that is not theirs).
    with httpx.Client(base_url=str(client.base_url), headers=ACME, timeout=10) as partner:
        token = {"Authorization": f"Bearer {log_in(partner, 'fast.path@example.com')}"}
    yield "GET", f"/v1/users/{user_id}/cases", {"headers": {**token, "X-API-KEY": ACME["X-API-KEY"]}, "auth": False}
    yield "GET", f"/v1/users/{user_id}/cases", {"headers": token, "auth": False}
    yield "GET", f"/v1/users/{user_id}", {"headers": {"Authorization": "Bearer nope"}, "auth": False}
    yield "GET", f"/v1/users/{user_id}", {"headers": {"Authorization": "Basic abc"}, "auth": False}
    yield "GET", f"/v1/users/{user_id}", {"headers": {"Authorization": "Bearer"}, "auth": False}
    yield "GET", f"/v1/users/{user_id + 1}", {"headers": token, "auth": False}
    # No content, preflights, the HTML page left to Connexion, the controls API.
    yield "DELETE", f"/v1/client/users/{user_id}/cases", {}
    yield "DELETE", f"/v1/users/{user_id}/cases/{case['id']}", {}
    yield "DELETE", f"/v1/users/{user_id}/cases/{case['id']}", {}
    yield "OPTIONS", "/v1/users/resend-verification", {"headers": {"Origin": "https://app.example"}, "auth": False}
    yield "GET", "/v1/users/verify-email", {"params": {"token": "nope"}, "auth": False}
    yield "GET", "/_sandbox/faults", {}
    yield "POST", "/v1/check", {"json": {"receipt_number": "IOE0912345678"}}
    yield "POST", "/v1/check", {"json": {"receipt_number": "nope"}}
    yield "DELETE", f"/v1/client/users/{user_id}", {}
    yield "GET", f"/v1/client/users/{user_id}", {}


def exchange(server: RunningSandbox) -> list[tuple[str, dict[str, Any]]]:
    answers = []
    with server.client() as client:
        for method, path, options in requests_for(client):
            options = dict(options)
            headers = (
                options.pop("headers", {})
                if not options.pop("auth", True)
                else {
                    **ACME,
                    **options.pop("headers", {}),
                }
            )
            response = client.request(method, path, headers=headers, **options)
            label = f"{method} {path} {options.get('params', '')} {str(options.get('content', ''))[:40]}"
            answers.append((label, answer(response, server.url)))
    return answers


def test_fast_path_answers_as_connexion_does(servers: tuple[RunningSandbox, RunningSandbox]) -> None:
    fast, connexion = servers
    fast_answers, connexion_answers = exchange(fast), exchange(connexion)
    assert len(fast_answers) == len(connexion_answers) > 60
    for (label, got), (_, expected) in zip(fast_answers, connexion_answers, strict=True):
        assert got == expected, label
    statuses = {a["status"] for _, a in fast_answers}
    assert {200, 201, 204, 400, 401, 404, 405, 409, 415} <= statuses, statuses


def test_conforming_requests_skip_connexion_validation(
    servers: tuple[RunningSandbox, RunningSandbox], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The fast path serves them itself (Connexion's validation layer never sees them)."""
    seen: list[str] = []
    original = RequestValidationOperation.__call__

    async def spy(self: RequestValidationOperation, scope: Any, receive: Any, send: Any) -> None:
        seen.append(scope["path"])
        await original(self, scope, receive, send)

    monkeypatch.setattr(RequestValidationOperation, "__call__", spy)
    fast, connexion = servers
    for server in (fast, connexion):
        with server.client(headers=ACME) as client:
            assert client.get("/v1/client/users", params={"limit": 2}).status_code == 200
            assert (
                client.post("/v1/client/users", json={"email": f"spy@{server.port}.io", "name": "S"}).status_code == 201
            )
            assert client.get("/v1/client/users", params={"limit": "x"}).status_code == 400
    assert seen == [
        "/v1/client/users",  # the invalid limit, handed over by the fast path
        "/v1/client/users",  # the Connexion-only sandbox: all three
        "/v1/client/users",
        "/v1/client/users",
    ]


def test_every_operation_is_compiled_but_the_html_page() -> None:
    spec = load_spec(ImmigraFlowApi.spec_path)
    handlers: dict[str, Callable[..., Any]] = {
        op["operationId"]: lambda: None
        for item in spec["paths"].values()
        for op in item.values()
        if "operationId" in op
    }
    authenticators = {name: lambda credential, request: None for name in spec["components"]["securitySchemes"]}
    routes, skipped = compile_operations(spec, "", handlers, authenticators)
    assert len(routes) == len(handlers)
    assert skipped == {"verifyUserEmail": "response 200 content ['text/html']"}


def test_faults_apply_on_the_fast_path(servers: tuple[RunningSandbox, RunningSandbox], tmp_path: Path) -> None:
    fast, _ = servers
    with fast.client(headers=ACME) as client:
        fault = client.post(
            "/_sandbox/faults", json={"operation_id": "listClientUsers", "error_rate": 1, "status": 503}
        )
        assert fault.status_code == 201, fault.text
        try:
            failed = client.get("/v1/client/users")
            assert failed.status_code == 503
            assert failed.json()["error"]["message"].startswith("Injected by sandbox fault")
            assert client.get("/v1/client").status_code == 200
        finally:
            client.delete(f"/_sandbox/faults/{fault.json()['id']}")
        assert client.get("/v1/client/users").status_code == 200


def create_and_delete(client: httpx.Client, count: int) -> None:
    for _ in range(count):
        user = client.post("/v1/client/users", json={"email": unique_email("no.schema"), "name": "N"}).json()["user"]
        assert client.delete(f"/v1/client/users/{user['id']}").status_code == 204


def test_responses_without_a_schema_compile_nothing_per_request(
    servers: tuple[RunningSandbox, RunningSandbox],
) -> None:
    """A 204 (JSON content type, no schema) once compiled a validator per request, on both paths."""
    for server in servers:
        with server.client(headers=ACME) as client:
            create_and_delete(client, 2)  # every schema these operations use, compiled once
            before = len(validation._COMPILED)
            create_and_delete(client, 20)
            assert len(validation._COMPILED) == before, server.settings.fast_path
