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


def _yaml_loader() -> Any:
    import yaml

    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when available: ~50× faster


@cache
def _documents(path: str, mtime: float) -> tuple[dict[str, Any], dict[str, Any]]:
    """The document as written (``$ref``s kept) and fully resolved, each validated once per process.

    Parsed with PyYAML's C loader and validated by openapi-spec-validator on the compact document,
    then resolved here: prance parsed the YAML in pure Python and validated the resolved document
    (five times larger), and Connexion then validated that again. Connexion now gets the document
    as written and resolves it itself; both resolutions equal prance's for the project's specs.
    """
    import yaml
    from openapi_spec_validator import validate

    try:
        with open(path, encoding="utf-8") as handle:
            raw = yaml.load(handle, Loader=_yaml_loader())  # a safe loader (C or pure Python)
    except (OSError, yaml.YAMLError) as exc:
        raise SpecError(f"cannot load OpenAPI document {path}: {exc}") from exc
    if not isinstance(raw, dict) or not str(raw.get("openapi", "")).startswith("3.0"):
        raise SpecError(f"{path}: only OpenAPI 3.0.x documents are supported (Connexion 3 validates 3.0)")
    try:
        validate(raw)
    except Exception as exc:  # openapi-spec-validator raises several unrelated types
        raise SpecError(f"cannot load OpenAPI document {path}: {exc}") from exc
    return raw, resolve_refs(raw, path)


def resolve_refs(document: dict[str, Any], name: str = "document") -> dict[str, Any]:
    """A copy of ``document`` with every local ``$ref`` replaced by what it points to.

    Raises:
        SpecError: a reference is not local (``#/…``), points nowhere, or is recursive.
    """

    def target(ref: str) -> Any:
        if not ref.startswith("#/"):
            raise SpecError(f"{name}: only local references are supported, not {ref!r}")
        node: Any = document
        for part in ref[2:].split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            try:
                node = node[int(part)] if isinstance(node, list) else node[part]
            except (KeyError, IndexError, ValueError, TypeError) as exc:
                raise SpecError(f"{name}: unresolvable reference {ref!r}") from exc
        return node

    def walk(node: Any, seen: tuple[str, ...]) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str):
                if ref in seen:
                    raise SpecError(f"{name}: recursive reference {ref!r}")
                return walk(target(ref), (*seen, ref))
            return {key: walk(value, seen) for key, value in node.items()}
        if isinstance(node, list):
            return [walk(item, seen) for item in node]
        return node

    return walk(document, ())


def _document(path: str | Path) -> tuple[dict[str, Any], dict[str, Any]]:
    file = Path(path).resolve()
    if not file.is_file():
        raise SpecError(f"OpenAPI document not found: {file}")
    return _documents(str(file), file.stat().st_mtime)


def load_spec(path: str | Path) -> dict[str, Any]:
    """Load, validate and fully resolve an OpenAPI 3.0 document (a fresh copy per call)."""
    return copy.deepcopy(_document(path)[1])


def load_raw_spec(path: str | Path) -> dict[str, Any]:
    """The validated document as written, ``$ref``s included (a fresh copy per call)."""
    return copy.deepcopy(_document(path)[0])


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
