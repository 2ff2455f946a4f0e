"""Layer 5: everything a client can get wrong is answered with the ErrorEnvelope and the right status.

Schemathesis already runs ``error_envelope_conformance`` on every generated error (layers 2 and 3);
these tests add the errors generation rarely reaches: broken JSON, wrong media types, oversized
bodies, unknown routes, undocumented methods, malformed ids, conflicts and unknown receipt prefixes.
"""

from __future__ import annotations

from typing import Any

import pytest
import requests

from contract_tests.api import exchange_of
from contract_tests.checks.envelope import error_response_failure
from contract_tests.checks.failures import MissingAllowHeader, WrongStatus
from contract_tests.context import RunContext
from contract_tests.pytest_plugin import contract_settings
from contract_tests.spec import AuthKind, Operation, SpecIndex

pytestmark = pytest.mark.contract_errors

INDEX = SpecIndex.from_path(contract_settings().spec_path)
SELECTED = INDEX.selected(contract_settings().operations)
JSON_BODY_OPS = [
    op
    for op in SELECTED
    if "application/json"
    in (INDEX.raw["paths"][op.path][op.method].get("requestBody") or {}).get("content", {})
]
LIST_OPS = [
    op
    for op in SELECTED
    if op.method == "get"
    and any(
        p.get("$ref", "").endswith("/Limit") for p in INDEX.raw["paths"][op.path]["get"].get("parameters", [])
    )
]
ID_PATHS = sorted(
    {
        op.path
        for op in SELECTED
        if op.method == "get" and ("{user_id}" in op.path or "{webhook_id}" in op.path)
    }
)
CASE_PATHS = sorted(
    {op.path for op in SELECTED if "{case_ref}" in op.path and op.method == "get"}
)
ALL_PATHS = sorted({op.path for op in SELECTED})


def assert_error(
    response: requests.Response, status: int | tuple[int, ...], operation: str
) -> dict[str, Any]:
    """The response is an error with one of ``status`` and a proper ErrorEnvelope."""
    expected = status if isinstance(status, tuple) else (status,)
    if response.status_code not in expected:
        raise WrongStatus(
            operation=operation,
            message=f"Received: {response.status_code}\nExpected: {' or '.join(map(str, expected))}",
            exchange=exchange_of(response),
        )
    try:
        body = response.json()
    except ValueError:
        body = None
    failure = error_response_failure(
        response.status_code,
        response.headers.get("content-type", ""),
        body,
        response.headers.get("x-request-id"),
        operation,
        exchange_of(response),
    )
    if failure is not None:
        raise failure
    return body  # type: ignore[no-any-return]


def headers_for(run: RunContext, op: Operation) -> dict[str, str]:
    if op.auth is AuthKind.KEY:
        return {"X-API-KEY": run.partner.api_key}
    return {"X-API-KEY": run.partner.api_key, "X-API-SECRET": run.partner.api_secret}


def concrete(run: RunContext, path: str) -> str:
    """``path`` about the run's own objects (a pool user, case, webhook)."""
    user = run.pool_user()
    assert user is not None
    values: dict[str, Any] = {"user_id": user.id}
    if "{case_ref}" in path:
        case = run.pool_case(user.id)
        assert case is not None
        values["case_ref"] = case.id
    if "{webhook_id}" in path:
        webhook = run.pool_webhook()
        assert webhook is not None
        values["webhook_id"] = webhook.id
    return path.format(**values)


@pytest.fixture
def run(contract_run: RunContext) -> RunContext:
    if not contract_run.writes:
        pytest.skip("read-only mode: the request is not a GET")
    return contract_run


@pytest.mark.parametrize("op", JSON_BODY_OPS, ids=[op.operation_id for op in JSON_BODY_OPS])
def test_malformed_json_is_400(run: RunContext, op: Operation) -> None:
    headers = {**headers_for(run, op), "Content-Type": "application/json"}
    response = run.session.request(
        op.method, run.target.base_url + concrete(run, op.path), data=b'{"email": ', headers=headers
    )
    assert_error(response, 400, op.label)


@pytest.mark.parametrize("op", JSON_BODY_OPS, ids=[op.operation_id for op in JSON_BODY_OPS])
def test_wrong_media_type_is_415(run: RunContext, op: Operation) -> None:
    headers = {**headers_for(run, op), "Content-Type": "text/plain"}
    response = run.session.request(
        op.method, run.target.base_url + concrete(run, op.path), data=b"email=x", headers=headers
    )
    assert_error(response, 415, op.label)


def test_non_utf8_body_is_400(run: RunContext) -> None:
    response = run.client().post(
        "/v1/users",
        data=b'{"email": "\xff\xfe@example.com", "name": "x"}',
        headers={"Content-Type": "application/json"},
    )
    assert_error(response, 400, "createUser")


def test_oversized_body_is_413(run: RunContext) -> None:
    body = b'{"email": "' + b"a" * (1024 * 1024 + 16) + b'@example.com", "name": "x"}'
    response = run.client().post("/v1/users", data=body, headers={"Content-Type": "application/json"})
    assert_error(response, 413, "createUser")


