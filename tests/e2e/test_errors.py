"""Everything a client can get wrong answers the error envelope with the right status, never a 500."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.support.clients import new_user, unique_email

pytestmark = pytest.mark.e2e


def assert_envelope(response: httpx.Response, status: int, code: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json"), response.headers
    body = response.json()
    assert set(body) == {"error", "request_id"}, body
    assert body["request_id"] == response.headers["x-request-id"]
    assert body["error"]["message"]
    if code:
        assert body["error"]["code"] == code, body
    return body


def test_invalid_json(acme: httpx.Client) -> None:
    response = acme.post("/v1/users", content=b'{"email": ', headers={"Content-Type": "application/json"})
    assert_envelope(response, 400, "bad_request")


def test_non_utf8_body(acme: httpx.Client) -> None:
    response = acme.post(
        "/v1/users", content=b'{"email": "\xff\xfe@x.com"}', headers={"Content-Type": "application/json"}
    )
    assert_envelope(response, 400)


def test_wrong_content_type(acme: httpx.Client) -> None:
    response = acme.post("/v1/users", content=b"email=a@b.com", headers={"Content-Type": "text/plain"})
    assert_envelope(response, 415, "unsupported_media_type")


def test_schema_violation_lists_fields(acme: httpx.Client) -> None:
    body = assert_envelope(acme.post("/v1/users", json={"email": "not-an-email", "name": ""}), 400)
    assert {d["field"] for d in body["error"]["details"]} & {"email", "name"}


def test_unknown_field_is_rejected(acme: httpx.Client) -> None:
    assert_envelope(acme.post("/v1/users", json={"email": "x@example.com", "name": "X", "admin": True}), 400)


def test_unknown_route(acme: httpx.Client) -> None:
    assert_envelope(acme.get("/v1/nothing-here"), 404, "not_found")


def test_method_not_allowed_lists_allowed_methods(acme: httpx.Client) -> None:
    response = acme.patch("/v1/users/1", json={})
    assert_envelope(response, 405, "method_not_allowed")
    assert response.headers["allow"] == "DELETE, GET, PUT"
    response = acme.delete("/v1/users")
    assert_envelope(response, 405)
    assert response.headers["allow"] == "GET, POST"


def test_malformed_path_parameters(acme: httpx.Client) -> None:
    assert_envelope(acme.get("/v1/users/abc"), 400)
    user = new_user(acme)
    assert_envelope(acme.get(f"/v1/users/{user['id']}/cases/FLOW12"), 400)
    assert_envelope(acme.get(f"/v1/users/{user['id']}/cases/99999999"), 404, "not_found")


def test_oversize_body(acme: httpx.Client) -> None:
    big = b'{"email": "a@example.com", "name": "' + b"x" * (2 * 1024 * 1024) + b'"}'
    assert_envelope(acme.post("/v1/users", content=big, headers={"Content-Type": "application/json"}), 413)


def test_chunked_bodies_are_capped_and_otherwise_served_whole(acme: httpx.Client) -> None:
    """Without a Content-Length the body is buffered up to the cap, then replayed to the handler."""

    def chunks(body: bytes, size: int = 64 * 1024) -> Iterator[bytes]:
        yield from (body[i : i + size] for i in range(0, len(body), size))

    json_headers = {"Content-Type": "application/json"}
    big = b'{"email": "a@example.com", "name": "' + b"x" * (2 * 1024 * 1024) + b'"}'
    assert_envelope(acme.post("/v1/users", content=chunks(big), headers=json_headers), 413)
    email = unique_email("chunked")
    created = acme.post(
        "/v1/users", content=chunks(json.dumps({"email": email, "name": "C"}).encode(), 8), headers=json_headers
    )
    assert created.status_code == 201, created.text
    assert created.json()["user"]["email"] == email


def test_missing_and_wrong_credentials(anonymous: httpx.Client, acme: httpx.Client) -> None:
    assert_envelope(anonymous.get("/v1/client"), 401, "unauthenticated")
    key = acme.headers["X-API-KEY"]
    assert_envelope(anonymous.get("/v1/client", headers={"X-API-KEY": key, "X-API-SECRET": "wrong"}), 401)
    assert_envelope(anonymous.get("/v1/client", headers={"X-API-KEY": key}), 401)
    assert_envelope(anonymous.get("/v1/users/1", headers={"Authorization": "Bearer nope"}), 401)


def test_receipt_numbers(acme: httpx.Client) -> None:
    assert_envelope(acme.post("/v1/check", json={"receipt_number": "IOE09234"}), 400)
    body = assert_envelope(acme.post("/v1/check", json={"receipt_number": "ABC0923456789"}), 422, "unprocessable")
    assert "ABC" in body["error"]["message"]
    ok = acme.post("/v1/check", json={"receipt_number": "IOE0923456789"})
    assert ok.status_code == 200 and ok.json()["receipt_number"] == "IOE0923456789"
    assert ok.json() | {"checked_at": None} == acme.post(
        "/v1/check", json={"receipt_number": "IOE0923456789"}
    ).json() | {"checked_at": None}  # deterministic per receipt number


def test_never_problem_json(acme: httpx.Client, anonymous: httpx.Client) -> None:
    for response in (
        anonymous.get("/v1/users"),
        acme.get("/v1/users", params={"limit": 1000}),
        acme.get("/v1/users", params={"page": "x"}),
        acme.post("/v1/users", content=b"[]", headers={"Content-Type": "application/json"}),
    ):
        assert "problem" not in response.headers["content-type"]
        assert response.status_code in (400, 401), response.text
