"""The sandbox's world moves: forced statuses, the clock, notifications, real signed webhooks."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from sandbox.apis.immigraflow.catalogue import get_status, long_date
from sandbox.engine.clock import parse_iso
from sandbox.engine.spec import load_spec
from sandbox.engine.validation import compiled, schema_errors
from sandbox.signatures import verify_signature
from tests.support.clients import new_user, unique_email
from tests.support.receiver import WebhookReceiver

pytestmark = pytest.mark.e2e


def register(client: httpx.Client, receiver: WebhookReceiver, events: list[str]) -> tuple[dict[str, Any], str]:
    response = client.post("/v1/webhooks", json={"url": receiver.url, "events": events, "description": "test"})
    assert response.status_code == 201, response.text
    return response.json()["webhook"], response.json()["signing_secret"]


def active_user(client: httpx.Client, **fields: Any) -> dict[str, Any]:
    user = new_user(client, **fields)
    [mail] = client.get("/_sandbox/outbox", params={"kind": "verification", "recipient": user["email"]}).json()[
        "messages"
    ]
    token = str(mail["link"]).split("token=")[1]
    assert client.get("/v1/users/verify-email", params={"token": token}).status_code == 200
    return client.get(f"/v1/users/{user['id']}").json()["user"]


def test_forced_transition_notifies_and_delivers_signed_webhook(
    acme: httpx.Client, webhook_receiver: WebhookReceiver
) -> None:
    webhook, secret = register(acme, webhook_receiver, ["case.status_changed", "case.created"])
    user = active_user(acme, preferred_language="pt", notify_by_whatsapp=True, phone="+5511987654321")
    case = acme.post(f"/v1/users/{user['id']}/cases", json={"receipt_number": "EAC0000000002"}).json()["case"]

    forced = acme.post(f"/_sandbox/cases/{case['id']}/advance", json={})
    assert forced.status_code == 200, forced.text
    update = forced.json()["status_update"]
    assert update["notified"] == 1
    assert update["email_notify_status"] == "sent" and update["whatsapp_notify_status"] == "sent"
    assert len(update["history"]) >= 2

    details = acme.get(f"/v1/users/{user['id']}/cases/{case['id']}").json()
    assert details["status_updates"][0]["id"] == update["id"]  # newest first
    messages = acme.get("/_sandbox/outbox", params={"kind": "status_change", "user_id": user["id"]}).json()["messages"]
    assert {m["channel"] for m in messages} == {"email", "whatsapp"}
    assert all(m["language"] == "pt" for m in messages)

    received = webhook_receiver.wait_for(
        lambda got: any(r.headers.get("ImmigraFlow-Event") == "case.status_changed" for r in got)
    )
    delivery = next(r for r in received if r.headers["ImmigraFlow-Event"] == "case.status_changed")
    assert verify_signature(delivery.headers["ImmigraFlow-Signature"], delivery.body, secret)
    assert not verify_signature(delivery.headers["ImmigraFlow-Signature"], delivery.body + b" ", secret)
    event = delivery.json
    assert event["type"] == "case.status_changed" and event["data"]["case"]["id"] == case["id"]
    assert_matches_callback_schema(event)
    assert event["data"]["status_update"]["id"] == update["id"]
    assert webhook["id"]


SPEC = load_spec(Path(__file__).resolve().parents[2] / "openapi" / "immigraflow.yaml")


def assert_matches_callback_schema(event: dict[str, Any]) -> None:
    """The delivery body matches the body schema of the spec's callback for its event type."""
    for callback in SPEC["paths"]["/v1/webhooks"]["post"]["callbacks"].values():
        post = callback["{$request.body#/url}"]["post"]
        event_header = next(p for p in post["parameters"] if p["name"] == "ImmigraFlow-Event")
        if event["type"] in event_header["schema"]["enum"]:
            schema = post["requestBody"]["content"]["application/json"]["schema"]
            validator = compiled(schema)
            assert validator.is_valid(event), schema_errors(validator, event)
            return
    raise AssertionError(f"no callback documents {event['type']}")


def test_every_event_type_is_delivered_and_documented(acme: httpx.Client, webhook_receiver: WebhookReceiver) -> None:
    register(
        acme,
        webhook_receiver,
        ["case.created", "case.status_changed", "case.deleted", "user.created", "user.verified", "user.deleted"],
    )
    user = active_user(acme)
    case = acme.post(f"/v1/users/{user['id']}/cases", json={"receipt_number": "SRC1190012345"}).json()["case"]
    acme.post(f"/_sandbox/cases/{case['id']}/advance", json={"status": "approved"})
    acme.delete(f"/v1/users/{user['id']}/cases/{case['id']}")
    acme.delete(f"/v1/client/users/{user['id']}")
    expected = {"user.created", "user.verified", "case.created", "case.status_changed", "case.deleted", "user.deleted"}
    got = webhook_receiver.wait_for(lambda got: {r.headers["ImmigraFlow-Event"] for r in got} >= expected)
    for received in got:
        assert received.json["type"] == received.headers["ImmigraFlow-Event"]
        assert_matches_callback_schema(received.json)


