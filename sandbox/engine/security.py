"""Binding a spec's security schemes to plain authenticator functions, without import paths.

A plug-in gives one authenticator per security-scheme *name*; each is called as
``authenticator(credential, request)`` and returns a :class:`Principal` (accepted) or ``None``
(rejected → 401). Schemes listed together in one requirement must all accept (AND);
alternative requirements are tried in order (OR), as OpenAPI says.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from connexion.lifecycle import ConnexionRequest
from connexion.security import ApiKeySecurityHandler, BearerSecurityHandler
from connexion.utils import inspect_function_arguments

from sandbox.engine.errors import ApiError, ErrorKind, SpecError

Authenticator = Callable[[str, ConnexionRequest], "Principal | None"]


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: always a tenant, and for end-user credentials also that user."""

    tenant_id: int
    scheme: str
    subject_id: int | None = None

    def as_token_info(self) -> dict[str, Any]:
        return {"sub": f"{self.scheme}:{self.tenant_id}:{self.subject_id}", "principal": self}


def _scheme_key(scheme: Mapping[str, Any]) -> tuple[str, ...]:
    if scheme.get("type") == "apiKey":
        return ("apiKey", str(scheme.get("in")), str(scheme.get("name")).lower())
    return (str(scheme.get("type")), str(scheme.get("scheme", "")).lower())


def security_map(spec: Mapping[str, Any], authenticators: Mapping[str, Authenticator]) -> dict[str, type]:
    """Connexion ``security_map`` whose handlers call ``authenticators`` by scheme name.

    Raises:
        SpecError: a scheme of the spec has no authenticator (Connexion would silently answer
            401 to every call of the operations that use it).
    """
    schemes: Mapping[str, Any] = spec.get("components", {}).get("securitySchemes", {})
    missing = sorted(set(schemes) - set(authenticators))
    if missing:
        raise SpecError(f"no authenticator for security scheme(s) {', '.join(missing)}")
    by_key = {_scheme_key(schemes[name]): _info_func(name, fn) for name, fn in authenticators.items()}

    def resolve(self: Any, security_scheme: Mapping[str, Any]) -> Callable[..., Any] | None:
        return by_key.get(_scheme_key(security_scheme))

    members = {"_resolve_func": resolve, "_accepts_kwarg": staticmethod(_accepts_kwarg)}
    api_key = type("SandboxApiKeyHandler", (ApiKeySecurityHandler,), members)
    bearer = type("SandboxBearerHandler", (BearerSecurityHandler,), members)
    return {"apiKey": api_key, "bearer": bearer}


@cache
def _accepts_kwarg(func: Callable[..., Any], keyword: str) -> bool:
    """Connexion asks this twice per scheme per request (``inspect.signature`` each time): remember it."""
    arguments, has_kwargs = inspect_function_arguments(func)
    return has_kwargs or keyword in arguments


def _info_func(name: str, authenticator: Authenticator) -> Callable[..., dict[str, Any] | None]:
    def info(credential: str, required_scopes: Any = None, request: ConnexionRequest | None = None) -> Any:
        assert request is not None
        principal = authenticator(credential, request)
        return principal.as_token_info() if principal else None

    info.__name__ = f"authenticate_{name}"
    return info


def principal_of(token_info: Any) -> Principal:
    """The principal the security layer accepted (handlers declare a ``token_info`` argument).

    With two schemes ANDed, Connexion nests one result per scheme; they name the same tenant.
    """
    if isinstance(token_info, dict):
        if isinstance(token_info.get("principal"), Principal):
            return token_info["principal"]
        for value in token_info.values():
            if isinstance(value, dict) and isinstance(value.get("principal"), Principal):
                return value["principal"]
    raise ApiError(ErrorKind.UNAUTHENTICATED, "This operation needs credentials")
