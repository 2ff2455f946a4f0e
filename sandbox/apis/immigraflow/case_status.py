"""How a case's USCIS status evolves: first check, periodic re-checks, forced transitions.

Every change appends a StatusUpdate (texts in en/es/pt, dates, history), notifies the user on the
channels they opted into (the outbox), and queues ``case.status_changed`` webhooks.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, select

from sandbox.apis.immigraflow import events, receipts, simulation
from sandbox.apis.immigraflow import serializers as ser
from sandbox.apis.immigraflow import tables as t
from sandbox.apis.immigraflow.catalogue import get_status
from sandbox.apis.immigraflow.notifications import Outbox, skipped_notifications
from sandbox.apis.immigraflow.repositories import Cases, Users
from sandbox.apis.immigraflow.runtime import Runtime
from sandbox.engine.clock import iso_ms, parse_iso
from sandbox.engine.errors import ApiError, ErrorDetail, ErrorKind

Row = Mapping[str, Any]
MAX_CHECKS_PER_PASS = 2000  # re-checks one case may run in one pass (an advance of ~5 years)


def validated_receipt(value: str) -> str:
    """The receipt number, upper-cased; 400 when malformed, 422 for an unknown prefix."""
    try:
        return receipts.parse_receipt(value.strip().upper()).number
    except receipts.MalformedReceipt as exc:
        raise ApiError(ErrorKind.BAD_REQUEST, str(exc), [ErrorDetail("receipt_number", str(exc))]) from exc
    except receipts.UnknownPrefix as exc:
        raise ApiError(ErrorKind.UNPROCESSABLE, str(exc), [ErrorDetail("receipt_number", str(exc))]) from exc


def _uscis_reachable(receipt: str) -> None:
    try:
        simulation.ensure_reachable(receipt)
    except simulation.UscisUnavailable as exc:
        raise ApiError(
            ErrorKind.UPSTREAM_UNAVAILABLE,
            f"USCIS case status service is unavailable for {receipt}; try again later",
            headers={"Retry-After": str(exc.retry_after)},
        ) from exc


def history_entry(at: str, fields: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "date": at,
        "status_code": fields["status_code"],
        "status_description": fields["status_description"],
    }


class CaseStatus:
    """The status machinery of one runtime."""

    def __init__(self, rt: Runtime) -> None:
        self.rt = rt

    def next_check(self, partner_id: int, after: datetime | None = None) -> float:
        start = after or self.rt.clock.now(partner_id)
        return (start + self.rt.settings.check_interval).timestamp()

    # One-off lookups ------------------------------------------------------------------------------

    def lookup(self, receipt_number: str, at: datetime) -> dict[str, Any]:
        """The CheckResponse for a receipt number; nothing is stored."""
        receipt = validated_receipt(receipt_number)
        _uscis_reachable(receipt)
        journey = simulation.journey_for(receipt)
        step = simulation.initial_step(receipt)
        submitted = simulation.submitted_date_for(receipt, at)
        history = simulation.history_for(receipt, step, submitted)
        changed = history[-1]["date"]
        return {
            "receipt_number": receipt,
            **simulation.status_fields(receipt, journey[step], parse_iso(changed)),
            "submitted_date": iso_ms(submitted),
            "modified_date": changed,
            "history": history,
            "checked_at": iso_ms(at),
        }

    # Stored cases ------------------------------------------------------------------------------------

    def open_case(
        self, conn: Connection, partner_id: int, owner: Row, receipt_number: str, description: str | None
    ) -> Row:
        """Create a case and store the StatusUpdate of its first check."""
        receipt = validated_receipt(receipt_number)
        _uscis_reachable(receipt)
        moment = self.rt.clock.now(partner_id)
        at = iso_ms(moment)
        step = simulation.initial_step(receipt)
        key = simulation.journey_for(receipt)[step]
        cases = Cases(conn, partner_id)
        row = cases.create(
            {
                "user_id": owner["id"],
                "receipt_number": receipt,
                "description": description,
                "active": True,
                "journey_step": step,
                "status_key": key,
                "created_at": at,
                "updated_at": at,
                "last_checked": at,
                "next_check_at": self.next_check(partner_id, moment),
            }
        )
        submitted = simulation.submitted_date_for(receipt, moment)
        history = simulation.history_for(receipt, step, submitted)
        changed = history[-1]["date"]
        body = {
            **simulation.status_fields(receipt, key, parse_iso(changed)),
            "submitted_date": iso_ms(submitted),
            "modified_date": changed,
            "history": history,
            **skipped_notifications(),
        }
        cases.add_update(row["id"], key, body, at)
        return row

    def _append(
        self,
        conn: Connection,
        partner_id: int,
        case: Row,
        key: str,
        step: int,
        moment: datetime,
        previous: Row | None,
    ) -> Row:
        """Record a status change: StatusUpdate, notifications, webhook."""
        at = iso_ms(moment)
        receipt = case["receipt_number"]
        cases = Cases(conn, partner_id)
        owner = Users(conn, partner_id).get(case["user_id"])
        before = previous["body"] if previous is not None else {}
        submitted = parse_iso(before["submitted_date"]) if before.get("submitted_date") else moment
        texts = simulation.status_fields(receipt, key, moment)
        history = [*before.get("history", []), history_entry(at, texts)]
        notify = Outbox(conn, partner_id).status_change(owner, case, texts, at)
        body = {
            **texts,
            "submitted_date": iso_ms(submitted),
            "modified_date": at,
            "history": history,
            **notify,
        }
        update = cases.add_update(case["id"], key, body, at)
        fresh = cases.update(
            case["id"], {"journey_step": step, "status_key": key, "last_checked": at, "updated_at": at}
        )
        summary = ser.partner_case_summary(fresh, update, owner, len(cases.updates(case["id"])))
        events.emit(
            conn,
            partner_id,
            "case.status_changed",
            {"case": summary, "status_update": ser.status_update(update)},
            at,
            self.rt.clock.real_now().timestamp(),
        )
        return update

    def force(self, partner_id: int, case: Row, status: str | None) -> Row:
        """Move a case to its journey's next status, or to the named one (409 at the journey's end)."""
        journey = simulation.journey_for(case["receipt_number"])
        if status is None:
            step = case["journey_step"] + 1
            if step >= len(journey):
                raise ApiError(
                    ErrorKind.CONFLICT,
                    f"case {case['user_case_id']} is at the end of its journey "
                    f"({journey[-1]}); name a status to force it elsewhere",
                )
            key = journey[step]
        else:
            try:
                key = get_status(status).key
            except KeyError as exc:
                raise ApiError(
                    ErrorKind.UNPROCESSABLE, str(exc.args[0]), [ErrorDetail("status", "unknown status")]
                ) from exc
            step = journey.index(key) if key in journey else case["journey_step"]
        moment = self.rt.clock.now(partner_id)
        with self.rt.db.begin() as conn:
            previous = Cases(conn, partner_id).updates(case["id"])
            return self._append(conn, partner_id, case, key, step, moment, previous[0] if previous else None)

    def run_due_checks(self, partner_id: int) -> int:
        """Re-check the partner's active cases whose checks fell due on its clock; returns the changes."""
        now = self.rt.clock.now(partner_id)
        interval = self.rt.settings.check_interval
        changes = 0
        with self.rt.db.begin() as conn:
            due = (
                conn.execute(
                    select(t.cases).where(
                        t.cases.c.partner_id == partner_id,
                        t.cases.c.active.is_(True),
                        t.cases.c.next_check_at <= now.timestamp(),
                    )
                )
                .mappings()
                .all()
            )
            for case in due:
                changes += self._recheck(conn, partner_id, case, now, interval)
        return changes

    def _recheck(self, conn: Connection, partner_id: int, case: Row, now: datetime, interval: timedelta) -> int:
        receipt = case["receipt_number"]
        journey = simulation.journey_for(receipt)
        gap = timedelta(days=simulation.step_days(receipt))
        check_at = datetime.fromtimestamp(case["next_check_at"], now.tzinfo)
        updates = Cases(conn, partner_id).updates(case["id"])
        previous = updates[0] if updates else None
        last_change = parse_iso(previous["timestamp"]) if previous else parse_iso(case["created_at"])
        step, changes, checks = case["journey_step"], 0, 0
        while check_at <= now and checks < MAX_CHECKS_PER_PASS:
            checks += 1
            if step + 1 < len(journey) and check_at - last_change >= gap and not simulation.is_frozen(receipt):
                step += 1
                previous = self._append(
                    conn,
                    partner_id,
                    {**case, "journey_step": step - 1},
                    journey[step],
                    step,
                    check_at,
                    previous,
                )
                last_change = check_at
                changes += 1
            check_at += interval
        conn.execute(
            t.cases.update()
            .where(t.cases.c.id == case["id"])
            .values(last_checked=iso_ms(check_at - interval), next_check_at=check_at.timestamp())
        )
        return changes
