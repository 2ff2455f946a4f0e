"""Every non-2xx JSON response is the ErrorEnvelope, and its ``error.code`` names the status."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import schemathesis

from contract_tests.checks._support import exchange_of, header, json_body, operation_id, spec_index
from contract_tests.checks.failures import EnvelopeStatusMismatch, MissingEnvelope, RequestIdMismatch

if TYPE_CHECKING:
    from schemathesis import Case, CheckContext, Response

#: The codes each status may carry (``ErrorEnvelope.error.code`` in the spec).
CODES_FOR_STATUS: dict[int, frozenset[str]] = {
    400: frozenset({"bad_request", "validation_failed"}),
    401: frozenset({"unauthenticated"}),
    403: frozenset({"forbidden"}),
    404: frozenset({"not_found"}),
    405: frozenset({"method_not_allowed"}),
    409: frozenset({"conflict"}),
    413: frozenset({"payload_too_large"}),
    415: frozenset({"unsupported_media_type"}),
    422: frozenset({"unprocessable"}),
    429: frozenset({"rate_limited"}),
    500: frozenset({"internal_error"}),
    503: frozenset({"upstream_unavailable"}),
}


def envelope_problems(body: Any) -> list[str]:
    """What keeps ``body`` from being an ErrorEnvelope (empty when it is one)."""
    if not isinstance(body, dict):
        return [f"the body is {type(body).__name__}, not an object"]
    problems = []
    error = body.get("error")
    if not isinstance(error, dict):
        problems.append("`error` is missing or not an object")
    else:
        for key in ("code", "message"):
            if not isinstance(error.get(key), str) or not error.get(key):
                problems.append(f"`error.{key}` is missing or not a non-empty string")
        details = error.get("details")
        if details is not None and not (
            isinstance(details, list)
            and all(
                isinstance(d, dict) and isinstance(d.get("field"), str) and isinstance(d.get("issue"), str)
                for d in details
            )
        ):
            problems.append("`error.details` is not a list of {field, issue}")
    if not isinstance(body.get("request_id"), str) or not body.get("request_id"):
        problems.append("`request_id` is missing or not a non-empty string")
    return problems


def _documents_other_media_type(case: Case, status: int, content_type: str) -> bool:
    index = spec_index(case)
    op_id = operation_id(case)
    if op_id not in index.operations:
        return False
    response = index.response(op_id, status)
    media_types = (response or {}).get("content", {})
    base = content_type.split(";")[0].strip().lower()
    return base in media_types and "json" not in base


@schemathesis.check
def error_envelope_conformance(ctx: CheckContext, response: Response, case: Case) -> bool | None:
    """A non-2xx answer carries the ErrorEnvelope, with a code that matches its status."""
    status = response.status_code
    if status < 400 or response.request.method == "HEAD":
        return None
    content_type = header(response, "content-type") or ""
    if "json" not in content_type.lower() and _documents_other_media_type(case, status, content_type):
        return None
    failure = error_response_failure(
        status,
        content_type,
        json_body(response),
        header(response, "x-request-id"),
        case.operation.label,
        exchange_of(response),
    )
    if failure is not None:
        raise failure
    return True


def error_response_failure(
    status: int, content_type: str, body: Any, request_id: str | None, operation: str, exchange: Any = None
) -> Exception | None:
    """The failure an error response of ``status`` shows (``None`` when it is a proper ErrorEnvelope)."""
    if "json" not in content_type.lower():
        return MissingEnvelope(
            operation=operation,
            message=f"Received: {status} with Content-Type {content_type or '(none)'}",
            exchange=exchange,
        )
    problems = envelope_problems(body)
    if problems:
        return MissingEnvelope(operation=operation, message="; ".join(problems), exchange=exchange)
    code = body["error"]["code"]
    expected = CODES_FOR_STATUS.get(status)
    if expected is not None and code not in expected:
        return EnvelopeStatusMismatch(
            operation=operation,
            message=f"Received: {status} with error.code {code!r}\nExpected: {' or '.join(sorted(expected))}",
            exchange=exchange,
        )
    if request_id is not None and request_id != body["request_id"]:
        return RequestIdMismatch(
            operation=operation,
            message=f"X-Request-Id: {request_id!r}\nrequest_id: {body['request_id']!r}",
            exchange=exchange,
        )
    return None
