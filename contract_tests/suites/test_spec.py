"""Layer 1: the spec itself is valid OpenAPI 3.0, resolves, and every example conforms to its schema."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from contract_tests.pytest_plugin import contract_settings
from contract_tests.spec import Example, SpecIndex, find_examples, schema_errors

pytestmark = pytest.mark.contract_spec

SPEC_PATH = contract_settings().spec_path
RAW: dict[str, Any] = yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))
EXAMPLES = find_examples(RAW)


def test_spec_is_valid_openapi() -> None:
    from openapi_spec_validator import validate

    validate(RAW)


def test_spec_resolves() -> None:
    import prance

    parser = prance.ResolvingParser(str(SPEC_PATH), backend="openapi-spec-validator", lazy=True, strict=True)
    parser.parse()
    assert parser.specification is not None
    assert "$ref" not in str(parser.specification.get("paths", {}))


def test_operation_ids_are_unique_and_complete() -> None:
    index = SpecIndex(RAW)
    declared = [
        definition["operationId"]
        for item in RAW["paths"].values()
        for method, definition in item.items()
        if isinstance(definition, dict) and "responses" in definition
    ]
    assert len(declared) == len(set(declared)), "duplicate operationIds"
    assert set(declared) == set(index.operations)


def test_links_target_existing_operations_and_parameters() -> None:
    index = SpecIndex(RAW)
    problems = []
    for operation in index.operations.values():
        responses = RAW["paths"][operation.path][operation.method]["responses"]
        for status, response in responses.items():
            for name, link in (index.resolve(response).get("links") or {}).items():
                target = index.operations.get(link.get("operationId", ""))
                where = f"{operation.operation_id} {status} link {name}"
                if target is None:
                    problems.append(f"{where}: unknown operationId {link.get('operationId')!r}")
                    continue
                declared = {
                    index.resolve(p)["name"]
                    for p in RAW["paths"][target.path].get("parameters", [])
                    + RAW["paths"][target.path][target.method].get("parameters", [])
                }
                problems += [
                    f"{where}: {target.operation_id} has no parameter {p!r}"
                    for p in link.get("parameters", {})
                    if p not in declared
                ]
    assert not problems, "\n".join(problems)


def test_every_non_2xx_json_response_is_the_error_envelope() -> None:
    index = SpecIndex(RAW)
    problems = []
    for operation in index.operations.values():
        for status in operation.statuses:
            if not status.isdigit() or int(status) < 400:
                continue
            response = index.response(operation.operation_id, int(status)) or {}
            media = (response.get("content") or {}).get("application/json")
            if media is None:
                if not response.get("content"):
                    problems.append(f"{operation.operation_id} {status}: no content")
                continue
            if media.get("schema") != {"$ref": "#/components/schemas/ErrorEnvelope"}:
                problems.append(f"{operation.operation_id} {status}: not the ErrorEnvelope")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("example", EXAMPLES, ids=[example.location for example in EXAMPLES])
def test_example_conforms(example: Example) -> None:
    errors = schema_errors(RAW, example.schema, example.value)
    assert not errors, f"example at {example.location} breaks {example.schema}:\n" + "\n".join(errors)
