"""A response describes what was asked for: the requested id, the requested filter."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import schemathesis

from contract_tests.checks._support import exchange_of, json_body, operation_id, sent_query
from contract_tests.checks.failures import WrongResource

if TYPE_CHECKING:
    from schemathesis import Case, CheckContext, Response

#: operationId → (path parameter, wrapper key of the body)
_SINGLE = {
    "getUser": ("user_id", "user"),
    "updateUser": ("user_id", "user"),
    "getClientUser": ("user_id", "user"),
    "updateClientUser": ("user_id", "user"),
    "getWebhook": ("webhook_id", "webhook"),
    "updateWebhook": ("webhook_id", "webhook"),
    "getCase": ("case_ref", "case"),
    "updateCase": ("case_ref", "case"),
    "getClientCase": ("case_ref", "case"),
}


def identity_problem(requested: Any, obj: Any) -> str | None:
    """Why ``obj`` is not the object ``requested`` (an id, or a ``FLOW…`` case reference)."""
    if not isinstance(obj, dict):
        return "the body has no such object"
    text = str(requested)
    if text.startswith("FLOW"):
        if obj.get("user_case_id") != text:
            return f"requested {text}, got user_case_id {obj.get('user_case_id')!r}"
        return None
    if str(obj.get("id")) != text:
        return f"requested id {text}, got id {obj.get('id')!r}"
    return None


@schemathesis.check
def resource_identity(ctx: CheckContext, response: Response, case: Case) -> bool | None:
    """GET/PUT by id answers that very object; a filtered list holds only matching items."""
    if response.status_code != 200:
        return None
    body = json_body(response)
    op = operation_id(case)
    problem = None
    if op in _SINGLE:
        param, key = _SINGLE[op]
        requested = (case.path_parameters or {}).get(param)
        if requested is None or not isinstance(body, dict):
            return None
        problem = identity_problem(requested, body.get(key))
    elif op == "listClientCases" and isinstance(body, dict):
        wanted = sent_query(response).get("user_id")
        if wanted is not None and wanted.isdigit():
            others = [
                c.get("user", {}).get("id")
                for c in body.get("cases", [])
                if str(c.get("user", {}).get("id")) != wanted
            ]
            if others:
                problem = f"filtered by user_id={wanted}, got cases of users {sorted(set(map(str, others)))}"
    elif op in {"listUsers", "listClientUsers"} and isinstance(body, dict):
        wanted = sent_query(response).get("status")
        if wanted is not None:
            others = {u.get("status") for u in body.get("users", [])} - {wanted}
            if others:
                problem = f"filtered by status={wanted}, got users with status {sorted(map(str, others))}"
    if problem:
        raise WrongResource(
            operation=case.operation.label, message=problem, exchange=exchange_of(response), key=op
        )
    return True