def test_opted_out_channels_are_skipped_and_magic_addresses_fail(acme: httpx.Client) -> None:
    user = active_user(acme, email=unique_email("bounce"), notify_by_whatsapp=False)
    case = acme.post(f"/v1/users/{user['id']}/cases", json={"receipt_number": "LIN2290012345"}).json()["case"]
    update = acme.post(f"/_sandbox/cases/{case['id']}/advance", json={"status": "rfe_sent"}).json()["status_update"]
    assert update["status_code"] == "Request for Additional Evidence Was Sent"
    # Descriptions speak of the day of the change, in each language.
    changed = parse_iso(update["timestamp"])
    assert long_date(changed, "en") in update["status_description"]
    assert long_date(changed, "es") in update["status_description_es"]
    assert update["whatsapp_notify_status"] == "skipped" and update["whatsapp_notify_attempts"] == 0
    assert update["email_notify_status"] == "failed" and update["email_notify_last_error"]
    assert update["email_notify_sent_at"] is None and update["notified"] == 0


def test_retries_after_failing_receiver_and_redelivery(acme: httpx.Client, webhook_receiver: WebhookReceiver) -> None:
    webhook_receiver.script = [500, 503]
    _, secret = register(acme, webhook_receiver, ["user.created"])
    user = new_user(acme)
    got = webhook_receiver.wait_for(lambda got: len(got) >= 3)
    assert [r.json["data"]["user"]["id"] for r in got[:3]] == [user["id"]] * 3
    assert len({r.headers["ImmigraFlow-Delivery"] for r in got[:3]}) == 1  # one delivery, three attempts
    delivery_id = got[0].headers["ImmigraFlow-Delivery"]

    # The receiver got the third attempt; its outcome is recorded just after the response.
    deadline = time.monotonic() + 5
    while (log := acme.get(f"/_sandbox/webhook-deliveries/{delivery_id}").json())["status"] != "delivered":
        assert time.monotonic() < deadline, log
        time.sleep(0.05)
    assert log["attempts"] == 3
    assert [a["response_status"] for a in log["log"]] == [500, 503, 200]

    again = acme.post(f"/_sandbox/webhook-deliveries/{delivery_id}/redeliver")
    assert again.status_code == 202
    got = webhook_receiver.wait_for(lambda got: len(got) >= 4)
    assert got[3].body == got[0].body
    assert verify_signature(got[3].headers["ImmigraFlow-Signature"], got[3].body, secret)


def test_clock_drives_rechecks_of_active_cases_only(acme: httpx.Client) -> None:
    user = active_user(acme)
    moving = acme.post(f"/v1/users/{user['id']}/cases", json={"receipt_number": "EAC0000000001"}).json()["case"]
    paused = acme.post(f"/v1/users/{user['id']}/cases", json={"receipt_number": "EAC0000000003"}).json()["case"]
    acme.put(f"/v1/users/{user['id']}/cases/{paused['id']}", json={"active": False})
    before = acme.get("/_sandbox/clock").json()

    advanced = acme.post("/_sandbox/clock/advance", json={"days": 400})
    assert advanced.status_code == 200, advanced.text
    assert advanced.json()["offset_seconds"] >= before["offset_seconds"] + 400 * 86400
    assert advanced.json()["status_changes"] >= 1

    moved = acme.get(f"/v1/users/{user['id']}/cases/{moving['id']}").json()
    assert len(moved["status_updates"]) > 1
    assert moved["case"]["status_code"] == get_status("card_delivered").code_en
    assert moved["case"]["last_checked"] > moving["last_checked"]
    still = acme.get(f"/v1/users/{user['id']}/cases/{paused['id']}").json()
    assert len(still["status_updates"]) == 1 and still["case"]["last_checked"] == paused["last_checked"]


def test_uscis_outage_scenario(acme: httpx.Client) -> None:
    response = acme.post("/v1/check", json={"receipt_number": "EAC0000000005"})
    assert response.status_code == 503 and response.json()["error"]["code"] == "upstream_unavailable"
    assert int(response.headers["retry-after"]) > 0


def test_faults_are_injected_in_the_envelope_and_removable(globex: httpx.Client) -> None:
    fault = globex.post("/_sandbox/faults", json={"operation_id": "getClient", "error_rate": 1.0, "status": 503})
    assert fault.status_code == 201, fault.text
    failing = globex.get("/v1/client")
    assert failing.status_code == 503 and failing.json()["error"]["code"] == "upstream_unavailable"
    assert globex.get("/v1/client/users").status_code == 200  # other operations are untouched
    assert globex.delete(f"/_sandbox/faults/{fault.json()['id']}").status_code == 204
    assert globex.get("/v1/client").status_code == 200
    log = globex.get("/_sandbox/requests", params={"operation_id": "getClient"}).json()["requests"]
    assert [r["status"] for r in log[:2]] == [200, 503]


def test_reset_restores_the_fixture_state(sandbox_server: Any) -> None:
    from tests.support.clients import partner_headers

    with sandbox_server.client(headers=partner_headers(1)) as globex:
        first = globex.post("/_sandbox/reset", json={})
        assert first.status_code == 200, first.text
        seeded = first.json()["restored"]["users"]
        assert seeded > 0 and globex.get("/v1/client/users").json()["pagination"]["total"] == seeded
        new_user(globex)
        globex.post("/_sandbox/clock/advance", json={"days": 3})
        assert globex.get("/v1/client/users").json()["pagination"]["total"] == seeded + 1
        again = globex.post("/_sandbox/reset", json={})
        assert again.json()["restored"] == first.json()["restored"]
        assert globex.get("/v1/client/users").json()["pagination"]["total"] == seeded
        assert globex.get("/_sandbox/clock").json()["offset_seconds"] == 0
