"""Build the Schemathesis schema the suite generates from, configured by the run's profile.

The schema is loaded from the spec file (the contract), never from what the target serves. Its base
URL starts as an unresolvable placeholder and is bound to the target when the run starts, so no
request can fall back to the spec's ``servers`` (one of which is a real host).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import schemathesis
from schemathesis import Config

from contract_tests.auth import ContractAuth
from contract_tests.config import ContractSettings
from contract_tests.errors import ConfigError
from contract_tests.spec import SpecIndex

if TYPE_CHECKING:
    from schemathesis.specs.openapi.schemas import OpenApiSchema

PLACEHOLDER_BASE_URL = "http://contract-target.invalid"

#: Built-in Schemathesis checks the suite runs on every generated request.
BUILTIN_CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
    "positive_data_acceptance",
    "missing_required_header",
    "unsupported_method",
    "ignored_auth",
)
#: Extra built-in checks that need a scenario (the state machine's recorder).
STATEFUL_CHECKS = ("use_after_free", "ensure_resource_availability")
POSITIVE_ACCEPTED = ["2xx", "3xx", "401", "403", "404", "409", "429", "5xx"]
#: CORS preflights answer before any validation (the Fetch standard), so they accept anything.
PREFLIGHTS = ("resendVerificationPreflight", "resendClientUserVerificationPreflight")

_LOADED: list[OpenApiSchema] = []


def schemathesis_config(settings: ContractSettings, index: SpecIndex) -> Config:
    """The Schemathesis configuration of a run: profile sizes, seed, checks tuned to the spec."""
    profile = settings.profile.settings
    operations: list[dict[str, Any]] = []
    for operation in index.operations.values():
        if "422" in operation.statuses:
            # 422 is documented as "well-formed but not acceptable" (e.g. an unknown receipt prefix):
            # data that matches the schema may legitimately get it.
            operations.append(
                {
                    "include-operation-id": operation.operation_id,
                    "checks": {
                        "positive_data_acceptance": {"expected-statuses": [*POSITIVE_ACCEPTED, "422"]}
                    },
                }
            )
    for operation_id in PREFLIGHTS:
        operations.append(
            {
                "include-operation-id": operation_id,
                "checks": {"negative_data_rejection": {"enabled": False}},
            }
        )
    coverage: dict[str, Any] = {"enabled": profile.coverage}
    if settings.read_only:
        coverage["unexpected-methods"] = []
    data = {
        "base-url": PLACEHOLDER_BASE_URL,
        "seed": settings.seed,
        "suppress-health-check": ["too_slow", "filter_too_much", "data_too_large", "large_base_example"],
        "request-timeout": 30,
        "generation": {"max-examples": profile.max_examples, "database": "none"},
        "phases": {
            "examples": {"enabled": True},
            "coverage": coverage,
            "fuzzing": {"enabled": True},
            "stateful": {"enabled": profile.state_machine, "max-steps": max(2, profile.stateful_steps)},
        },
        "operations": operations,
    }
    return Config.from_dict(data)


def load_schema(settings: ContractSettings) -> OpenApiSchema:
    """The spec as a Schemathesis schema, with the suite's auth provider; GET only in read-only mode."""
    index = SpecIndex.from_path(settings.spec_path)
    schema = schemathesis.openapi.from_path(settings.spec_path, config=schemathesis_config(settings, index))
    schema.auth(refresh_interval=None)(ContractAuth)
    if settings.operations:
        unknown = settings.operations - set(index.operations)
        if unknown:
            raise ConfigError(f"Unknown operationId(s) {', '.join(sorted(unknown))}: see the spec's operationIds")
        schema = schema.exclude(operation_id=sorted(set(index.operations) - settings.operations))
    if settings.read_only:
        # An exclusion, not an inclusion: the per-operation config entries act as include filters too.
        schema = schema.exclude(method=["POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
    _LOADED.append(schema)
    return schema


def bind_base_url(base_url: str) -> None:
    """Point every loaded schema at the target (called when the run starts)."""
    for schema in _LOADED:
        schema.config.update(base_url=base_url)


def check_functions(names: tuple[str, ...]) -> list[Any]:
    from schemathesis.checks import CHECKS, load_all_checks

    load_all_checks()
    return CHECKS.get_by_names(list(names))
