"""The fast path: each operation compiled once at start-up, serving the requests that conform.

Connexion rebuilds its per-operation pipeline on every request (URI parser, decorators, request
objects, a fresh validator per parameter, six ``send`` wrappers); that cost more than the handlers
themselves. :class:`FastPath` sits just inside Connexion's exception layer and serves a request
alone when everything about it is plainly in order:

- its method and path match exactly one operation of a spec, and that operation was compilable
  (scalar path/query parameters, JSON bodies and responses, apiKey-in-header or bearer security);
- a security requirement of the operation accepts its credentials (same authenticators);
- every parameter converts and passes its compiled schema (only schemas on which the compiled
  validator and Connexion's agree are decided here);
- its body, if any, is ``application/json`` UTF-8 JSON that passes its compiled schema.

Anything else (an unknown route, bad or missing credentials, a value to reject, an odd content
type, HEAD, a repeated parameter…) is handed to Connexion *before* any side effect, with the body
replayed, so every rejection is Connexion's own, byte for byte. Responses are built and validated
the way Connexion does (content type, required headers, body schema): validation stays on.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

import jsonschema_rs
from connexion.decorators.parameter import sanitized
from connexion.exceptions import NonConformingResponseBody, NonConformingResponseHeaders
from connexion.lifecycle import ConnexionRequest, ConnexionResponse
from connexion.utils import inspect_function_arguments, is_nullable
from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from sandbox.engine.jsonifier import encode
from sandbox.engine.request_context import read_body
from sandbox.engine.security import Authenticator
from sandbox.engine.spec import HTTP_METHODS
from sandbox.engine.validation import compiled, fast_parameter_validator, reject_response_body

ROUTING = "connexion_routing"  # the scope extensions Connexion's routing and security fill in
CONTEXT = "connexion_context"
_CALL = "sandbox_fast_path_call"  # handler arguments, from the checks to the endpoint

_MISSING = object()
_INTEGER = re.compile(r"-?[0-9]{1,19}")
_BOOLEANS = {"true": True, "false": False}
_JSON_MIME = re.compile(r"^application/(?:[a-z0-9.+-]+\+)?json$")


class NotCompilable(Exception):
    """An operation uses something the fast path leaves to Connexion."""


def path_names(template: str) -> list[str]:
    """The path parameters of a path template, in order."""
    return re.findall(r"\{([^/{}]+)\}", template)


def path_pattern(template: str) -> re.Pattern[str]:
    """A matcher for the concrete paths of a template; group N+1 is its N-th path parameter."""
    return re.compile("([^/]+)".join(re.escape(part) for part in re.split(r"\{[^/{}]+\}", template)))


@dataclass(frozen=True, slots=True)
class Route:
    """A method and path of a spec, and the compiled operation serving it (``None``: Connexion alone)."""

    method: str
    template: str
    operation: CompiledOperation | None

    @property
    def pattern(self) -> re.Pattern[str]:
        return path_pattern(self.template)


@dataclass(frozen=True, slots=True)
class Parameter:
    """A path or query parameter: how to convert its text, and the schema it must then pass."""

    name: str
    argument: str
    kind: str  # "integer" | "boolean" | "string"
    validator: jsonschema_rs.Validator | None  # None: any value is left to Connexion
    default: Any = _MISSING

    def convert(self, text: str) -> Any:
        """The typed value, or ``_MISSING`` when Connexion should judge the text."""
        if not text:
            return _MISSING
        if self.kind == "integer":
            value: Any = int(text) if _INTEGER.fullmatch(text) else _MISSING
        elif self.kind == "boolean":
            value = _BOOLEANS.get(text, _MISSING)
        else:
            value = text
        if value is _MISSING or self.validator is None:
            return _MISSING
        try:
            return value if self.validator.is_valid(value) else _MISSING
        except (ValueError, OverflowError, TypeError):  # e.g. beyond 64 bits
            return _MISSING


@dataclass(frozen=True, slots=True)
class Credential:
    """Where one security scheme's credential is read from, and who judges it."""

    scheme: str
    header: str  # lower-case header name
    bearer: bool
    authenticator: Authenticator

    def read(self, headers: Mapping[str, str]) -> str | None:
        value = headers.get(self.header)
        if value is None or not self.bearer:
            return value
        parts = value.split(maxsplit=1)
        return parts[1] if len(parts) == 2 and parts[0].lower() == "bearer" else None


