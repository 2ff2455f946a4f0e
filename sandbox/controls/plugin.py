"""The ``/_sandbox`` API as an engine plug-in: generic controls plus an API's own ones."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from sandbox.controls.handlers import GenericControls
from sandbox.engine.security import Authenticator

SPEC_PATH = Path(__file__).resolve().parents[2] / "openapi" / "sandbox.yaml"


class ControlsApi:
    """Serves ``openapi/sandbox.yaml`` under ``/_sandbox``."""

    name = "sandbox-controls"
    spec_path = SPEC_PATH
    base_path = "/_sandbox"

    def __init__(
        self,
        generic: GenericControls,
        domain_operations: Mapping[str, Callable[..., Any]],
        authenticators: Mapping[str, Authenticator],
    ) -> None:
        self.generic = generic
        self.domain_operations = domain_operations
        self._authenticators = authenticators

    def operations(self) -> Mapping[str, Callable[..., Any]]:
        g = self.generic
        return {
            "getClock": g.get_clock,
            "advanceClock": g.advance_clock,
            "listFaults": g.list_faults,
            "createFault": g.create_fault,
            "deleteFault": g.delete_fault,
            "clearFaults": g.clear_faults,
            "listRequests": g.list_requests,
            **self.domain_operations,
        }

    def authenticators(self) -> Mapping[str, Authenticator]:
        return self._authenticators
