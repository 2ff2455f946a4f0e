"""Check failures, each named after the violation it reports.

All are ``schemathesis.core.failures.Failure`` subclasses (so Schemathesis de-duplicates them while
shrinking and prints them with its own failures); the suite's own tests raise them too, with the
exchange that shows the violation attached for the report.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from schemathesis.core.failures import Failure, Severity

if TYPE_CHECKING:
    from contract_tests.transport import Exchange


class ContractFailure(Failure):
    """A broken rule of the ImmigraFlow contract."""

    code: ClassVar[str] = "IF900"
    kind_title: ClassVar[str] = "Contract rule broken"
    default_severity: ClassVar[Severity] = Severity.HIGH

    def __init__(
        self,
        *,
        operation: str | None,
        message: str,
        title: str | None = None,
        severity: Severity | None = None,
        exchange: Exchange | None = None,
        key: str = "",
    ) -> None:
        super().__init__(
            operation=operation,
            title=title,
            message=message,
            severity=severity or self.default_severity,
        )
        self.exchange = exchange
        self._key = key

    @property
    def _unique_key(self) -> str:
        return self._key

    @property
    def rule(self) -> str:
        return type(self).__name__


# Errors (layer 5)
class MissingEnvelope(ContractFailure):
    code = "IF501"
    kind_title = "Error response is not the ErrorEnvelope"


class EnvelopeStatusMismatch(ContractFailure):
    code = "IF502"
    kind_title = "Error code does not match the HTTP status"
    default_severity = Severity.MEDIUM


class RequestIdMismatch(ContractFailure):
    code = "IF503"
    kind_title = "X-Request-Id header differs from the envelope's request_id"
    default_severity = Severity.LOW


class MissingRetryAfter(ContractFailure):
    code = "IF504"
    kind_title = "Throttling response without a valid Retry-After"
    default_severity = Severity.MEDIUM


class MissingAllowHeader(ContractFailure):
    code = "IF505"
    kind_title = "405 without a correct Allow header"
    default_severity = Severity.MEDIUM


class WrongStatus(ContractFailure):
    code = "IF506"
    kind_title = "Unexpected status code"


# Resources and workflows (layer 3)
class MissingLocation(ContractFailure):
    code = "IF301"
    kind_title = "Created resource without a Location header pointing to it"
    default_severity = Severity.MEDIUM


class PaginationMismatch(ContractFailure):
    code = "IF302"
    kind_title = "Pagination block disagrees with the items or the request"


class WrongResource(ContractFailure):
    code = "IF303"
    kind_title = "Response describes another resource than the one requested"
    default_severity = Severity.CRITICAL


class MissingFromList(ContractFailure):
    code = "IF304"
    kind_title = "Created resource missing from its list"


class NonIdempotentPut(ContractFailure):
    code = "IF305"
    kind_title = "Repeating a PUT changed the resource"


class DeleteNotApplied(ContractFailure):
    code = "IF306"
    kind_title = "Deleted resource is still served"
    default_severity = Severity.CRITICAL


class CaseRefMismatch(ContractFailure):
    code = "IF307"
    kind_title = "Numeric and FLOW references disagree"


class UpdateNotApplied(ContractFailure):
    code = "IF308"
    kind_title = "Update not reflected when read back"


# Authentication and tenancy (layer 4)
class AuthNotEnforced(ContractFailure):
    code = "IF401"
    kind_title = "Request with bad credentials was served"
    default_severity = Severity.CRITICAL


class CrossTenantLeak(ContractFailure):
    code = "IF402"
    kind_title = "Another partner's data was served"
    default_severity = Severity.CRITICAL


class CrossUserLeak(ContractFailure):
    code = "IF403"
    kind_title = "Another user's data was served to a bearer token"
    default_severity = Severity.CRITICAL


class WrongAuthStatus(ContractFailure):
    code = "IF404"
    kind_title = "Rejected credentials answered with an undocumented status"
    default_severity = Severity.MEDIUM


# Webhooks (layer 6)
class WebhookNotDelivered(ContractFailure):
    code = "IF601"
    kind_title = "Expected webhook delivery did not arrive"


class WebhookSchemaViolation(ContractFailure):
    code = "IF602"
    kind_title = "Webhook delivery does not match the callback's schema"


class InvalidSignature(ContractFailure):
    code = "IF603"
    kind_title = "Webhook signature does not verify"
    default_severity = Severity.CRITICAL


class ForgeryUndetected(ContractFailure):
    code = "IF604"
    kind_title = "A tampered delivery would still verify"
    default_severity = Severity.CRITICAL
