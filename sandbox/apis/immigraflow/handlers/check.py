"""One-off status lookup of a receipt number (``POST /v1/check``): nothing is stored."""

from __future__ import annotations

from typing import Any

from sandbox.apis.immigraflow.case_status import CaseStatus
from sandbox.apis.immigraflow.handlers.common import Handlers, Response, caller


class CheckHandlers(Handlers):
    def check_case_status(self, token_info: Any, body: dict[str, Any]) -> Response:
        partner_id = caller(token_info).tenant_id
        moment = self.rt.clock.now(partner_id)
        return CaseStatus(self.rt).lookup(body["receipt_number"], moment), 200
