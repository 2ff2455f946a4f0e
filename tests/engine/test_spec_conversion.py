from __future__ import annotations

import jsonschema_rs

from sandbox.engine.spec import SpecIndex, to_json_schema


def test_nullable_becomes_a_type_union() -> None:
    schema = to_json_schema({"type": "string", "nullable": True, "example": "x", "x-provenance": "decided"})
    assert schema == {"type": ["string", "null"]}
    validator = jsonschema_rs.Draft4Validator(schema)
    assert validator.is_valid(None) and validator.is_valid("a") and not validator.is_valid(1)


def test_nullable_enum_accepts_null() -> None:
    schema = to_json_schema({"type": "string", "enum": ["a"], "nullable": True})
    assert jsonschema_rs.Draft4Validator(schema).is_valid(None)


def test_property_named_like_a_keyword_is_kept() -> None:
    schema = to_json_schema({"type": "object", "properties": {"example": {"type": "integer"}}})
    assert schema["properties"] == {"example": {"type": "integer"}}


def test_index_prefers_literal_paths_and_computes_allow() -> None:
    spec = {
        "paths": {
            "/v1/users/{user_id}": {
                "get": {"operationId": "getUser"},
                "delete": {"operationId": "deleteUser"},
            },
            "/v1/users/verify-email": {"get": {"operationId": "verifyUserEmail"}},
        }
    }
    index = SpecIndex.from_spec(spec)
    assert index.match("/v1/users/verify-email").template == "/v1/users/verify-email"  # type: ignore[union-attr]
    user = index.match("/v1/users/42")
    assert user is not None and user.allow == "DELETE, GET"
    assert index.match("/v1/nope") is None
    assert set(index.operations) == {"getUser", "deleteUser", "verifyUserEmail"}