@dataclass(frozen=True, slots=True)
class ResponseRule:
    """What Connexion's response validation checks for one status code."""

    required_headers: frozenset[str]
    validators: Mapping[str, jsonschema_rs.Validator]  # mime type → its compiled schema
    nullable: bool = False


class CompiledOperation:
    """One operation, with everything per-request work needs decided once."""

    def __init__(
        self,
        operation_id: str,
        method: str,
        base_path: str,
        path: str,
        operation: Mapping[str, Any],
        path_item: Mapping[str, Any],
        security_schemes: Mapping[str, Any],
        default_security: Sequence[Mapping[str, Any]] | None,
        handler: Callable[..., Any],
        authenticators: Mapping[str, Authenticator],
        inline: bool,
    ) -> None:
        self.operation_id = operation_id
        self.method = method.upper()
        self.base_path = base_path.rstrip("/")
        path = self.base_path + path
        self.handler = handler
        self.inline = inline
        self.arguments, self.has_kwargs = inspect_function_arguments(handler)
        self.path_parameters, self.query_parameters = self._parameters(operation, path_item)
        self.path_names = path_names(path)
        missing = set(self.path_names) - set(self.path_parameters)
        if missing:
            raise NotCompilable(f"path parameter(s) {sorted(missing)} not defined")
        self.requirements = self._requirements(
            operation.get("security", default_security) or [], security_schemes, authenticators
        )
        self.body = self._body(operation)
        self.responses = self._responses(operation)
        self.produces = sorted(
            {mime for response in operation.get("responses", {}).values() for mime in response.get("content", {})}
        )

    def _parameters(
        self, operation: Mapping[str, Any], path_item: Mapping[str, Any]
    ) -> tuple[dict[str, Parameter], dict[str, Parameter]]:
        merged = {(p["name"], p["in"]): p for p in path_item.get("parameters", [])}
        merged.update({(p["name"], p["in"]): p for p in operation.get("parameters", [])})
        path: dict[str, Parameter] = {}
        query: dict[str, Parameter] = {}
        for (name, location), definition in merged.items():
            schema = definition.get("schema", {})
            kind = schema.get("type")
            if location not in ("path", "query") or kind not in ("integer", "boolean", "string"):
                raise NotCompilable(f"{location} parameter {name!r} of type {kind!r}")
            if definition.get("style", "simple" if location == "path" else "form") not in ("simple", "form"):
                raise NotCompilable(f"parameter {name!r} has style {definition['style']!r}")
            default = definition.get("default", schema.get("default", _MISSING))
            parameter = Parameter(name, sanitized(name), kind, fast_parameter_validator(definition), default)
            (path if location == "path" else query)[name] = parameter
        return path, query

    @staticmethod
    def _requirements(
        security: Sequence[Mapping[str, Any]],
        schemes: Mapping[str, Any],
        authenticators: Mapping[str, Authenticator],
    ) -> list[list[Credential]]:
        requirements = []
        for requirement in security:
            if not requirement:
                raise NotCompilable("optional security ({} requirement)")
            credentials = []
            for name in requirement:
                scheme = schemes[name]
                if scheme.get("type") == "apiKey" and scheme.get("in") == "header":
                    credentials.append(Credential(name, scheme["name"].lower(), False, authenticators[name]))
                elif scheme.get("type") == "http" and str(scheme.get("scheme", "")).lower() == "bearer":
                    credentials.append(Credential(name, "authorization", True, authenticators[name]))
                else:
                    raise NotCompilable(f"security scheme {name!r}")
            requirements.append(credentials)
        return requirements

    def _body(self, operation: Mapping[str, Any]) -> tuple[str, jsonschema_rs.Validator] | None:
        request_body = operation.get("requestBody")
        if request_body is None:
            return None
        content = request_body.get("content", {})
        if list(content) != ["application/json"]:
            raise NotCompilable(f"request body content {sorted(content)}")
        return sanitized(request_body.get("x-body-name", "body")), compiled(
            content["application/json"].get("schema", {})
        )

    @staticmethod
    def _responses(operation: Mapping[str, Any]) -> dict[str, ResponseRule]:
        rules = {}
        for status, response in operation.get("responses", {}).items():
            content = response.get("content", {})
            if not all(_is_json(mime) for mime in content):
                raise NotCompilable(f"response {status} content {sorted(content)}")
            rules[str(status)] = ResponseRule(
                frozenset(name.lower() for name, h in response.get("headers", {}).items() if h.get("required")),
                {mime: compiled(media.get("schema", {})) for mime, media in content.items()},
                is_nullable(response),
            )
        return rules

    # -- per request ---------------------------------------------------------------------------

    def authenticate(self, scope: Scope, headers: Mapping[str, str]) -> Any:
        """The ``token_info`` Connexion's security would store, or ``_MISSING`` (let Connexion answer)."""
        request: ConnexionRequest | None = None
        for credentials in self.requirements:
            infos: dict[str, Any] = {}
            for credential in credentials:
                value = credential.read(headers)
                if value is None:
                    break
                if request is None:
                    request = ConnexionRequest(scope)
                principal = credential.authenticator(value, request)
                if principal is None:
                    break
                infos[credential.scheme] = principal.as_token_info()
            else:
                return next(iter(infos.values())) if len(infos) == 1 else infos
        return _MISSING

    def arguments_from(self, match: re.Match[str], query_string: bytes) -> dict[str, Any] | None:
        """Handler keyword arguments from the path and query, or ``None`` (let Connexion judge)."""
        kwargs: dict[str, Any] = {}
        for name, text in zip(self.path_names, match.groups(), strict=True):
            parameter = self.path_parameters[name]
            value = parameter.convert(text)
            if value is _MISSING:
                return None
            kwargs[parameter.argument] = value
        given: dict[str, str] = {}
        if query_string:
            for name, text in parse_qsl(query_string.decode("latin-1"), keep_blank_values=True):
                if name in self.query_parameters:
                    if name in given:
                        return None
                    given[name] = text
        for name, parameter in self.query_parameters.items():
            text = given.get(name)
            if text is None:
                value = parameter.default
            else:
                value = parameter.convert(text)  # checked even when the handler does not take it
                if value is _MISSING:
                    return None
            if value is not _MISSING and (parameter.argument in self.arguments or self.has_kwargs):
                kwargs[parameter.argument] = value
        return kwargs

    def parse_body(self, headers: Mapping[str, str], raw: bytes) -> Any:
        """The JSON body when it conforms, else ``_MISSING``."""
        assert self.body is not None
        content_type = headers.get("content-type", "").split(";")
        if content_type[0].strip().lower() != "application/json":
            return _MISSING
        if len(content_type) > 1 and any(p.strip().lower() not in ("charset=utf-8", "") for p in content_type[1:]):
            return _MISSING
        try:
            body = json.loads(raw.decode("utf-8")) if raw else None
        except (UnicodeDecodeError, ValueError):
            return _MISSING
        if body is None or not self.body[1].is_valid(body):
            return _MISSING
        return body

    async def call(self, kwargs: dict[str, Any]) -> Any:
        if self.inline:
            return self.handler(**kwargs)
        return await run_in_threadpool(self.handler, **kwargs)

    def response(self, result: Any) -> Response:
        """The handler's result as Connexion would send it, after Connexion's response checks."""
        if isinstance(result, ConnexionResponse):  # sent as built, like Connexion does
            data, status, headers = result.body, result.status_code, dict(result.headers or {})
            content_type = result.content_type
            response_class = JSONResponse if isinstance(data, (dict, list)) else Response
            response = response_class(data, status_code=status, headers=headers, media_type=content_type)
            self._check(response, data if response_class is JSONResponse else _MISSING)
            return response
        data, status, headers = _unpack(result)
        content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), None)
        produces = self.produces or (["application/json"] if data is not None else [])
        if content_type is not None:
            if content_type not in produces:
                raise NonConformingResponseHeaders(
                    f"Returned content type ({content_type}) is not defined in operation spec ({self.produces})."
                )
        elif len(produces) == 1:
            content_type = headers["Content-Type"] = produces[0]
        elif produces:
            raise NonConformingResponseHeaders(
                "Multiple response content types are defined in the operation spec, but "
                "the handler response did not specify which one to return."
            )
        serialized = data is not None and not isinstance(data, (str, bytes)) and _is_json(content_type)
        content = encode(data) + b"\n" if serialized else data  # the newline: as Connexion sends it
        response = Response(
            content, status_code=status or (204 if content is None else 200), headers=headers, media_type=content_type
        )
        self._check(response, data if serialized else _MISSING)
        return response

    def _check(self, response: Response, data: Any) -> None:
        """Connexion's response validation: content type, required headers, body schema.

        ``data`` is the object serialized into the body (``_MISSING``: parse the body instead).
        """
        content_type = response.headers.get("content-type")
        mime = (content_type or (self.produces[0] if self.produces else "application/octet-stream")).split(";")[0]
        mime = mime.strip().lower()
        if response.status_code < 400 and self.produces and mime not in self.produces:
            raise NonConformingResponseHeaders(f"Invalid Response Content-type ({mime}), expected {self.produces}")
        rule = self.responses.get(str(response.status_code), self.responses.get("default"))
        if rule is not None:
            missing = rule.required_headers - set(response.headers.keys())
            if missing:
                raise NonConformingResponseHeaders(
                    "Keys in response header don't match response specification. Difference: " + ", ".join(missing)
                )
        if not _is_json(mime):
            return
        validator = rule.validators.get(mime) if rule else None
        if validator is None:
            validator = compiled({})
        try:
            valid = validator.is_valid(data) if data is not _MISSING else False
        except (ValueError, TypeError, OverflowError):  # values the JSON encoder converts (dates, decimals…)
            valid = False
        if not valid:
            try:
                data = json.loads(response.body) if response.body else None
            except ValueError as exc:
                raise NonConformingResponseBody(detail=f"Response body is not valid JSON: {exc}") from exc
            if data is None and rule is not None and rule.nullable:
                return
            if not validator.is_valid(data):
                reject_response_body(validator, data)


