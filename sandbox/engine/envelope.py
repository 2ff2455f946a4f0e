"""The error envelope, and the one place that turns exceptions into error responses.

Every non-2xx JSON response of the sandbox has the shape::

    {"error": {"code": "not_found", "message": "...", "details": [{"field": "...", "issue": "..."}]},
     "request_id": "req_..."}
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from connexion.exceptions import (
    BadRequestProblem,
    ClientProblem,
    ExtraParameterProblem,
    NonConformingResponse,
    OAuthProblem,
    ProblemException,
    UnsupportedMediaTypeProblem,
)
from connexion.lifecycle import ConnexionRequest, ConnexionResponse
from starlette.exceptions import HTTPException

from sandbox.engine.errors import ApiError, ErrorDetail, ErrorKind
from sandbox.engine.jsonifier import encode
from sandbox.engine.spec import SpecIndex

logger = logging.getLogger(__name__)

JSON = "application/json"
REQUEST_ID_KEY = "sandbox.request_id"


def envelope(kind: ErrorKind, message: str, details: Sequence[ErrorDetail], request_id: str) -> dict[str, Any]:
    """The envelope body for one error."""
    error: dict[str, Any] = {"code": kind.value, "message": message}
    if details:
        error["details"] = [{"field": d.field, "issue": d.issue} for d in details]
    return {"error": error, "request_id": request_id}


def envelope_bytes(kind: ErrorKind, message: str, request_id: str, details: Sequence[ErrorDetail] = ()) -> bytes:
    return encode(envelope(kind, message, details, request_id))


def request_id_of(scope: Mapping[str, Any]) -> str:
    return str(scope.get(REQUEST_ID_KEY, "req_unknown"))


def error_response(
    request: ConnexionRequest,
    kind: ErrorKind,
    message: str,
    details: Sequence[ErrorDetail] = (),
    headers: Mapping[str, str] | None = None,
    status: int | None = None,
) -> ConnexionResponse:
    body = envelope(kind, message, details, request_id_of(request.scope))
    return ConnexionResponse(
        status_code=status or kind.status,
        mimetype=JSON,
        content_type=JSON,
        body=encode(body),
        headers=dict(headers or {}),
    )


class ErrorRenderer:
    """Exception handlers that answer every failure in the envelope (never problem+json).

    Args:
        indexes: the spec indexes of every mounted API, used to compute ``Allow`` for 405s
            (RFC 9110 §15.5.6 requires it) and to tell a malformed path parameter (400) from an
            unknown route (404).
    """

    def __init__(self, indexes: Sequence[SpecIndex]) -> None:
        self.indexes = list(indexes)

    def _match(self, path: str) -> Any:
        for index in self.indexes:
            template = index.match(path)
            if template is not None:
                return template
        return None

    def handlers(self) -> list[tuple[type[Exception] | int, Any]]:
        """The (exception, handler) pairs to register with ``app.add_error_handler``."""
        return [
            (ApiError, self.api_error),
            (ProblemException, self.problem),
            (HTTPException, self.http_exception),
            (UnicodeDecodeError, self.unicode_error),
            (OverflowError, self.overflow),
            (Exception, self.unexpected),
        ]

    def api_error(self, request: ConnexionRequest, exc: Exception) -> ConnexionResponse:
        assert isinstance(exc, ApiError)
        return error_response(request, exc.kind, exc.message, exc.details, exc.headers)

    def problem(self, request: ConnexionRequest, exc: Exception) -> ConnexionResponse:
        assert isinstance(exc, ProblemException)
        status = exc.status or 500
        detail = str(exc.detail or exc.title or "")
        details: Sequence[ErrorDetail] = getattr(exc, "details", ())
        headers = dict(exc.headers or {})
        if isinstance(exc, OAuthProblem) or status == 401:
            return error_response(
                request,
                ErrorKind.UNAUTHENTICATED,
                "Missing or invalid credentials: " + detail,
                headers=headers,
            )
        if isinstance(exc, UnsupportedMediaTypeProblem) or status == 415:
            return error_response(request, ErrorKind.UNSUPPORTED_MEDIA_TYPE, detail or "Unsupported media type")
        if isinstance(exc, NonConformingResponse) or status >= 500:
            logger.error("server-side problem: %s", detail)
            return error_response(request, ErrorKind.INTERNAL, "The sandbox produced an invalid response: " + detail)
        if isinstance(exc, ExtraParameterProblem):
            return error_response(request, ErrorKind.BAD_REQUEST, detail)
        if isinstance(exc, BadRequestProblem | ClientProblem) and status == 400:
            kind = ErrorKind.VALIDATION_FAILED if details else ErrorKind.BAD_REQUEST
            return error_response(request, kind, detail or "Bad request", details)
        return error_response(request, ErrorKind.for_status(status), detail, headers=headers, status=status)

    def http_exception(self, request: ConnexionRequest, exc: Exception) -> ConnexionResponse:
        assert isinstance(exc, HTTPException)
        path = request.scope.get("path", "")
        method = request.scope.get("method", "GET").lower()
        template = self._match(path)
        if exc.status_code == 405 or (template is not None and method not in template.methods):
            allow = template.allow if template else (exc.headers or {}).get("Allow", "")
            return error_response(
                request,
                ErrorKind.METHOD_NOT_ALLOWED,
                f"{method.upper()} is not allowed on {path}; allowed: {allow}",
                headers={"Allow": allow},
            )
        if exc.status_code == 404 and template is not None:
            # The path fits a route whose parameter converter refused a segment (e.g. /users/abc).
            return error_response(
                request,
                ErrorKind.BAD_REQUEST,
                f"Malformed path parameter in {path} (expected {template.template})",
                [ErrorDetail(field="path", issue=f"does not match {template.template}")],
            )
        if exc.status_code == 404:
            return error_response(request, ErrorKind.NOT_FOUND, f"No route matches {path}")
        kind = ErrorKind.for_status(exc.status_code)
        return error_response(request, kind, str(exc.detail), headers=exc.headers, status=exc.status_code)

    def unicode_error(self, request: ConnexionRequest, exc: Exception) -> ConnexionResponse:
        return error_response(request, ErrorKind.BAD_REQUEST, f"Request is not valid UTF-8: {exc}")

    def overflow(self, request: ConnexionRequest, exc: Exception) -> ConnexionResponse:
        # A number past what the database stores (64-bit) that the spec did not bound.
        return error_response(request, ErrorKind.BAD_REQUEST, f"A number in the request is out of range: {exc}")

    def unexpected(self, request: ConnexionRequest, exc: Exception) -> ConnexionResponse:
        logger.exception("unhandled error on %s %s", request.scope.get("method"), request.scope.get("path"))
        return error_response(
            request, ErrorKind.INTERNAL, f"Internal sandbox error ({type(exc).__name__}); see the sandbox log"
        )
