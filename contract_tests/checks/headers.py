"""Headers the contract promises: ``Location`` on creates, ``Retry-After`` on 429/503, ``Allow`` on 405."""

from __future__ import annotations

from typing import TYPE_CHECKING

import schemathesis

from contract_tests.checks._support import exchange_of, header, json_body, spec_index
from contract_tests.checks.failures import MissingAllowHeader, MissingLocation, MissingRetryAfter

if TYPE_CHECKING:
    from schemathesis import Case, CheckContext, Response

#: The key of the created object in each create response (``{"user": {...}}``).
_WRAPPERS = ("user", "webhook", "case")


@schemathesis.check
def location_header_on_create(ctx: CheckContext, response: Response, case: Case) -> bool | None:
    """A 201 names the created resource in ``Location``, ending with its id."""
    if response.status_code != 201:
        return None
    location = header(response, "location")
    body = json_body(response)
    created_id = None
    if isinstance(body, dict):
        for key in _WRAPPERS:
            if isinstance(body.get(key), dict) and "id" in body[key]:
                created_id = body[key]["id"]
                break
    if not location:
        raise MissingLocation(
            operation=case.operation.label,
            message="A 201 response has no Location header",
            exchange=exchange_of(response),
            key="missing",
        )
    if created_id is not None and not location.rstrip("/").endswith(f"/{created_id}"):
        raise MissingLocation(
            operation=case.operation.label,
            message=f"Location: {location}\nExpected a path ending with /{created_id} (the created id)",
            exchange=exchange_of(response),
            key="wrong",
        )
    return True


@schemathesis.check
def retry_after_on_throttle(ctx: CheckContext, response: Response, case: Case) -> bool | None:
    """429 (and 503) tell the client when to retry, in whole seconds."""
    if response.status_code not in (429, 503):
        return None
    value = header(response, "retry-after")
    if value is None or not value.isdigit() or int(value) < 1:
        raise MissingRetryAfter(
            operation=case.operation.label,
            message=f"Received: {response.status_code} with Retry-After {value!r}\nExpected: an integer ≥ 1",
            exchange=exchange_of(response),
        )
    return True


@schemathesis.check
def allow_header_on_405(ctx: CheckContext, response: Response, case: Case) -> bool | None:
    """A 405 lists exactly the methods of the path in ``Allow`` (RFC 9110 §15.5.6)."""
    if response.status_code != 405:
        return None
    value = header(response, "allow")
    item = spec_index(case).raw["paths"].get(case.operation.path, {})
    documented = {
        m.upper() for m in item if m in {"get", "put", "post", "delete", "patch", "options", "head"}
    }
    advertised = {m.strip().upper() for m in (value or "").split(",") if m.strip()}
    # HEAD and OPTIONS are often answered by the framework itself.
    if not value or advertised - {"HEAD", "OPTIONS"} != documented - {"HEAD", "OPTIONS"}:
        raise MissingAllowHeader(
            operation=case.operation.label,
            message=f"Allow: {value!r}\nExpected the path's methods: {', '.join(sorted(documented))}",
            exchange=exchange_of(response),
        )
    return True
