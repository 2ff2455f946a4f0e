"""Errors, in two trees.

Client-facing errors, rendered as the API's error envelope::

    ApiError(kind, message, details, headers)   raised by handlers and plug-ins
      status comes from ErrorKind

Start-up and usage errors, never sent to a client::

    SandboxError
      SpecError        the spec cannot be loaded or bound
      SeedError        fixture data cannot be loaded
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum


class ErrorKind(StrEnum):
    """The error codes clients see in ``error.code``, each with its HTTP status."""

    BAD_REQUEST = "bad_request"
    VALIDATION_FAILED = "validation_failed"
    UNAUTHENTICATED = "unauthenticated"
    FORBIDDEN = "forbidden"
    NOT_FOUND = "not_found"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    CONFLICT = "conflict"
    PAYLOAD_TOO_LARGE = "payload_too_large"
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"
    UNPROCESSABLE = "unprocessable"
    RATE_LIMITED = "rate_limited"
    INTERNAL = "internal_error"
    UPSTREAM_UNAVAILABLE = "upstream_unavailable"

    @property
    def status(self) -> int:
        return _STATUS[self]

    @classmethod
    def for_status(cls, status: int) -> ErrorKind:
        """The kind that best names an HTTP status (used for framework and injected errors)."""
        for kind, kind_status in _STATUS.items():
            if kind_status == status and kind is not ErrorKind.VALIDATION_FAILED:
                return kind
        return cls.BAD_REQUEST if status < 500 else cls.INTERNAL


_STATUS: dict[ErrorKind, int] = {
    ErrorKind.BAD_REQUEST: 400,
    ErrorKind.VALIDATION_FAILED: 400,
    ErrorKind.UNAUTHENTICATED: 401,
    ErrorKind.FORBIDDEN: 403,
    ErrorKind.NOT_FOUND: 404,
    ErrorKind.METHOD_NOT_ALLOWED: 405,
    ErrorKind.CONFLICT: 409,
    ErrorKind.PAYLOAD_TOO_LARGE: 413,
    ErrorKind.UNSUPPORTED_MEDIA_TYPE: 415,
    ErrorKind.UNPROCESSABLE: 422,
    ErrorKind.RATE_LIMITED: 429,
    ErrorKind.INTERNAL: 500,
    ErrorKind.UPSTREAM_UNAVAILABLE: 503,
}


@dataclass(frozen=True, slots=True)
class ErrorDetail:
    """One field-level problem: which field, and what is wrong with it."""

    field: str
    issue: str


class ApiError(Exception):
    """An error answered to the client in the error envelope."""

    def __init__(
        self,
        kind: ErrorKind,
        message: str,
        details: Sequence[ErrorDetail] = (),
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.details = tuple(details)
        self.headers = dict(headers or {})

    @property
    def status(self) -> int:
        return self.kind.status

    def __repr__(self) -> str:
        return f"ApiError({self.kind.value!r}, {self.message!r})"


def not_found(what: str) -> ApiError:
    """The 404 every lookup answers, whether the object is missing or another tenant's."""
    return ApiError(ErrorKind.NOT_FOUND, f"{what} not found")


class SandboxError(Exception):
    """A start-up or usage problem of the sandbox itself."""


class SpecError(SandboxError):
    """The spec cannot be loaded, resolved or bound to handlers."""


class SeedError(SandboxError):
    """Fixture data cannot be loaded."""
