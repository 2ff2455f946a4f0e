"""What an API plug-in gives the engine: its spec, its handlers, its authenticators."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Protocol

from sandbox.engine.security import Authenticator


class ApiPlugin(Protocol):
    """One API served by the engine (ImmigraFlow today; Kore.ai and Giosg later)."""

    #: Short name, used in logs and in the Swagger UI mount.
    name: str
    #: The OpenAPI 3.0 document the API is served from.
    spec_path: Path
    #: Where the API's paths are mounted ("" when the spec's paths carry their own prefix).
    base_path: str

    def operations(self) -> Mapping[str, Callable[..., Any]]:
        """Handler per ``operationId``; every operation of the spec must have one."""
        ...

    def authenticators(self) -> Mapping[str, Authenticator]:
        """Authenticator per security-scheme name of the spec."""
        ...
