"""Credentials and HTTP clients for the two demo partners."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from fixtures.partners import DEMO_PARTNERS
from tests.support.server import RunningSandbox

_counter = itertools.count(1)


def partner_headers(index: int) -> dict[str, str]:
    partner = DEMO_PARTNERS[index]
    return {"X-API-KEY": partner["api_key"], "X-API-SECRET": partner["api_secret"]}


def unique_email(prefix: str = "user") -> str:
    return f"{prefix}.{next(_counter)}.{id(object())}@example.com"


def new_user(client: httpx.Client, **fields: Any) -> dict[str, Any]:
    body = {"email": unique_email(), "name": "Ana Souza", **fields}
    response = client.post("/v1/users", json=body)
    assert response.status_code == 201, response.text
    return response.json()["user"]


def latest(client: httpx.Client, kind: str, recipient: str) -> dict[str, str]:
    """The newest outbox message of a kind to a recipient (the client carries partner keys)."""
    messages = client.get("/_sandbox/outbox", params={"kind": kind, "recipient": recipient}).json()["messages"]
    assert messages, f"no {kind} message for {recipient}"
    return messages[0]


def activate(client: httpx.Client, email: str) -> None:
    """Follow the user's verification link, as the end user would."""
    link = latest(client, "verification", email)["link"]
    assert client.get("/v1/users/verify-email", params={"token": link.split("token=")[1]}).status_code == 200


def log_in(client: httpx.Client, email: str) -> str:
    """Activate the user, request a login code, exchange it: the end user's bearer token."""
    activate(client, email)
    key_only = {"X-API-KEY": client.headers["X-API-KEY"]}
    assert client.post("/v1/auth/login-code", json={"email": email}, headers=key_only).status_code == 202
    code = latest(client, "login_code", email)["code"]
    verified = client.post("/v1/auth/verify-code", json={"email": email, "code": code}, headers=key_only)
    assert verified.status_code == 200, verified.text
    return str(verified.json()["access_token"])


@pytest.fixture
def acme(sandbox_server: RunningSandbox) -> Iterator[httpx.Client]:
    with sandbox_server.client(headers=partner_headers(0)) as client:
        yield client


@pytest.fixture
def globex(sandbox_server: RunningSandbox) -> Iterator[httpx.Client]:
    with sandbox_server.client(headers=partner_headers(1)) as client:
        yield client


@pytest.fixture
def anonymous(sandbox_server: RunningSandbox) -> Iterator[httpx.Client]:
    with sandbox_server.client() as client:
        yield client