def test_missing_required_fields_are_listed(run: RunContext) -> None:
    body = assert_error(run.client().post("/v1/users", json={}), 400, "createUser")
    fields = {detail.get("field") for detail in body["error"].get("details") or []}
    assert fields & {"email", "name", "body"}, f"details do not name the missing fields: {body}"


def test_unknown_field_is_400(run: RunContext) -> None:
    body = {"email": run.marker.email("unknown-field"), "name": run.marker.label("X"), "is_admin": True}
    assert_error(run.client().post("/v1/users", json=body), 400, "createUser")


def test_duplicate_email_is_409(run: RunContext) -> None:
    user = run.new_user(tag="duplicate")
    again = {"email": user.data["email"], "name": run.marker.label("Duplicate")}
    assert_error(run.client().post("/v1/client/users", json=again), 409, "createClientUser")


def test_duplicate_receipt_is_409(run: RunContext) -> None:
    user = run.new_user(tag="duplicate-receipt")
    case = run.new_case(user.id)
    body = {"receipt_number": case.data["receipt_number"]}
    assert_error(run.client().post(f"/v1/users/{user.id}/cases", json=body), 409, "createCase")


@pytest.mark.parametrize(
    ("path", "receipt", "status"),
    [
        ("/v1/check", "ABC1234567890", 422),
        ("/v1/check", "IOE123", 400),
        ("/v1/users/{user_id}/cases", "ABC1234567890", 422),
        ("/v1/users/{user_id}/cases", "ioe0923456789", 400),
    ],
    ids=["check-unknown-prefix", "check-malformed", "createCase-unknown-prefix", "createCase-malformed"],
)
def test_bad_receipt_numbers(run: RunContext, path: str, receipt: str, status: int) -> None:
    response = run.client().post(concrete(run, path), json={"receipt_number": receipt})
    assert_error(response, status, f"POST {path}")


# Read-only errors (GET only): safe against any deployment
def test_unknown_route_is_404(contract_run: RunContext) -> None:
    assert_error(
        contract_run.client().get("/v1/no-such-route-for-contract-tests"), 404, "GET /v1/no-such-route"
    )


@pytest.mark.parametrize("op", LIST_OPS, ids=[op.operation_id for op in LIST_OPS])
@pytest.mark.parametrize(
    "query",
    [{"limit": 0}, {"limit": 101}, {"page": 0}, {"page": "first"}],
    ids=["limit-0", "limit-101", "page-0", "page-text"],
)
def test_bad_pagination_is_400(contract_run: RunContext, op: Operation, query: dict[str, Any]) -> None:
    run = contract_run
    if "{user_id}" in op.path and not run.writes:
        pytest.skip("read-only mode: no user of the run's own to list")
    path = concrete(run, op.path) if "{" in op.path else op.path
    response = run.session.get(run.target.base_url + path, params=query, headers=headers_for(run, op))
    assert_error(response, 400, op.label)


@pytest.mark.parametrize("path", ID_PATHS)
def test_malformed_id_is_400(contract_run: RunContext, path: str) -> None:
    op = INDEX.match(
        "GET", path.replace("{user_id}", "1").replace("{webhook_id}", "1").replace("{case_ref}", "1")
    )
    assert op is not None
    broken = path.replace("{user_id}", "abc").replace("{webhook_id}", "abc").replace("{case_ref}", "1")
    response = contract_run.session.get(
        contract_run.target.base_url + broken, headers=headers_for(contract_run, op)
    )
    assert_error(response, 400, op.label)


@pytest.mark.parametrize("path", CASE_PATHS)
@pytest.mark.parametrize("ref", ["FLOW12", "0", "CASE1234567"])
def test_malformed_case_ref_is_400(contract_run: RunContext, path: str, ref: str) -> None:
    run = contract_run
    if "{user_id}" in path and not run.writes:
        pytest.skip("read-only mode: no user of the run's own")
    user = run.pool_user() if run.writes else None
    concrete_path = path.format(user_id=user.id if user else 1, case_ref=ref)
    op = INDEX.match("GET", concrete_path)
    assert op is not None
    response = run.session.get(run.target.base_url + concrete_path, headers=headers_for(run, op))
    assert_error(response, 400, op.label)


@pytest.mark.parametrize("path", ALL_PATHS)
def test_undocumented_method_is_405_with_allow(run: RunContext, path: str) -> None:
    documented = set(INDEX.methods(path))
    method = next(m for m in ("PATCH", "PUT", "DELETE", "POST", "GET") if m not in documented)
    concrete_path = concrete(run, path)
    response = run.session.request(
        method,
        run.target.base_url + concrete_path,
        headers={"X-API-KEY": run.partner.api_key, "X-API-SECRET": run.partner.api_secret},
    )
    assert_error(response, 405, f"{method} {path}")
    allow = {m.strip().upper() for m in response.headers.get("allow", "").split(",") if m.strip()}
    if allow - {"HEAD", "OPTIONS"} != documented - {"HEAD", "OPTIONS"}:
        raise MissingAllowHeader(
            operation=f"{method} {path}",
            message=f"Allow: {response.headers.get('allow')!r}\nExpected: {', '.join(sorted(documented))}",
            exchange=exchange_of(response),
        )
