"""The Schemathesis auth provider: per operation, the credentials its ``security`` asks for.

Credentials go through an auth provider, never through configured headers: Schemathesis then knows
they are explicit, removes them for its ``ignored_auth`` probes, and does not report a false
"accepts invalid authentication".
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from contract_tests import context
from contract_tests.identities import bearer_headers, key_headers, partner_headers
from contract_tests.spec import AuthKind

if TYPE_CHECKING:
    from schemathesis import AuthContext, Case


class ContractAuth:
    """Partner key + secret, the key alone, or a user's bearer token, as each operation declares."""

    def get(self, case: Case, ctx: AuthContext) -> dict[str, str] | None:
        run = context.current()
        if run is None:
            return None
        operation = run.index.operations.get(str(case.operation.definition.raw.get("operationId")))
        if operation is None:
            return None
        kind = operation.auth
        if kind is AuthKind.PARTNER:
            return partner_headers(run.partner)
        if kind is AuthKind.KEY:
            return key_headers(run.partner)
        if kind is AuthKind.BEARER:
            # The self-service delete: a user the fuzzer may delete, never the suite's main bearer user.
            user = run.sacrificial_user
            return bearer_headers(user.token) if user is not None else None
        return None

    def set(self, case: Case, data: dict[str, str], ctx: AuthContext) -> None:
        if case.headers is None:
            case.headers = {}
        for name, value in data.items():
            case.headers[name] = value
