"""An integrator's whole journey over a real port, for both demo partners.

create user → verify email → login code → bearer → create case by receipt number → read it by
both refs → list → update → delete.
"""

from __future__ import annotations

import httpx
import pytest

from tests.support.clients import partner_headers, unique_email
from tests.support.server import RunningSandbox

pytestmark = pytest.mark.e2e


def outbox(client: httpx.Client, **filters: str) -> list[dict[str, object]]:
    response = client.get("/_sandbox/outbox", params=filters)
    assert response.status_code == 200, response.text
    return response.json()["messages"]


@pytest.mark.parametrize("partner", [0, 1], ids=["acme", "globex"])
def test_journey(sandbox_server: RunningSandbox, partner: int) -> None:
    headers = partner_headers(partner)
    email = unique_email("journey")
    with sandbox_server.client(headers=headers) as api, sandbox_server.client() as browser:
        # Create the user: pending until the emailed link is opened.
        created = api.post("/v1/users", json={"email": email, "name": "Lucía Pérez", "preferred_language": "es"})
        assert created.status_code == 201, created.text
        user = created.json()["user"]
        assert user["status"] == "pending_verification"
        assert created.headers["Location"] == f"/v1/users/{user['id']}"

        [mail] = outbox(api, kind="verification", recipient=email)
        assert mail["language"] == "es" and mail["link"] in mail["body"]
        page = browser.get(str(mail["link"]).replace(sandbox_server.url, ""))
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert api.get(f"/v1/users/{user['id']}").json()["user"]["status"] == "active"

        # Log in as the end user with a code from the outbox.
        key_only = {"X-API-KEY": headers["X-API-KEY"]}
        asked = browser.post("/v1/auth/login-code", json={"email": email}, headers=key_only)
        assert asked.status_code == 202
        [code_mail] = outbox(api, kind="login_code", recipient=email)
        verified = browser.post(
            "/v1/auth/verify-code", json={"email": email, "code": code_mail["code"]}, headers=key_only
        )
        assert verified.status_code == 200, verified.text
        token = verified.json()["access_token"]
        assert verified.json()["token_type"] == "Bearer" and verified.json()["user"]["id"] == user["id"]
        bearer = {"Authorization": f"Bearer {token}"}

        # Monitor a receipt number with the bearer token.
        made = browser.post(
            f"/v1/users/{user['id']}/cases",
            json={"receipt_number": "IOE0923456789", "description": "Green card"},
            headers=bearer,
        )
        assert made.status_code == 201, made.text
        case = made.json()["case"]
        assert case["user_case_id"].startswith("FLOW") and case["receipt_number"] == "IOE0923456789"
        [first_update] = made.json()["status_updates"]
        assert first_update["status_code_es"] and first_update["status_code_pt"]

        by_id = browser.get(f"/v1/users/{user['id']}/cases/{case['id']}", headers=bearer)
        by_flow = browser.get(f"/v1/users/{user['id']}/cases/{case['user_case_id']}", headers=bearer)
        assert by_id.status_code == by_flow.status_code == 200
        assert by_id.json() == by_flow.json()

        listed = browser.get(f"/v1/users/{user['id']}/cases", headers=bearer).json()
        assert [c["id"] for c in listed["cases"]] == [case["id"]] and listed["pagination"]["total"] == 1
        backoffice = api.get("/v1/client/cases", params={"user_id": user["id"]}).json()
        assert [c["id"] for c in backoffice["cases"]] == [case["id"]]
        assert backoffice["cases"][0]["user"]["id"] == user["id"]

        updated = browser.put(f"/v1/users/{user['id']}/cases/{case['id']}", json={"active": False}, headers=bearer)
        assert updated.status_code == 200 and updated.json()["case"]["active"] is False
        again = browser.put(f"/v1/users/{user['id']}/cases/{case['id']}", json={"active": False}, headers=bearer)
        assert again.json() == updated.json()  # PUT is idempotent

        deleted = browser.delete(f"/v1/users/{user['id']}/cases/{case['user_case_id']}", headers=bearer)
        assert deleted.status_code == 204
        gone = browser.get(f"/v1/users/{user['id']}/cases/{case['id']}", headers=bearer)
        assert gone.status_code == 404 and gone.json()["error"]["code"] == "not_found"

        # The token is scoped to its own user: the partner's other users are invisible.
        other = api.post("/v1/users", json={"email": unique_email("other"), "name": "Other User"}).json()["user"]
        assert browser.get(f"/v1/users/{other['id']}", headers=bearer).status_code == 404
        assert browser.get("/v1/client/users", headers=bearer).status_code == 401

        # Self-service delete with the bearer token; afterwards the user is gone for the partner too.
        assert browser.delete(f"/v1/users/{user['id']}", headers=bearer).status_code == 204
        assert api.get(f"/v1/users/{user['id']}").status_code == 404


def test_partners_cannot_see_each_other(acme: httpx.Client, globex: httpx.Client) -> None:
    user = acme.post("/v1/users", json={"email": unique_email("tenant"), "name": "Acme Only"}).json()["user"]
    case = acme.post(f"/v1/users/{user['id']}/cases", json={"receipt_number": "WAC2190001234"}).json()["case"]
    for path in (
        f"/v1/users/{user['id']}",
        f"/v1/client/users/{user['id']}",
        f"/v1/users/{user['id']}/cases/{case['id']}",
        f"/v1/client/cases/{case['user_case_id']}",
    ):
        response = globex.get(path)
        assert response.status_code == 404, (path, response.text)
        assert response.json()["error"]["code"] == "not_found"
    assert all(u["id"] != user["id"] for u in globex.get("/v1/client/users", params={"limit": 100}).json()["users"])
    # The same email may exist at two partners; twice at one partner is a conflict.
    assert globex.post("/v1/users", json={"email": user["email"], "name": "Same Email"}).status_code == 201
    conflict = acme.post("/v1/users", json={"email": user["email"].upper(), "name": "Dup"})
    assert conflict.status_code == 409 and conflict.json()["error"]["code"] == "conflict"
    dup_case = acme.post(f"/v1/users/{user['id']}/cases", json={"receipt_number": "WAC2190001234"})
    assert dup_case.status_code == 409