def _is_json(content_type: str | None) -> bool:
    return content_type is not None and _JSON_MIME.match(content_type.split(";")[0].strip().lower()) is not None


def _unpack(result: Any) -> tuple[Any, int | None, dict[str, str]]:
    """Connexion's reading of a handler's return value: body, (body, status|headers), (body, status, headers)."""
    if not isinstance(result, tuple):
        return result, None, {}
    if len(result) == 1:
        return result[0], None, {}
    if len(result) == 2:
        data, second = result
        return (data, int(second), {}) if isinstance(second, int) else (data, None, dict(second))
    if len(result) == 3:
        return result[0], result[1], dict(result[2] or {})
    raise TypeError("The view function did not return a valid response tuple.")


def compile_operations(
    spec: Mapping[str, Any],
    base_path: str,
    handlers: Mapping[str, Callable[..., Any]],
    authenticators: Mapping[str, Authenticator],
    inline: bool = True,
) -> tuple[list[Route], dict[str, str]]:
    """A route per operation of ``spec``, compiled where possible; why each other one is not."""
    routes: list[Route] = []
    skipped: dict[str, str] = {}
    schemes = spec.get("components", {}).get("securitySchemes", {})
    for path, item in spec.get("paths", {}).items():
        for method in HTTP_METHODS:
            operation = item.get(method)
            if operation is None or "operationId" not in operation:
                continue
            operation_id = operation["operationId"]
            compiled_operation: CompiledOperation | None = None
            try:
                compiled_operation = CompiledOperation(
                    operation_id,
                    method,
                    base_path,
                    path,
                    operation,
                    item,
                    schemes,
                    spec.get("security"),
                    handlers[operation_id],
                    authenticators,
                    inline,
                )
            except NotCompilable as reason:
                skipped[operation_id] = str(reason)
            routes.append(Route(method.upper(), base_path.rstrip("/") + path, compiled_operation))
    return routes, skipped


