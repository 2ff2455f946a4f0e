"""A small client for the suite's own requests (same session, rate limit and recorder as Schemathesis)."""

from __future__ import annotations

from typing import Any

import requests

from contract_tests.checks.failures import ContractFailure, WrongStatus
from contract_tests.transport import Exchange


class ApiClient:
    """Requests relative to the target's base URL, with fixed headers (one identity)."""

    def __init__(
        self, session: requests.Session, base_url: str, headers: dict[str, str] | None = None
    ) -> None:
        self.session = session
        self.base_url = base_url
        self.headers = headers or {}

    def request(
        self, method: str, path: str, *, headers: dict[str, str] | None = None, **kwargs: Any
    ) -> requests.Response:
        merged = {**self.headers, **(headers or {})}
        return self.session.request(method, self.base_url + path, headers=merged, **kwargs)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("PUT", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("DELETE", path, **kwargs)


def exchange_of(response: requests.Response) -> Exchange | None:
    return getattr(response, "contract_exchange", None)


def expect(
    response: requests.Response,
    *statuses: int,
    operation: str,
    failure: type[ContractFailure] = WrongStatus,
    why: str = "",
) -> Any:
    """The JSON body when the status is one of ``statuses``; otherwise raise ``failure`` with the exchange."""
    if response.status_code not in statuses:
        expected = " or ".join(map(str, statuses))
        message = f"Received: {response.status_code}\nExpected: {expected}"
        if why:
            message += f"\nRule: {why}"
        raise failure(operation=operation, message=message, exchange=exchange_of(response))
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        return None


def walk_pages(
    client: ApiClient,
    path: str,
    key: str,
    *,
    limit: int,
    params: dict[str, Any] | None = None,
    max_pages: int = 200,
) -> list[tuple[requests.Response, dict[str, Any]]]:
    """Every page of a list, first to last (one past the last too, to see it is empty)."""
    pages = []
    page = 1
    while page <= max_pages:
        response = client.get(path, params={**(params or {}), "page": page, "limit": limit})
        body = expect(response, 200, operation=f"GET {path}")
        pages.append((response, body))
        pagination = body.get("pagination") or {}
        if not pagination.get("has_more") or not body.get(key):
            break
        page += 1
    return pages
