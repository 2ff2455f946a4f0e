"""No response shows another partner's (or, to a bearer, another user's) objects.

The suite plants canaries: every object it creates is registered with its owner (partner, and
user for cases). A 2xx response that contains a canary of someone else is a leak, whatever the
operation.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import schemathesis

from contract_tests.checks._support import exchange_of
from contract_tests.checks.failures import CrossTenantLeak, CrossUserLeak

if TYPE_CHECKING:
    from schemathesis import Case, CheckContext, Response


@schemathesis.check
def tenant_isolation(ctx: CheckContext, response: Response, case: Case) -> bool | None:
    """A successful response carries only the caller's objects."""
    from contract_tests import context

    run = context.current()
    if run is None or not 200 <= response.status_code < 300 or not response.content:
        return None
    requester = run.identities.requester(dict(response.request.headers))
    if requester is None:
        return None
    text = response.content.decode("utf-8", errors="replace")
    for canary in run.tracker.canaries():
        if canary.needle not in text:
            continue
        if canary.partner != requester.partner:
            raise CrossTenantLeak(
                operation=case.operation.label,
                message=f"The response to {requester.describe()} contains {canary.describe()}",
                exchange=exchange_of(response),
            )
        if (
            requester.user_id is not None
            and canary.user_id is not None
            and canary.user_id != requester.user_id
        ):
            raise CrossUserLeak(
                operation=case.operation.label,
                message=f"The response to {requester.describe()} contains {canary.describe()}",
                exchange=exchange_of(response),
            )
    return True
