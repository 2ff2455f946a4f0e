"""A read-only index of the spec: operations, their security, documented statuses and media types."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
PARTNER_PAIR = frozenset({"PartnerKey", "PartnerSecret"})
KEY_ONLY = frozenset({"PartnerKey"})
BEARER = frozenset({"UserBearer"})


class AuthKind(StrEnum):
    """The credentials an operation wants, as the suite sends them."""

    NONE = "none"
    PARTNER = "partner"  # X-API-KEY and X-API-SECRET (maybe a bearer token too, as an alternative)
    KEY = "key"  # X-API-KEY alone
    BEARER = "bearer"  # Authorization: Bearer only


@dataclass(frozen=True, slots=True)
class Operation:
    operation_id: str
    method: str
    path: str
    #: Security requirements (alternatives), each a set of scheme names; empty: no auth.
    security: tuple[frozenset[str], ...]
    statuses: tuple[str, ...]
    pattern: re.Pattern[str]

    @property
    def label(self) -> str:
        return f"{self.method.upper()} {self.path}"

    @property
    def auth(self) -> AuthKind:
        if not self.security or any(not requirement for requirement in self.security):
            return AuthKind.NONE
        if PARTNER_PAIR in self.security:
            return AuthKind.PARTNER
        if KEY_ONLY in self.security:
            return AuthKind.KEY
        return AuthKind.BEARER

    @property
    def accepts_bearer(self) -> bool:
        return BEARER in self.security

    @property
    def is_write(self) -> bool:
        return self.method in {"post", "put", "delete", "patch"}


class SpecIndex:
    """Operations of one OpenAPI document, matched by method and concrete path."""

    def __init__(self, raw: dict[str, Any]) -> None:
        self.raw = raw
        global_security = raw.get("security", [])
        self.operations: dict[str, Operation] = {}
        for path, item in raw.get("paths", {}).items():
            for method in METHODS:
                definition = item.get(method)
                if definition is None:
                    continue
                security = definition.get("security", global_security)
                operation = Operation(
                    operation_id=definition["operationId"],
                    method=method,
                    path=path,
                    security=tuple(frozenset(requirement) for requirement in security),
                    statuses=tuple(str(code) for code in definition.get("responses", {})),
                    pattern=_path_pattern(path),
                )
                self.operations[operation.operation_id] = operation

    @classmethod
    def from_path(cls, path: Path) -> SpecIndex:
        with path.open(encoding="utf-8") as file:
            return cls(yaml.safe_load(file))

    def selected(self, operation_ids: frozenset[str]) -> list[Operation]:
        """The operations to test: all, or those named (in spec order)."""
        return [op for op in self.operations.values() if not operation_ids or op.operation_id in operation_ids]

    def __getitem__(self, operation_id: str) -> Operation:
        return self.operations[operation_id]

    @cached_property
    def _paths(self) -> list[tuple[str, re.Pattern[str]]]:
        # Literal segments win over templated ones (/v1/users/verify-email before /v1/users/{user_id}),
        # as a router resolves them.
        paths = {op.path: op.pattern for op in self.operations.values()}
        return sorted(paths.items(), key=lambda item: (item[0].count("{"), -len(item[0])))

    def template(self, path: str) -> str | None:
        """The spec path a concrete path routes to."""
        for template, pattern in self._paths:
            if pattern.match(path):
                return template
        return None

    def match(self, method: str, path: str) -> Operation | None:
        """The operation a request routes to (``None``: unknown path, or a method the path lacks)."""
        template = self.template(path)
        if template is None:
            return None
        method = method.lower()
        for operation in self.operations.values():
            if operation.path == template and operation.method == method:
                return operation
        return None

    def methods(self, template: str) -> list[str]:
        return sorted(op.method.upper() for op in self.operations.values() if op.path == template)

    def resolve(self, node: Any) -> Any:
        """Follow local ``$ref``s until a concrete node."""
        while isinstance(node, dict) and "$ref" in node:
            node = self.pointer(node["$ref"])
        return node

    def pointer(self, ref: str) -> Any:
        if not ref.startswith("#/"):
            raise ValueError(f"only local references are supported, got {ref!r}")
        node: Any = self.raw
        for part in ref[2:].split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        return node

    def response(self, operation_id: str, status: int) -> dict[str, Any] | None:
        """The documented response for ``status`` (exact code, then ``4XX``-style range, then default)."""
        operation = self.operations[operation_id]
        definition = self.raw["paths"][operation.path][operation.method]["responses"]
        for key in (str(status), f"{str(status)[0]}XX", "default"):
            if key in definition:
                return self.resolve(definition[key])
        return None

    def documents(self, operation_id: str, status: int) -> bool:
        return str(status) in self.operations[operation_id].statuses

    def schema(self, name: str) -> dict[str, Any]:
        return self.raw["components"]["schemas"][name]


def _path_pattern(path: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^}]+\})", path)
    regex = "".join("[^/]+" if part.startswith("{") else re.escape(part) for part in parts)
    return re.compile(f"^{regex}/?$")


def schema_errors(raw: dict[str, Any], pointer: str, instance: Any) -> list[str]:
    """Why ``instance`` breaks the schema at ``pointer`` in ``raw`` (OpenAPI 3.0 semantics, refs resolved)."""
    from openapi_schema_validator import OAS30Validator, oas30_format_checker
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT4

    registry: Registry[Any] = Registry().with_resource("urn:spec", Resource.from_contents(raw, DRAFT4))
    validator = OAS30Validator(
        {"$ref": f"urn:spec#{pointer}"}, registry=registry, format_checker=oas30_format_checker
    )
    return [
        f"{'/'.join(map(str, error.absolute_path)) or '(root)'}: {error.message}"
        for error in sorted(validator.iter_errors(instance), key=lambda e: list(map(str, e.absolute_path)))
    ]


def escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


@dataclass(frozen=True, slots=True)
class Example:
    """An example in the spec and the schema it must satisfy."""

    location: str  # JSON pointer of the example value
    schema: str  # JSON pointer of its schema
    value: Any


def find_examples(raw: dict[str, Any]) -> list[Example]:
    """Every ``example`` / ``examples`` of a schema, parameter, header or media type, with its schema."""
    found: list[Example] = []

    def holder(node: dict[str, Any], pointer: str, schema_pointer: str) -> None:
        if "example" in node:
            found.append(Example(f"{pointer}/example", schema_pointer, node["example"]))
        for name, item in (node.get("examples") or {}).items():
            if isinstance(item, dict) and "value" in item:
                found.append(
                    Example(f"{pointer}/examples/{escape(name)}/value", schema_pointer, item["value"])
                )

    def schema(node: Any, pointer: str) -> None:
        if not isinstance(node, dict) or "$ref" in node:
            return
        if "example" in node:
            found.append(Example(f"{pointer}/example", pointer, node["example"]))
        for name, sub in (node.get("properties") or {}).items():
            schema(sub, f"{pointer}/properties/{escape(name)}")
        if isinstance(node.get("items"), dict):
            schema(node["items"], f"{pointer}/items")
        for key in ("allOf", "oneOf", "anyOf"):
            for index, sub in enumerate(node.get(key) or []):
                schema(sub, f"{pointer}/{key}/{index}")

    def walk(node: Any, pointer: str) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("schema"), dict) and ("example" in node or "examples" in node):
                holder(node, pointer, f"{pointer}/schema")
            for key, value in node.items():
                child = f"{pointer}/{escape(str(key))}"
                if key == "schema":
                    schema(value, child)
                elif key == "schemas" and pointer == "/components":
                    for name, sub in value.items():
                        schema(sub, f"{child}/{escape(name)}")
                else:
                    walk(value, child)
        elif isinstance(node, list):
            for index, item in enumerate(node):
                walk(item, f"{pointer}/{index}")

    walk(raw, "")
    return found
