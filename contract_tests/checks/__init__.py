"""The suite's own Schemathesis checks, one module per concern.

Importing this package registers them with Schemathesis (``@schemathesis.check``); ``CUSTOM_CHECKS``
lists them so the suite can pass them explicitly.
"""

from __future__ import annotations

from contract_tests.checks.envelope import error_envelope_conformance
from contract_tests.checks.headers import (
    allow_header_on_405,
    location_header_on_create,
    retry_after_on_throttle,
)
from contract_tests.checks.invariants import resource_identity
from contract_tests.checks.pagination import pagination_consistency
from contract_tests.checks.tenancy import tenant_isolation

CUSTOM_CHECKS = [
    error_envelope_conformance,
    retry_after_on_throttle,
    allow_header_on_405,
    location_header_on_create,
    pagination_consistency,
    resource_identity,
    tenant_isolation,
]

__all__ = [
    "CUSTOM_CHECKS",
    "allow_header_on_405",
    "error_envelope_conformance",
    "location_header_on_create",
    "pagination_consistency",
    "resource_identity",
    "retry_after_on_throttle",
    "tenant_isolation",
]
