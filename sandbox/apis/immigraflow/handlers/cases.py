"""Cases: receipt numbers monitored for a user (``/v1/users/{id}/cases`` and the backoffice)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection

from sandbox.apis.immigraflow import events
from sandbox.apis.immigraflow import serializers as ser
from sandbox.apis.immigraflow.case_status import CaseStatus
from sandbox.apis.immigraflow.handlers.common import (
    Handlers,
    Response,
    caller,
    created,
    no_content,
    scoped_user,
)
from sandbox.apis.immigraflow.repositories import Cases, Users
from sandbox.engine.clock import iso_ms, parse_iso
from sandbox.engine.pagination import PageRequest

Row = Mapping[str, Any]


def case_details(cases: Cases, row: Row) -> dict[str, Any]:
    updates = cases.updates(row["id"])
    latest = updates[0] if updates else None
    return {"case": ser.case_summary(row, latest), "status_updates": [ser.status_update(u) for u in updates]}


def partner_case_details(conn: Connection, cases: Cases, row: Row) -> dict[str, Any]:
    updates = cases.updates(row["id"])
    owner = Users(conn, cases.partner_id).get(row["user_id"])
    latest = updates[0] if updates else None
    return {
        "case": ser.partner_case_summary(row, latest, owner, len(updates)),
        "status_updates": [ser.status_update(u) for u in updates],
        "update_count": len(updates),
    }


class CaseHandlers(Handlers):
    @property
    def status(self) -> CaseStatus:
        return CaseStatus(self.rt)

    def _create(self, partner_id: int, user_id: int, body: dict[str, Any], partner_view: bool) -> Response:
        receipt = body["receipt_number"].strip().upper()
        with self.rt.db.begin() as conn:
            owner = Users(conn, partner_id).get(user_id)
            cases = Cases(conn, partner_id)
            cases.ensure_receipt_free(user_id, receipt)
            row = self.status.open_case(conn, partner_id, owner, receipt, body.get("description"))
            at = row["created_at"]
            details = partner_case_details(conn, cases, row)
            events.emit(
                conn,
                partner_id,
                "case.created",
                {"case": details["case"], "status_update": details["status_updates"][0]},
                at,
                self.rt.clock.real_now().timestamp(),
            )
            answer = details if partner_view else case_details(cases, row)
        return created(answer, f"/v1/users/{user_id}/cases/{row['id']}")

    # /v1/users/{user_id}/cases --------------------------------------------------------------------

    def list_user_cases(
        self, token_info: Any, user_id: int, page: int = 1, limit: int = 20, active: bool | None = None
    ) -> Response:
        principal = scoped_user(token_info, user_id)
        request = PageRequest.of(page, limit)
        with self.rt.db.connect() as conn:
            Users(conn, principal.tenant_id).get(user_id)
            cases = Cases(conn, principal.tenant_id)
            rows, total = cases.list_for_user(user_id, request, active=active)
            latest = cases.latest_updates([r["id"] for r in rows])
        return {
            "cases": [ser.case_summary(r, latest.get(r["id"])) for r in rows],
            "pagination": request.block(total),
        }, 200

    def create_case(self, token_info: Any, user_id: int, body: dict[str, Any]) -> Response:
        principal = scoped_user(token_info, user_id)
        return self._create(principal.tenant_id, user_id, body, partner_view=False)

    def get_case(self, token_info: Any, user_id: int, case_ref: str) -> Response:
        principal = scoped_user(token_info, user_id)
        with self.rt.db.connect() as conn:
            Users(conn, principal.tenant_id).get(user_id)
            cases = Cases(conn, principal.tenant_id)
            row = cases.resolve(case_ref, user_id=user_id)
            return case_details(cases, row), 200

    def update_case(self, token_info: Any, user_id: int, case_ref: str, body: dict[str, Any]) -> Response:
        principal = scoped_user(token_info, user_id)
        at, _ = self.now(principal.tenant_id)
        with self.rt.db.begin() as conn:
            Users(conn, principal.tenant_id).get(user_id)
            cases = Cases(conn, principal.tenant_id)
            row = cases.resolve(case_ref, user_id=user_id)
            values = {key: body[key] for key in ("description", "active") if key in body}
            if any(row[key] != value for key, value in values.items()):
                if values.get("active") and not row["active"]:
                    values["next_check_at"] = self.status.next_check(principal.tenant_id)
                row = cases.update(row["id"], {**values, "updated_at": at})
            return case_details(cases, row), 200

    def delete_case(self, token_info: Any, user_id: int, case_ref: str) -> Response:
        principal = scoped_user(token_info, user_id)
        at, _ = self.now(principal.tenant_id)
        with self.rt.db.begin() as conn:
            Users(conn, principal.tenant_id).get(user_id)
            cases = Cases(conn, principal.tenant_id)
            row = cases.resolve(case_ref, user_id=user_id)
            gone = partner_case_details(conn, cases, row)["case"]
            cases.delete(row["id"])
            events.emit(
                conn,
                principal.tenant_id,
                "case.deleted",
                {"case": gone, "status_update": None},
                at,
                self.rt.clock.real_now().timestamp(),
            )
        return no_content()

    # Backoffice -------------------------------------------------------------------------------------

    def create_client_user_case(self, token_info: Any, user_id: int, body: dict[str, Any]) -> Response:
        return self._create(caller(token_info).tenant_id, user_id, body, partner_view=True)

    def list_client_cases(
        self,
        token_info: Any,
        page: int = 1,
        limit: int = 20,
        user_id: int | None = None,
        active: bool | None = None,
        receipt_number: str | None = None,
        status_code: str | None = None,
        updated_since: str | None = None,
        q: str | None = None,
        sort: str | None = None,
    ) -> Response:
        partner_id = caller(token_info).tenant_id
        request = PageRequest.of(page, limit)
        with self.rt.db.connect() as conn:
            cases = Cases(conn, partner_id)
            rows, total = cases.list_for_partner(
                request,
                user_id=user_id,
                active=active,
                receipt_number=receipt_number,
                status_code=status_code,
                updated_since=_iso_filter(updated_since),
                q=q,
                sort=sort,
            )
            ids = [r["id"] for r in rows]
            latest, counts = cases.latest_updates(ids), cases.update_counts(ids)
            owners = Users(conn, partner_id).many({r["user_id"] for r in rows})
        items = [
            ser.partner_case_summary(r, latest.get(r["id"]), owners[r["user_id"]], counts.get(r["id"], 0)) for r in rows
        ]
        return {"cases": items, "pagination": request.block(total)}, 200

    def get_client_case(self, token_info: Any, case_ref: str) -> Response:
        partner_id = caller(token_info).tenant_id
        with self.rt.db.connect() as conn:
            cases = Cases(conn, partner_id)
            return partner_case_details(conn, cases, cases.resolve(case_ref)), 200


def _iso_filter(value: Any) -> str | None:
    """``updated_since`` as the stored ISO form (Connexion hands date-times over as strings)."""
    if value is None:
        return None
    return iso_ms(parse_iso(str(value)))
