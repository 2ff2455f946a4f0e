"""Layer 6: webhooks the run causes arrive, match the spec's callbacks, and are signed.

A real receiver (an HTTP server on this machine) is registered through the API for every event.
The run then creates a user and a case, verifies the user and forces a status change (when the
target has the sandbox controls), deletes both, and checks each delivery: the callback's schema
and headers, the signature (``sandbox.signatures.verify_signature``), and that tampering with the
body, the secret or the timestamp would be detected.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pytest

from contract_tests.api import expect
from contract_tests.checks.failures import (
    ForgeryUndetected,
    InvalidSignature,
    WebhookNotDelivered,
    WebhookSchemaViolation,
)
from contract_tests.context import RunContext
from contract_tests.pytest_plugin import contract_settings
from contract_tests.receiver import Delivery, Receiver
from contract_tests.spec import SpecIndex, escape, schema_errors

pytestmark = pytest.mark.contract_webhooks

INDEX = SpecIndex.from_path(contract_settings().spec_path)
EVENTS = [
    "user.created",
    "user.verified",
    "case.created",
    "case.status_changed",
    "case.deleted",
    "user.deleted",
]
NEEDS_CONTROLS = {"user.verified", "case.status_changed"}
WAIT_SECONDS = 20.0


def callback_for(event: str) -> tuple[str, dict[str, Any]]:
    """(JSON pointer, definition) of the callback operation that describes ``event``."""
    create = INDEX["createWebhook"]
    callbacks = INDEX.raw["paths"][create.path][create.method].get("callbacks", {})
    for name, callback in callbacks.items():
        for expression, item in callback.items():
            post = item.get("post", {})
            for parameter in post.get("parameters", []):
                if parameter.get("name") == "ImmigraFlow-Event" and event in parameter["schema"].get(
                    "enum", []
                ):
                    path = escape(create.path)
                    pointer = f"/paths/{path}/post/callbacks/{escape(name)}/{escape(expression)}/post"
                    return pointer, post
    raise LookupError(f"the spec has no callback for {event}")


@dataclass
class WebhookRun:
    receiver: Receiver
    secret: str
    webhook_id: int
    #: event → id of the object it is about
    subjects: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)

    def delivery(self, event: str) -> Delivery | None:
        for delivery in self.receiver.snapshot():
            if delivery.header("ImmigraFlow-Event") != event:
                continue
            try:
                data = json.loads(delivery.body).get("data") or {}
            except ValueError:
                continue
            obj = data.get("case" if event.startswith("case.") else "user") or {}
            if obj.get("id") == self.subjects.get(event):
                return delivery
        return None


def receiver_address(run: RunContext) -> tuple[tuple[str, int], str | None]:
    settings = run.settings
    if settings.webhook_public_url:
        return settings.webhook_listen, settings.webhook_public_url
    if run.target.local is not None or run.target.loopback:
        return settings.webhook_listen, None
    pytest.skip("a remote target cannot reach a receiver on this machine: give --webhook-public-url")


@pytest.fixture(scope="module")
def webhook_run(contract_run: RunContext) -> Any:
    run = contract_run
    if not run.writes:
        pytest.skip("read-only mode: registering a webhook is a write")
    (host, port), public_url = receiver_address(run)
    with Receiver(host, port) as receiver:
        url = public_url or receiver.url
        webhook, secret = run.new_webhook(url=url, events=list(EVENTS), active=True)
        state = WebhookRun(receiver, secret, webhook.id)
        client = run.client()
        user = run.new_user(tag="webhooks")
        state.subjects["user.created"] = user.id
        if run.target.controls:
            run.verify_email(run.partner, user.data["email"])
            state.subjects["user.verified"] = user.id
        else:
            state.skipped.update(
                {event: "the target has no sandbox controls to cause it" for event in NEEDS_CONTROLS}
            )
        case = run.new_case(user.id)
        state.subjects["case.created"] = case.id
        if run.target.controls:
            advance = client.post(f"/_sandbox/cases/{case.ref}/advance", json={})
            expect(advance, 200, operation="advanceCase (sandbox control)")
            state.subjects["case.status_changed"] = case.id
        expect(client.delete(f"/v1/users/{user.id}/cases/{case.id}"), 204, operation="deleteCase")
        state.subjects["case.deleted"] = case.id
        expect(client.delete(f"/v1/client/users/{user.id}"), 204, operation="deleteClientUser")
        state.subjects["user.deleted"] = user.id
        receiver.wait_for(lambda _: all(state.delivery(event) for event in state.subjects), WAIT_SECONDS)
        yield state


def delivered(webhook_run: WebhookRun, event: str) -> Delivery:
    if event in webhook_run.skipped:
        pytest.skip(webhook_run.skipped[event])
    delivery = webhook_run.delivery(event)
    if delivery is None:
        got = sorted({d.header("ImmigraFlow-Event") or "?" for d in webhook_run.receiver.snapshot()})
        raise WebhookNotDelivered(
            operation="createWebhook (callbacks)",
            message=f"no {event} delivery about object {webhook_run.subjects.get(event)} "
            f"within {WAIT_SECONDS:g}s; "
            f"events received: {', '.join(got) or 'none'}",
        )
    return delivery


@pytest.mark.parametrize("event", EVENTS)
def test_event_is_delivered_as_the_callback_describes(webhook_run: WebhookRun, event: str) -> None:
    delivery = delivered(webhook_run, event)
    pointer, callback = callback_for(event)
    problems = []
    for index, parameter in enumerate(callback.get("parameters", [])):
        value = delivery.header(parameter["name"])
        if value is None:
            if parameter.get("required"):
                problems.append(f"header {parameter['name']} is missing")
            continue
        problems += [
            f"header {parameter['name']}: {e}"
            for e in schema_errors(INDEX.raw, f"{pointer}/parameters/{index}/schema", value)
        ]
    try:
        body = json.loads(delivery.body)
    except ValueError:
        body = None
        problems.append("the body is not JSON")
    if body is not None:
        schema = f"{pointer}/requestBody/content/application~1json/schema"
        problems += [f"body {e}" for e in schema_errors(INDEX.raw, schema, body)]
        if body.get("type") != event:
            problems.append(f"body type is {body.get('type')!r}, the ImmigraFlow-Event header says {event!r}")
    if problems:
        raise WebhookSchemaViolation(operation=f"{event} callback", message="\n".join(problems))


@pytest.mark.parametrize("event", EVENTS)
def test_event_signature_verifies(webhook_run: WebhookRun, event: str) -> None:
    from sandbox.signatures import verify_signature

    delivery = delivered(webhook_run, event)
    header = delivery.header("ImmigraFlow-Signature") or ""
    if not verify_signature(header, delivery.body, webhook_run.secret):
        raise InvalidSignature(
            operation=f"{event} callback",
            message=f"ImmigraFlow-Signature {header!r} does not verify over the raw body with the secret",
        )


@pytest.mark.parametrize("event", EVENTS)
def test_forged_delivery_is_detectable(webhook_run: WebhookRun, event: str) -> None:
    from sandbox.signatures import verify_signature

    delivery = delivered(webhook_run, event)
    header = delivery.header("ImmigraFlow-Signature") or ""
    stamp = header.split(",", 1)[0].removeprefix("t=")
    forgeries = {
        "a tampered body": (
            header,
            delivery.body.replace(b'"data"', b'"data" ', 1) + b" ",
            webhook_run.secret,
        ),
        "another secret": (header, delivery.body, webhook_run.secret + "x"),
        "a replayed timestamp": (
            header.replace(f"t={stamp}", f"t={int(stamp) - 3600}") if stamp.isdigit() else header,
            delivery.body,
            webhook_run.secret,
        ),
    }
    accepted = [
        name for name, (value, body, secret) in forgeries.items() if verify_signature(value, body, secret)
    ]
    if accepted:
        raise ForgeryUndetected(
            operation=f"{event} callback", message="the signature still verifies with " + ", ".join(accepted)
        )
