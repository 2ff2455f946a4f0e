"""Email verification, resend with CORS preflights, login codes (expiry, attempt limit), bearer scope."""

from __future__ import annotations

import httpx
import pytest

from tests.support.clients import activate, latest, new_user

pytestmark = pytest.mark.e2e


def test_resend_replaces_the_link_and_preflights_allow_browsers(acme: httpx.Client, anonymous: httpx.Client) -> None:
    user = new_user(acme)
    first = latest(acme, "verification", user["email"])["link"]
    for path, body in (
        ("/v1/users/resend-verification", {"email": user["email"]}),
        (f"/v1/client/users/{user['id']}/resend-verification", None),
    ):
        preflight = anonymous.options(
            path, headers={"Origin": "https://app.partner.test", "Access-Control-Request-Method": "POST"}
        )
        assert preflight.status_code == 204
        assert preflight.headers["access-control-allow-origin"] == "*"
        assert "POST" in preflight.headers["access-control-allow-methods"]
        assert "x-api-key" in preflight.headers["access-control-allow-headers"].lower()
        resent = acme.post(path, json=body) if body else acme.post(path)
        assert resent.status_code == 202 and resent.headers["access-control-allow-origin"] == "*"
    newest = latest(acme, "verification", user["email"])["link"]
    assert newest != first
    stale = anonymous.get(first.split(str(anonymous.base_url).rstrip("/"))[-1], headers={"Accept": "text/html"})
    assert stale.status_code == 404 and stale.headers["content-type"].startswith("text/html")
    assert anonymous.get(newest.split(str(anonymous.base_url).rstrip("/"))[-1]).status_code == 200
    done = acme.post("/v1/users/resend-verification", json={"email": user["email"]})
    assert done.status_code == 202 and "already verified" in done.json()["message"]
    assert acme.post("/v1/users/resend-verification", json={"email": "nobody@example.com"}).status_code == 404


def test_login_code_is_always_accepted_but_only_sent_to_active_users(acme: httpx.Client) -> None:
    key_only = {"X-API-KEY": acme.headers["X-API-KEY"]}
    pending = new_user(acme)
    for email in (pending["email"], "unknown@example.com"):
        assert acme.post("/v1/auth/login-code", json={"email": email}, headers=key_only).status_code == 202
    codes = acme.get("/_sandbox/outbox", params={"kind": "login_code", "recipient": pending["email"]}).json()
    assert codes["messages"] == []


def test_wrong_codes_are_limited_and_codes_expire(acme: httpx.Client, globex: httpx.Client) -> None:
    key_only = {"X-API-KEY": acme.headers["X-API-KEY"]}
    user = new_user(acme)
    activate(acme, user["email"])
    acme.post("/v1/auth/login-code", json={"email": user["email"]}, headers=key_only)
    code = latest(acme, "login_code", user["email"])["code"]
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for _ in range(5):
        refused = acme.post("/v1/auth/verify-code", json={"email": user["email"], "code": wrong}, headers=key_only)
        assert refused.status_code == 401 and refused.json()["error"]["code"] == "unauthenticated"
    locked = acme.post("/v1/auth/verify-code", json={"email": user["email"], "code": code}, headers=key_only)
    assert locked.status_code == 429 and int(locked.headers["retry-after"]) > 0

    # A fresh code works once; after 10 simulated minutes a new one has expired.
    acme.post("/v1/auth/login-code", json={"email": user["email"]}, headers=key_only)
    code = latest(acme, "login_code", user["email"])["code"]
    ok = acme.post("/v1/auth/verify-code", json={"email": user["email"], "code": code}, headers=key_only)
    assert ok.status_code == 200 and ok.json()["expires_in"] == 3600
    again = acme.post("/v1/auth/verify-code", json={"email": user["email"], "code": code}, headers=key_only)
    assert again.status_code == 401
    # Another partner's key does not know this user.
    other = {"X-API-KEY": globex.headers["X-API-KEY"]}
    assert (
        acme.post("/v1/auth/verify-code", json={"email": user["email"], "code": code}, headers=other).status_code == 401
    )

    token = ok.json()["access_token"]
    bearer = {"Authorization": f"Bearer {token}"}
    assert acme.get(f"/v1/users/{user['id']}", headers=bearer).status_code == 200
    acme.post("/v1/auth/login-code", json={"email": user["email"]}, headers=key_only)
    late_code = latest(acme, "login_code", user["email"])["code"]
    acme.post("/_sandbox/clock/advance", json={"seconds": 3601})
    late = acme.post("/v1/auth/verify-code", json={"email": user["email"], "code": late_code}, headers=key_only)
    assert late.status_code == 401 and "expired" in late.json()["error"]["message"]
    with httpx.Client(base_url=str(acme.base_url)) as plain:
        assert plain.get(f"/v1/users/{user['id']}", headers=bearer).status_code == 401  # the token expired too


def test_backoffice_lists_filter_sort_and_paginate(acme: httpx.Client) -> None:
    for page_size in (1, 3, 7):
        seen: list[int] = []
        first = acme.get("/v1/client/users", params={"limit": page_size}).json()["pagination"]
        for page in range(1, first["total_pages"] + 1):
            body = acme.get("/v1/client/users", params={"limit": page_size, "page": page}).json()
            assert body["pagination"]["total"] == first["total"]
            assert body["pagination"]["has_more"] == (page < first["total_pages"])
            seen.extend(u["id"] for u in body["users"])
        assert len(seen) == len(set(seen)) == first["total"]
    names = [u["name"] for u in acme.get("/v1/client/users", params={"sort": "name", "limit": 100}).json()["users"]]
    assert names == sorted(names)
    pending = acme.get("/v1/client/users", params={"status": "pending_verification", "limit": 100}).json()["users"]
    assert pending and all(u["status"] == "pending_verification" for u in pending)
    some = acme.get("/v1/client/cases", params={"limit": 1}).json()["cases"][0]
    by_receipt = acme.get("/v1/client/cases", params={"receipt_number": some["receipt_number"]}).json()["cases"]
    assert [c["id"] for c in by_receipt] == [some["id"]]
    by_status = acme.get("/v1/client/cases", params={"status_code": some["status_code"], "limit": 100}).json()["cases"]
    assert some["id"] in [c["id"] for c in by_status] and all(
        c["status_code"] == some["status_code"] for c in by_status
    )
    assert acme.get("/v1/client/cases", params={"updated_since": "2100-01-01T00:00:00Z"}).json()["cases"] == []
