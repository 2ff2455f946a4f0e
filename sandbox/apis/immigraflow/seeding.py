"""Loading a fixtures world (``fixtures/world.json``) into the database, whole or per partner."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Connection, bindparam, delete, func, select

from sandbox.apis.immigraflow import tables as t
from sandbox.engine.clock import parse_iso
from sandbox.engine.errors import SeedError

_UPDATE_META = ("id", "case_id", "status_key", "timestamp")
_PARTNER_TABLES = (t.outbox, t.webhook_deliveries, t.webhooks, t.tokens, t.login_codes)


def is_empty(conn: Connection) -> bool:
    return conn.execute(select(func.count()).select_from(t.partners)).scalar_one() == 0


def load(conn: Connection, world: Mapping[str, Any], partner_ids: Iterable[int] | None = None) -> dict[str, int]:
    """Insert the world's rows (only those of ``partner_ids``, if given); returns counts per table."""
    try:
        wanted = set(partner_ids) if partner_ids is not None else {p["id"] for p in world["partners"]}
        partners = [p for p in world["partners"] if p["id"] in wanted]
        users = [u for u in world["users"] if u["partner_id"] in wanted]
        owner = {u["id"]: u["partner_id"] for u in users}
        cases = [c for c in world["cases"] if c["user_id"] in owner]
        case_ids = {c["id"] for c in cases}
        updates = [s for s in world["status_updates"] if s["case_id"] in case_ids]
        hooks = [w for w in world["webhooks"] if w["partner_id"] in wanted]
    except (KeyError, TypeError) as exc:
        raise SeedError(f"fixtures world is missing {exc}; regenerate it with `immigraflow-sandbox seed`") from exc

    existing = {row[0] for row in conn.execute(select(t.partners.c.id))}
    new_partners = [_pick(p, t.partners) for p in partners if p["id"] not in existing]
    if new_partners:
        conn.execute(t.partners.insert(), new_partners)
    if users:
        conn.execute(t.users.insert(), [_pick(u, t.users) for u in users])
    if cases:
        conn.execute(
            t.cases.insert(),
            [
                {
                    **_pick(c, t.cases),
                    "partner_id": owner[c["user_id"]],
                    "updated_at": c.get("updated_at") or c["last_checked"] or c["created_at"],
                    "next_check_at": parse_iso(c["last_checked"] or c["created_at"]).timestamp() + 86400
                    if c["active"]
                    else None,
                }
                for c in cases
            ],
        )
    latest_key: dict[int, str] = {}
    if updates:
        rows = []
        for s in updates:
            rows.append(
                {
                    "id": s["id"],
                    "case_id": s["case_id"],
                    "status_key": s["status_key"],
                    "timestamp": s["timestamp"],
                    "body": {k: v for k, v in s.items() if k not in _UPDATE_META},
                }
            )
            latest_key[s["case_id"]] = s["status_key"]
        conn.execute(t.status_updates.insert(), rows)
        # One executemany of a bound UPDATE (a statement built per case cost more than the update).
        conn.execute(
            t.cases.update().where(t.cases.c.id == bindparam("case_id_")),
            [{"case_id_": case_id, "status_key": key} for case_id, key in latest_key.items()],
        )
    if hooks:
        conn.execute(t.webhooks.insert(), [_pick(w, t.webhooks) for w in hooks])
    return {
        "partners": len(new_partners),
        "users": len(users),
        "cases": len(cases),
        "status_updates": len(updates),
        "webhooks": len(hooks),
    }


def wipe_partner(conn: Connection, partner_id: int) -> None:
    """Delete everything a partner owns (its profile row stays, with the fixture's values restored later)."""
    for table in _PARTNER_TABLES:
        conn.execute(delete(table).where(table.c.partner_id == partner_id))
    case_ids = select(t.cases.c.id).where(t.cases.c.partner_id == partner_id)
    conn.execute(delete(t.status_updates).where(t.status_updates.c.case_id.in_(case_ids)))
    conn.execute(delete(t.cases).where(t.cases.c.partner_id == partner_id))
    conn.execute(delete(t.users).where(t.users.c.partner_id == partner_id))


def reset_partner(conn: Connection, world: Mapping[str, Any], partner_id: int) -> dict[str, int]:
    """Put one partner back to exactly its fixture state; other partners are untouched."""
    wipe_partner(conn, partner_id)
    for partner in world["partners"]:
        if partner["id"] == partner_id:
            conn.execute(t.partners.update().where(t.partners.c.id == partner_id).values(**_pick(partner, t.partners)))
    return load(conn, world, [partner_id])


def _pick(row: Mapping[str, Any], table: Any) -> dict[str, Any]:
    return {column.name: row[column.name] for column in table.columns if column.name in row}
