"""Compiled (jsonschema-rs) request and response body validators for Connexion.

Connexion's defaults build a pure-Python ``jsonschema`` validator on every request. These
compile each schema once, keep request and response validation fully on, and phrase failures
as field-level details for the error envelope.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any, NoReturn

import jsonschema_rs
from connexion.datastructures import MediaTypeDict
from connexion.exceptions import BadRequestProblem, NonConformingResponseBody
from connexion.validators import (
    VALIDATOR_MAP,
    JSONRequestBodyValidator,
    JSONResponseBodyValidator,
    ParameterValidator,
    TextResponseBodyValidator,
)
from starlette.types import Scope

from sandbox.engine.errors import ErrorDetail
from sandbox.engine.spec import to_json_schema

logger = logging.getLogger(__name__)

# Keyed by id() of the operation's schema dict; the dict is kept alive beside its validator, so
# an id is never reused while its entry exists.
_COMPILED: dict[int, tuple[Any, jsonschema_rs.Validator]] = {}
_EMPTY_SCHEMA: dict[str, Any] = {}


def compiled(schema: dict[str, Any]) -> jsonschema_rs.Validator:
    """The compiled validator for an OpenAPI 3.0 schema object, built once per schema.

    An empty schema (Connexion hands a fresh ``{}`` for every response without one) maps to one
    shared validator, so such responses neither compile nor grow the cache per request.
    """
    if not schema:
        schema = _EMPTY_SCHEMA
    entry = _COMPILED.get(id(schema))
    if entry is None or entry[0] is not schema:
        validator = jsonschema_rs.Draft4Validator(to_json_schema(schema), validate_formats=True)
        entry = (schema, validator)
        _COMPILED[id(schema)] = entry
    return entry[1]


def schema_errors(validator: jsonschema_rs.Validator, instance: Any, limit: int = 10) -> list[ErrorDetail]:
    """Field-level details for every way ``instance`` breaks the schema (at most ``limit``)."""
    details: list[ErrorDetail] = []
    for error in validator.iter_errors(instance):
        path = ".".join(str(part) for part in error.instance_path) or "body"
        details.append(ErrorDetail(field=path, issue=error.message))
        if len(details) >= limit:
            break
    return details


def reject_response_body(validator: jsonschema_rs.Validator, body: Any) -> NoReturn:
    """Refuse a response body that breaks its schema: logged (it is the server's bug), then a 500."""
    message = "; ".join(f"{d.field}: {d.issue}" for d in schema_errors(validator, body, limit=3))
    logger.error("response does not conform to the spec: %s", message)
    raise NonConformingResponseBody(detail=f"Response body does not conform to the spec: {message}")


class BodyValidationProblem(BadRequestProblem):
    """A request body that breaks its schema, with one detail per violation."""

    def __init__(self, details: list[ErrorDetail]) -> None:
        summary = "; ".join(f"{d.field}: {d.issue}" for d in details[:3])
        super().__init__(detail=f"Request body is invalid: {summary}")
        self.details = details


class CompiledJSONRequestBodyValidator(JSONRequestBodyValidator):
    """JSON request bodies: strict UTF-8 and JSON parsing, compiled schema validation."""

    async def _parse(self, stream: Any, scope: Scope) -> Any:
        raw = b"".join([message async for message in stream])
        if not raw:
            return None
        try:
            text = raw.decode(self._encoding or "utf-8")
        except (UnicodeDecodeError, LookupError) as exc:
            raise BadRequestProblem(detail=f"Request body is not valid {self._encoding} text: {exc}") from exc
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise BadRequestProblem(detail=f"Request body is not valid JSON: {exc}") from exc

    def _validate(self, body: Any) -> dict[str, Any] | None:
        if not self._nullable and body is None:
            raise BadRequestProblem(detail="Request body must not be empty")
        validator = compiled(self._schema)
        if not validator.is_valid(body):
            raise BodyValidationProblem(schema_errors(validator, body))
        return None


class CompiledJSONResponseBodyValidator(JSONResponseBodyValidator):
    """JSON response bodies: a body that breaks the spec is never served (it becomes a 500)."""

    def _validate(self, body: Any) -> None:
        validator = compiled(self._schema)
        if not validator.is_valid(body):
            reject_response_body(validator, body)


class CompiledTextResponseBodyValidator(TextResponseBodyValidator):
    """Text responses (e.g. HTML pages): validated as strings against their schema."""

    def _validate(self, body: Any) -> None:
        if not compiled(self._schema).is_valid(body):
            raise NonConformingResponseBody(detail="Response body does not conform to the spec")


# Parameter schemas the compiled validator may decide alone when it *accepts* a value: keywords on
# which jsonschema-rs and Python's jsonschema (Draft 4, what Connexion uses) agree. Anything else,
# and every rejection, goes through Connexion's own validator, so messages stay byte-identical.
_SAFE_KEYWORDS = frozenset(
    {
        "type",
        "enum",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "minLength",
        "maxLength",
        "pattern",
        "format",
        "default",
        "description",
        "title",
        "example",
    }
)
_SAFE_TYPES = frozenset({"string", "integer", "number", "boolean"})
_IGNORED_FORMATS = frozenset({"int32", "int64", "float", "double"})  # neither library checks these
# Patterns of literals, classes and counted repeats only: Rust's regex accepts a subset of what
# Python's ``re`` does on them (``$`` does not match before a final newline), never more.
_SIMPLE_PATTERN = re.compile(r"^[\^$\[\]{}()|,?+*A-Za-z0-9_\-]*$")
_PARAMETERS: dict[int, tuple[Any, dict[str, list[dict[str, Any]]]]] = {}
_PARAMETER_SCHEMAS: dict[int, tuple[Any, jsonschema_rs.Validator | None]] = {}


def fast_parameter_validator(param: dict[str, Any]) -> jsonschema_rs.Validator | None:
    """A compiled validator for a parameter whose schema both libraries judge alike, else ``None``."""
    entry = _PARAMETER_SCHEMAS.get(id(param))
    if entry is None or entry[0] is not param:
        schema = param.get("schema", param)
        safe = (
            isinstance(schema, dict)
            and set(schema) <= _SAFE_KEYWORDS
            and schema.get("type") in _SAFE_TYPES
            and schema.get("format", "int64") in _IGNORED_FORMATS
            and _SIMPLE_PATTERN.match(str(schema.get("pattern", ""))) is not None
        )
        validator = jsonschema_rs.Draft4Validator(to_json_schema(schema)) if safe else None
        entry = (param, validator)
        _PARAMETER_SCHEMAS[id(param)] = entry
    return entry[1]


class CompiledParameterValidator(ParameterValidator):
    """Connexion's parameter validation, with each operation's parameters grouped once and each
    parameter schema compiled once (Connexion deep-copies the schema and builds a pure-Python
    validator for every parameter of every request).

    A value the compiled schema accepts is accepted; any other value is judged by Connexion's own
    code, so what is rejected, and the error message, are exactly what they were.
    """

    def __init__(
        self,
        parameters: Any,
        uri_parser: Any,
        strict_validation: bool = False,
        security_query_params: Any = None,
    ) -> None:
        entry = _PARAMETERS.get(id(parameters))
        if entry is None or entry[0] is not parameters:
            grouped: dict[str, list[dict[str, Any]]] = {}
            for param in parameters:
                grouped.setdefault(param["in"], []).append(param)
            entry = (parameters, grouped)
            _PARAMETERS[id(parameters)] = entry
        self.parameters = entry[1]  # type: ignore[assignment]
        self.uri_parser = uri_parser
        self.strict_validation = strict_validation
        self.security_query_params = set(security_query_params or [])

    @staticmethod
    def validate_parameter(parameter_type: str, value: Any, param: dict[str, Any], param_name: Any = None) -> Any:
        if value is not None:
            fast = fast_parameter_validator(param)
            if fast is not None:
                try:
                    if fast.is_valid(value):
                        return None
                except (ValueError, OverflowError, TypeError):  # e.g. an integer beyond 64 bits
                    pass
        return ParameterValidator.validate_parameter(parameter_type, value, param, param_name)


def validator_map() -> dict[str, Any]:
    """Connexion's validator map with the compiled JSON validators swapped in."""
    body = MediaTypeDict(dict(VALIDATOR_MAP["body"]))
    body["*/*json"] = CompiledJSONRequestBodyValidator
    response = MediaTypeDict(
        {
            "*/*json": CompiledJSONResponseBodyValidator,
            "text/plain": CompiledTextResponseBodyValidator,
            "text/html": CompiledTextResponseBodyValidator,
        }
    )
    return {"parameter": CompiledParameterValidator, "body": body, "response": response}
