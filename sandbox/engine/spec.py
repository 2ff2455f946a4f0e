"""Loading an OpenAPI document and indexing what the engine needs from it at run time."""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from sandbox.engine.errors import SpecError

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


@cache
def _resolved(path: str, mtime: float) -> dict[str, Any]:
    import prance

    try:
        parser = prance.ResolvingParser(path, backend="openapi-spec-validator", strict=False, lazy=True)
        parser.parse()
    except Exception as exc:  # prance raises several unrelated types
        raise SpecError(f"cannot load OpenAPI document {path}: {exc}") from exc
    spec = parser.specification
    if not isinstance(spec, dict) or not str(spec.get("openapi", "")).startswith("3.0"):
        raise SpecError(f"{path}: only OpenAPI 3.0.x documents are supported (Connexion 3 validates 3.0)")
    return spec


def load_spec(path: str | Path) -> dict[str, Any]:
    """Load, validate and fully resolve an OpenAPI 3.0 document (a fresh copy per call)."""
    file = Path(path).resolve()
    if not file.is_file():
        raise SpecError(f"OpenAPI document not found: {file}")
    return copy.deepcopy(_resolved(str(file), file.stat().st_mtime))


@dataclass(frozen=True, slots=True)
class PathTemplate:
    """One path of the spec, with the methods it answers and a matcher for concrete paths."""

    template: str
    methods: frozenset[str]
    pattern: re.Pattern[str]

    @property
    def allow(self) -> str:
        """The value of an ``Allow`` header for this path (RFC 9110 §10.2.1)."""
        return ", ".join(sorted(m.upper() for m in self.methods))


@dataclass(slots=True)
class SpecIndex:
    """The spec's paths and operations, indexed for the error and routing fallbacks."""

    base_path: str
    paths: list[PathTemplate] = field(default_factory=list)
    operations: dict[str, tuple[str, str, dict[str, Any]]] = field(default_factory=dict)

    @classmethod
    def from_spec(cls, spec: dict[str, Any], base_path: str = "") -> SpecIndex:
        index = cls(base_path=base_path.rstrip("/"))
        for template, item in spec.get("paths", {}).items():
            methods = frozenset(m for m in item if m in HTTP_METHODS)
            regex = re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(index.base_path + template))
            index.paths.append(PathTemplate(template, methods, re.compile(f"^{regex}/?$")))
            for method in methods:
                operation = item[method]
                if "operationId" in operation:
                    index.operations[operation["operationId"]] = (method, template, operation)
        # Literal segments must win over templated ones (/v1/users/verify-email vs /v1/users/{id}).
        index.paths.sort(key=lambda p: (p.template.count("{"), -len(p.template)))
        return index

    def match(self, path: str) -> PathTemplate | None:
        """The first path template a concrete path fits, ignoring parameter formats."""
        for candidate in self.paths:
            if candidate.pattern.match(path):
                return candidate
        return None


def to_json_schema(schema: Any) -> Any:
    """Rewrite an OpenAPI 3.0 schema object into plain JSON Schema (``nullable`` → type union).

    Drops the OpenAPI-only keywords a JSON Schema validator would not understand.
    """
    if isinstance(schema, list):
        return [to_json_schema(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key in ("nullable", "example", "examples", "xml", "externalDocs", "discriminator", "deprecated"):
            continue
        if key.startswith("x-"):
            continue
        if key in ("properties", "patternProperties", "definitions"):
            out[key] = {name: to_json_schema(sub) for name, sub in value.items()}
        else:
            out[key] = to_json_schema(value)
    if schema.get("nullable"):
        if "type" in out:
            out["type"] = [out["type"], "null"] if isinstance(out["type"], str) else [*out["type"], "null"]
        if "enum" in out and None not in out["enum"]:
            out["enum"] = [*out["enum"], None]
        for combinator in ("oneOf", "anyOf"):
            if combinator in out:
                out[combinator] = [*out[combinator], {"type": "null"}]
        if "allOf" in out:
            out = {"anyOf": [out, {"type": "null"}]}
    return out
