"""Keeping a run safe against a real deployment.

- ``Marker``: everything the run creates carries the run id (``contract+<run>-N@example.com``,
  ``[contract-test <run>] …``, webhook URLs on ``*.contract-test.invalid``), so it can be found
  and deleted, and no email, WhatsApp message or webhook reaches a real recipient.
- ``CaseGuard``: before a generated case is sent, its bodies are marked and the ids of a write
  are replaced by objects the run created (or deleted): fuzzing never touches anyone else's data.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any

from schemathesis.core.parameters import ParameterLocation

if TYPE_CHECKING:
    from schemathesis import Case

    from contract_tests.context import RunContext

#: An id no deployment has handed out (used for writes that should miss).
ABSENT_ID = 987_654_321_012_345


class Marker:
    """Names and addresses that identify one run."""

    def __init__(self, run_id: str) -> None:
        self.run_id = run_id
        self.prefix = f"[contract-test {run_id}]"
        self._counter = itertools.count(1)

    def email(self, tag: str = "") -> str:
        suffix = f"-{tag}" if tag else ""
        return f"contract+{self.run_id}-{next(self._counter)}{suffix}@example.com"

    @property
    def nobody(self) -> str:
        """An address no user has (login codes and resends to it go nowhere)."""
        return f"contract+{self.run_id}-nobody@example.com"

    def label(self, text: str = "", max_length: int = 120) -> str:
        value = f"{self.prefix} {text}".strip()
        return value[:max_length]

    def webhook_url(self) -> str:
        # RFC 2606: .invalid never resolves, so a delivery to it goes nowhere.
        return f"https://r{self.run_id}.contract-test.invalid/hooks/{next(self._counter)}"

    @staticmethod
    def phone() -> str:
        # NANP 555-01XX numbers are reserved for fiction.
        return "+12025550142"

    def owns(self, text: str | None) -> bool:
        return bool(text) and (f"contract+{self.run_id}-" in str(text) or self.prefix in str(text))


_EMAIL_TO_NOBODY = {"requestLoginCode", "verifyLoginCode"}
_LENGTHS = {"name": 120, "description": 500}
_WEBHOOK_DESCRIPTION = 200


INT64_MAX = 2**63 - 1


def _digits(value: Any) -> int:
    text = str(value).removeprefix("FLOW")
    return int(text) if text.isdigit() else len(text)


def _nameable(value: Any) -> bool:
    """Whether ``value`` could be the id of an existing object (ids are int64 ≥ 1)."""
    if str(value).startswith("FLOW"):
        return True
    return str(value).isdigit() and 1 <= int(value) <= INT64_MAX


def _owned_slot(value: Any, write: bool) -> bool:
    """Deterministically, which generated ids are replaced by the run's own objects.

    Writes: half (the rest get a deleted or absent object, so they miss). Reads are safe with any
    id: a third go to the run's objects (to check real bodies), the rest stay as generated.
    """
    return _digits(value) % (2 if write else 3) == 0


class CaseGuard:
    """Rewrites a generated case so that sending it is safe (see the module docstring)."""

    def __init__(self, run: RunContext) -> None:
        self.run = run

    def prepare(self, case: Case) -> None:
        op_id = str(case.operation.definition.raw.get("operationId"))
        operation = self.run.index.operations.get(op_id)
        if operation is None:
            return
        meta = case.meta
        if case.path_parameters and not (meta is not None and meta.is_negative_at(ParameterLocation.PATH)):
            self._map_path(case, op_id, operation.is_write)
        if isinstance(case.body, dict) and not (
            meta is not None and meta.is_negative_at(ParameterLocation.BODY)
        ):
            case.body = self._mark_body(op_id, dict(case.body))

    # Path parameters
    def _map_path(self, case: Case, op_id: str, write: bool) -> None:
        params = dict(case.path_parameters or {})
        partner = self.run.partner.api_key
        tracker = self.run.tracker
        user_id = params.get("user_id")
        if op_id == "deleteUser":
            # Bearer-only: the token's user is the only one it can delete.
            victim = self.run.sacrificial_user
            if victim is not None and _nameable(user_id):
                params["user_id"] = victim.user_id
        elif user_id is not None:
            if tracker.owns("user", partner, user_id):
                pass  # from a link: the run's own object
            elif not _nameable(user_id):
                pass  # cannot name anyone's object: safe to send as generated
            elif _owned_slot(user_id, write):
                user = self.run.pool_user()
                params["user_id"] = user_id = user.id if user else ABSENT_ID
            elif write:
                gone = tracker.tombstone("user", partner)
                params["user_id"] = gone.id if gone else ABSENT_ID
                user_id = None
            else:
                user_id = None
            case_ref = params.get("case_ref")
            if (
                case_ref is not None
                and user_id is not None
                and _nameable(case_ref)
                and not tracker.owns("case", partner, case_ref)
            ):
                params["case_ref"] = self._case_ref(case_ref, int(user_id))
        elif "case_ref" in params:
            case_ref = params["case_ref"]
            if (
                _nameable(case_ref)
                and not tracker.owns("case", partner, case_ref)
                and _owned_slot(case_ref, write)
            ):
                params["case_ref"] = self._case_ref(case_ref, None)
        webhook_id = params.get("webhook_id")
        if (
            webhook_id is not None
            and _nameable(webhook_id)
            and not tracker.owns("webhook", partner, webhook_id)
        ):
            if _owned_slot(webhook_id, write):
                webhook = self.run.pool_webhook()
                params["webhook_id"] = webhook.id if webhook else ABSENT_ID
            elif write:
                gone = tracker.tombstone("webhook", partner)
                params["webhook_id"] = gone.id if gone else ABSENT_ID
        case.path_parameters = params

    def _case_ref(self, generated: Any, user_id: int | None) -> str:
        if user_id == ABSENT_ID or (
            user_id is not None and not self.run.tracker.is_live("user", self.run.partner.api_key, user_id)
        ):
            return str(generated)
        case = self.run.pool_case(user_id)
        if case is None:
            return str(ABSENT_ID)
        return case.ref if str(generated).startswith("FLOW") and case.ref else str(case.id)

    # Bodies
    def _mark_body(self, op_id: str, body: dict[str, Any]) -> dict[str, Any]:
        marker = self.run.marker
        if isinstance(body.get("email"), str):
            if op_id in _EMAIL_TO_NOBODY:
                body["email"] = marker.nobody
            elif op_id == "resendVerification":
                user = self.run.pool_user()
                use_user = user is not None and len(body["email"]) % 2 == 0
                body["email"] = user.data.get("email", marker.nobody) if use_user and user else marker.nobody
            else:
                body["email"] = marker.email()
        if isinstance(body.get("name"), str):
            body["name"] = marker.label(body["name"], _LENGTHS["name"])
        if isinstance(body.get("phone"), str):
            body["phone"] = marker.phone()
        if "Webhook" in op_id:
            if isinstance(body.get("url"), str):
                body["url"] = marker.webhook_url()
            # A webhook the fuzzer registers never receives deliveries (the webhook layer registers its own).
            body["active"] = False
            if "description" in body or op_id == "createWebhook":
                body["description"] = marker.label(str(body.get("description") or ""), _WEBHOOK_DESCRIPTION)
        elif op_id in {"createCase", "createClientUserCase"} or (
            op_id == "updateCase" and "description" in body
        ):
            body["description"] = marker.label(str(body.get("description") or ""), _LENGTHS["description"])
        if op_id == "updateClientLogo" and isinstance(body.get("logo_url"), str) and self.run.original_logo:
            body["logo_url"] = self.run.original_logo
        return body
