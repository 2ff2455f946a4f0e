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
