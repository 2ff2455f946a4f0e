"""The contract stays honest: valid, resolvable, examples conform, and it matches the reference."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import prance
import pytest
import yaml
from openapi_schema_validator import OAS30Validator
from openapi_spec_validator import validate

SPECS = Path(__file__).resolve().parents[2] / "openapi"
SPEC_PATH = SPECS / "immigraflow.yaml"
METHODS = ("get", "put", "post", "delete", "options", "patch", "head")

# The reference's 33 operations (shared/reference/immigraflow-api.md, §2).
REFERENCE_OPERATIONS = {
    ("POST", "/v1/check"),
    ("GET", "/v1/users"),
    ("POST", "/v1/users"),
    ("GET", "/v1/users/{user_id}"),
    ("PUT", "/v1/users/{user_id}"),
    ("DELETE", "/v1/users/{user_id}"),
    ("GET", "/v1/users/verify-email"),
    ("POST", "/v1/users/resend-verification"),
    ("OPTIONS", "/v1/users/resend-verification"),
    ("GET", "/v1/users/{user_id}/cases"),
    ("POST", "/v1/users/{user_id}/cases"),
    ("GET", "/v1/users/{user_id}/cases/{case_ref}"),
    ("PUT", "/v1/users/{user_id}/cases/{case_ref}"),
    ("DELETE", "/v1/users/{user_id}/cases/{case_ref}"),
    ("GET", "/v1/webhooks"),
    ("POST", "/v1/webhooks"),
    ("GET", "/v1/webhooks/{webhook_id}"),
    ("PUT", "/v1/webhooks/{webhook_id}"),
    ("DELETE", "/v1/webhooks/{webhook_id}"),
    ("POST", "/v1/auth/login-code"),
    ("POST", "/v1/auth/verify-code"),
    ("GET", "/v1/client"),
    ("PUT", "/v1/client/logo"),
    ("GET", "/v1/client/users"),
    ("POST", "/v1/client/users"),
    ("GET", "/v1/client/users/{user_id}"),
    ("PUT", "/v1/client/users/{user_id}"),
    ("DELETE", "/v1/client/users/{user_id}"),
    ("POST", "/v1/client/users/{user_id}/resend-verification"),
    ("OPTIONS", "/v1/client/users/{user_id}/resend-verification"),
    ("POST", "/v1/client/users/{user_id}/cases"),
    ("GET", "/v1/client/cases"),
    ("GET", "/v1/client/cases/{case_ref}"),
}
DOCUMENTED_SCHEMAS = {
    "ErrorEnvelope",
    "CheckRequest",
    "CheckResponse",
    "User",
    "UserCreateRequest",
    "UserUpdateRequest",
    "ResendVerificationRequest",
    "CaseSummary",
    "PartnerCaseSummary",
    "CaseCreateRequest",
    "CaseUpdateRequest",
    "StatusUpdate",
    "CaseDetailsResponse",
    "PartnerCaseDetailsResponse",
    "LoginCodeRequest",
    "LoginCodeVerifyRequest",
    "LoginVerifyResponse",
    "Webhook",
    "WebhookCreateRequest",
    "WebhookUpdateRequest",
    "Client",
    "ClientLogoUpdateRequest",
}
# The key tree of the public docs' example of getClientCase (seed 000).
SEED_EXAMPLE_KEYS = {
    "case": {"id", "user_case_id", "receipt_number", "description", "created_at", "last_checked", "active", "user"},
    "case.user": {"id", "email", "name", "phone", "status", "preferred_language"},
    "status_update": {
        "id",
        "status_code",
        "status_description",
        "form_type",
        "detail_message",
        "status_code_es",
        "status_description_es",
        "status_code_pt",
        "status_description_pt",
        "submitted_date",
        "modified_date",
        "history",
        "timestamp",
        "notified",
        "email_notify_status",
        "whatsapp_notify_status",
        "email_notify_attempts",
        "whatsapp_notify_attempts",
        "email_notify_last_error",
        "whatsapp_notify_last_error",
        "email_notify_sent_at",
        "whatsapp_notify_sent_at",
    },
    "top": {"case", "status_updates", "update_count"},
}
PROVENANCE = {"documented", "navigation-only", "decided"}


@pytest.fixture(scope="module")
def raw() -> dict[str, Any]:
    return yaml.safe_load(SPEC_PATH.read_text())


@pytest.fixture(scope="module")
def resolved() -> dict[str, Any]:
    parser = prance.ResolvingParser(str(SPEC_PATH), backend="openapi-spec-validator", strict=False)
    return parser.specification  # type: ignore[no-any-return]


def operations(spec: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in spec["paths"].items():
        for method in METHODS:
            if method in item:
                yield method.upper(), path, item[method]


def deref(spec: dict[str, Any], node: Any) -> Any:
    while isinstance(node, dict) and "$ref" in node:
        target: Any = spec
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part]
        node = target
    return node


@pytest.mark.parametrize("name", ["immigraflow.yaml", "sandbox.yaml"])
def test_specs_validate_and_resolve(name: str) -> None:
    spec = yaml.safe_load((SPECS / name).read_text())
    validate(spec)
    parser = prance.ResolvingParser(str(SPECS / name), backend="openapi-spec-validator", strict=False)
    assert "$ref" not in str(parser.specification), "a reference was left unresolved"


def test_operations_match_the_reference(raw: dict[str, Any]) -> None:
    found = {(method, path) for method, path, _ in operations(raw)}
    assert found == REFERENCE_OPERATIONS, {
        "missing": REFERENCE_OPERATIONS - found,
        "extra": found - REFERENCE_OPERATIONS,
    }
    ids = [op["operationId"] for _, _, op in operations(raw)]
    assert len(ids) == len(set(ids)) == 33


def test_documented_schema_names_exist(raw: dict[str, Any]) -> None:
    assert set(raw["components"]["schemas"]) >= DOCUMENTED_SCHEMAS


def test_every_part_has_provenance_and_docs(raw: dict[str, Any]) -> None:
    for method, path, op in operations(raw):
        assert op.get("x-provenance") in PROVENANCE, (method, path)
        assert op.get("summary") and op.get("description") and op.get("tags"), (method, path)
    for name, schema in raw["components"]["schemas"].items():
        assert schema.get("x-provenance") in PROVENANCE, name
        assert "example" in schema, name
    assert "x-provenance" in raw["info"]["description"]


def iter_examples(spec: dict[str, Any]) -> Iterator[tuple[str, Any, Any]]:
    for name, schema in spec["components"]["schemas"].items():
        yield f"schema {name}", schema, schema["example"]
    for method, path, op in operations(spec):
        media_types = []
        if "requestBody" in op:
            media_types.append(("request", op["requestBody"]["content"]))
        for status, response in op["responses"].items():
            media_types.append((status, deref(spec, response).get("content", {})))
        for where, content in media_types:
            for media in content.values():
                if "example" in media:
                    yield f"{method} {path} {where}", media["schema"], media["example"]
                for example in media.get("examples", {}).values():
                    yield f"{method} {path} {where}", media["schema"], example["value"]
        for param in op.get("parameters", []):
            param = deref(spec, param)
            for example in param.get("examples", {}).values():
                yield f"{method} {path} {param['name']}", param["schema"], example["value"]


def test_every_example_validates(resolved: dict[str, Any]) -> None:
    checked = 0
    for where, schema, example in iter_examples(resolved):
        errors = [e.message for e in OAS30Validator(schema).iter_errors(example)]
        assert not errors, f"{where}: {errors[:3]}"
        checked += 1
    assert checked > 80


def test_every_2xx_has_an_example(raw: dict[str, Any]) -> None:
    for method, path, op in operations(raw):
        if "requestBody" in op:
            assert "example" in op["requestBody"]["content"]["application/json"], (method, path)
        for status, response in op["responses"].items():
            if status.startswith("2") and "content" in response:
                assert all("example" in m or "examples" in m for m in response["content"].values()), (method, path)


def test_error_responses_are_envelopes(raw: dict[str, Any]) -> None:
    for method, path, op in operations(raw):
        for status, response in op["responses"].items():
            if status.startswith("2"):
                continue
            body = deref(raw, response)
            schema = body["content"]["application/json"]["schema"]
            assert schema == {"$ref": "#/components/schemas/ErrorEnvelope"}, (method, path, status)
            if "$ref" not in response:  # only verify-email extends a shared response, with an HTML page
                assert op["operationId"] == "verifyUserEmail" and set(body["content"]) == {
                    "application/json",
                    "text/html",
                }


def test_status_codes_follow_the_operation_shape(raw: dict[str, Any]) -> None:
    for method, path, op in operations(raw):
        codes = set(op["responses"])
        security = op.get("security", raw["security"])
        if security:
            assert "401" in codes, (method, path)
        if "{" in path:
            assert "400" in codes, (method, path)  # a path parameter that does not parse
            if method != "OPTIONS":  # preflights answer whatever the id
                assert "404" in codes, (method, path)
        if "requestBody" in op:
            assert {"400", "413", "415"} <= codes, (method, path)
        if method == "DELETE":
            assert "204" in codes, (method, path)
        if method == "POST" and "201" in codes:
            assert "Location" in op["responses"]["201"]["headers"], (method, path)


def test_list_operations_share_pagination(raw: dict[str, Any]) -> None:
    lists = [op for _, _, op in operations(raw) if op["operationId"].startswith("list")]
    assert len(lists) == 5
    for op in lists:
        refs = {p.get("$ref") for p in op["parameters"]}
        assert {"#/components/parameters/Page", "#/components/parameters/Limit"} <= refs, op["operationId"]
        schema = deref(raw, op["responses"]["200"]["content"]["application/json"]["schema"])
        assert schema["properties"]["pagination"] == {"$ref": "#/components/schemas/Pagination"}


def test_creates_link_to_read_update_delete(raw: dict[str, Any]) -> None:
    by_id = {op["operationId"]: (method, op) for method, _, op in operations(raw)}
    creates = [op for _, _, op in operations(raw) if "201" in op["responses"]]
    assert len(creates) == 5
    for op in creates:
        links = op["responses"]["201"].get("links", {})
        targets = {by_id[link["operationId"]][0] for link in links.values()}
        assert {"GET", "PUT", "DELETE"} <= targets, (op["operationId"], targets)
        for name, link in links.items():
            target = by_id[link["operationId"]][1]
            names = {deref(raw, p)["name"] for p in target.get("parameters", [])}
            assert set(link["parameters"]) <= names, (op["operationId"], name)


def test_webhook_callbacks_cover_every_event(raw: dict[str, Any]) -> None:
    create = raw["paths"]["/v1/webhooks"]["post"]
    events = set(raw["components"]["schemas"]["WebhookEventType"]["enum"])
    declared = set()
    for callback in create["callbacks"].values():
        post = callback["{$request.body#/url}"]["post"]
        headers = {p["name"]: p for p in post["parameters"]}
        assert {"ImmigraFlow-Event", "ImmigraFlow-Delivery", "ImmigraFlow-Signature"} <= set(headers)
        declared.update(headers["ImmigraFlow-Event"]["schema"]["enum"])
    assert declared == events


def test_security_per_operation(raw: dict[str, Any]) -> None:
    security = {op["operationId"]: op.get("security", raw["security"]) for _, _, op in operations(raw)}
    pair = {"PartnerKey": [], "PartnerSecret": []}
    assert raw["security"] == [pair]
    assert security["deleteUser"] == [{"UserBearer": []}]
    assert security["requestLoginCode"] == security["verifyLoginCode"] == [{"PartnerKey": []}]
    for open_op in ("verifyUserEmail", "resendVerificationPreflight", "resendClientUserVerificationPreflight"):
        assert security[open_op] == []
    for op in ("getUser", "updateUser", "listUserCases", "createCase", "getCase", "updateCase", "deleteCase"):
        assert security[op] == [pair, {"UserBearer": []}], op
    for method, path, op in operations(raw):
        if path.startswith("/v1/client") and method != "OPTIONS":
            assert security[op["operationId"]] == [pair], path


def test_get_client_case_example_has_the_docs_shape(raw: dict[str, Any]) -> None:
    media = raw["paths"]["/v1/client/cases/{case_ref}"]["get"]["responses"]["200"]["content"]["application/json"]
    example = media["example"]
    assert set(example) == SEED_EXAMPLE_KEYS["top"]
    assert set(example["case"]) == SEED_EXAMPLE_KEYS["case"]
    assert set(example["case"]["user"]) == SEED_EXAMPLE_KEYS["case.user"]
    assert set(example["status_updates"][0]) == SEED_EXAMPLE_KEYS["status_update"]