class FastPath:
    """ASGI middleware serving conforming requests of compiled operations; the rest goes to ``app``.

    ``inner`` middleware (``(class, kwargs)``, outermost first) wraps the compiled endpoints the way
    the same middleware wraps Connexion's validation layer: they run after routing and security,
    with ``scope["extensions"]`` filled in as Connexion fills it.
    """

    def __init__(
        self,
        app: ASGIApp,
        routes: Sequence[Route],
        inner: Sequence[tuple[type, dict[str, Any]]] = (),
    ) -> None:
        self.app = app
        # Candidates by method and number of segments (a parameter never spans a "/").
        self.routes: dict[tuple[str, int], list[tuple[re.Pattern[str], CompiledOperation | None]]] = {}
        for route in routes:
            key = (route.method, route.template.count("/"))
            self.routes.setdefault(key, []).append((route.pattern, route.operation))
        endpoint: ASGIApp = self._endpoint
        for cls, kwargs in reversed(inner):
            endpoint = cls(endpoint, **kwargs)
        self.endpoint = endpoint

    def _route(self, method: str, path: str) -> tuple[CompiledOperation, re.Match[str]] | None:
        """The compiled operation serving ``path``; ``None`` if none, or if several routes fit
        (Connexion's route order and path converters decide those)."""
        found = None
        for pattern, operation in self.routes.get((method, path.count("/")), ()):
            match = pattern.fullmatch(path)
            if match is not None:
                if found is not None:
                    return None
                found = (operation, match)
        return found if found is not None and found[0] is not None else None  # type: ignore[return-value]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        routed = self._route(scope["method"], scope["path"])
        if routed is None:
            await self.app(scope, receive, send)
            return
        operation, match = routed
        headers: dict[str, str] = {}
        for name, value in scope["headers"]:
            key = name.decode("latin-1").lower()
            if key not in headers:
                headers[key] = value.decode("latin-1")
        token_info = operation.authenticate(scope, headers) if operation.requirements else None
        kwargs = operation.arguments_from(match, scope.get("query_string", b"")) if token_info is not _MISSING else None
        if kwargs is None:
            await self.app(scope, receive, send)
            return
        if operation.body is not None:
            raw, receive = await read_body(receive)  # the size limit was enforced outside
            body = operation.parse_body(headers, raw or b"")
            if body is _MISSING:
                await self.app(scope, receive, send)
                return
            if operation.body[0] in operation.arguments or operation.has_kwargs:
                kwargs[operation.body[0]] = body
        extensions = scope.setdefault("extensions", {})
        extensions[ROUTING] = {"api_base_path": operation.base_path, "operation_id": operation.operation_id}
        if operation.requirements:
            context = extensions.setdefault(CONTEXT, {})
            context["token_info"] = token_info
            context["user"] = token_info.get("sub", token_info.get("uid"))
            for key in ("token_info", "user"):
                if key in operation.arguments or operation.has_kwargs:
                    kwargs[key] = context[key]
        extensions[_CALL] = (operation, kwargs)
        await self.endpoint(scope, receive, send)

    @staticmethod
    async def _endpoint(scope: Scope, receive: Receive, send: Send) -> None:
        operation, kwargs = scope["extensions"].pop(_CALL)
        response = operation.response(await operation.call(kwargs))
        await response(scope, receive, send)
