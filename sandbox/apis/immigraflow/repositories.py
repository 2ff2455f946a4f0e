"""Tenant-scoped data access. Another partner's object is simply not found (404, never 403)."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Select, and_, bindparam, func, or_, select
from sqlalchemy.exc import IntegrityError

from sandbox.apis.immigraflow import tables as t
from sandbox.engine.errors import ApiError, ErrorDetail, ErrorKind, not_found
from sandbox.engine.pagination import PagedQuery, PageRequest, fetch_page
from sandbox.engine.statements import CompiledInsert, CompiledSelect

Row = Mapping[str, Any]

USER_SORTS = {"created_at": t.users.c.created_at, "name": t.users.c.name, "email": t.users.c.email}
CASE_SORTS = {
    "created_at": t.cases.c.created_at,
    "last_checked": t.cases.c.last_checked,
    "receipt_number": t.cases.c.receipt_number,
}


# Statements are built once per shape and run with bound values: building a SQLAlchemy statement
# (and its cache key) costs several times what SQLite takes to answer it.
_STATEMENTS: dict[Hashable, Any] = {}


def _prepared(key: Hashable, build: Callable[[], Any]) -> Any:
    stmt = _STATEMENTS.get(key)
    if stmt is None:
        stmt = _STATEMENTS[key] = build()
    return stmt


_INSERT_USER = CompiledInsert(t.users)
_INSERT_CASE = CompiledInsert(t.cases)
_INSERT_STATUS_UPDATE = CompiledInsert(t.status_updates)
_INSERT_WEBHOOK = CompiledInsert(t.webhooks)
_PARTNER_BY_KEY = select(t.partners).where(t.partners.c.api_key == bindparam("api_key"))
_PARTNER_BY_ID = CompiledSelect(select(t.partners).where(t.partners.c.id == bindparam("id")))
_USER_BY_ID = CompiledSelect(
    select(t.users).where(t.users.c.id == bindparam("id"), t.users.c.partner_id == bindparam("partner_id"))
)
_USER_BY_EMAIL = CompiledSelect(
    select(t.users).where(
        t.users.c.partner_id == bindparam("partner_id"), func.lower(t.users.c.email) == bindparam("email")
    )
)
_CASE_UPDATES = CompiledSelect(
    select(t.status_updates)
    .where(t.status_updates.c.case_id == bindparam("case_id"))
    .order_by(t.status_updates.c.id.desc())
)
_LATEST_UPDATES = select(t.status_updates).where(
    t.status_updates.c.id.in_(
        select(func.max(t.status_updates.c.id))
        .where(t.status_updates.c.case_id.in_(bindparam("case_ids", expanding=True)))
        .group_by(t.status_updates.c.case_id)
    )
)
_UPDATE_COUNTS = (
    select(t.status_updates.c.case_id, func.count())
    .where(t.status_updates.c.case_id.in_(bindparam("case_ids", expanding=True)))
    .group_by(t.status_updates.c.case_id)
)
_RECEIPT_TAKEN = select(t.cases.c.id).where(
    t.cases.c.user_id == bindparam("user_id"), t.cases.c.receipt_number == bindparam("receipt_number")
)
_FLOW_ID_TAKEN = select(t.cases.c.id).where(t.cases.c.user_case_id == bindparam("flow_id"))
_ACTIVE_WEBHOOKS = CompiledSelect(
    select(t.webhooks).where(t.webhooks.c.partner_id == bindparam("partner_id"), t.webhooks.c.active.is_(True))
)
_WEBHOOK_BY_ID = select(t.webhooks).where(
    and_(t.webhooks.c.id == bindparam("id"), t.webhooks.c.partner_id == bindparam("partner_id"))
)


_BY_ID: dict[str, Any] = {}


def update_by_id(conn: Connection, table: Any, row_id: int, values: Mapping[str, Any]) -> None:
    """``UPDATE table SET values WHERE id = row_id``: one statement per table, the values bound
    (``.values(...)`` would build a new statement, and its cache key, on every call)."""
    statement = _BY_ID.get(table.name)
    if statement is None:
        statement = _BY_ID[table.name] = table.update().where(table.c.id == bindparam("row_id_"))
    conn.execute(statement, {**values, "row_id_": row_id})


_STATUS_UPDATE_BY_ID = CompiledSelect(select(t.status_updates).where(t.status_updates.c.id == bindparam("id")))
_ORDERS: dict[tuple[int, str], list[Any]] = {}


def _order(sort: str | None, columns: Mapping[str, Any], default: str, id_column: Any) -> list[Any]:
    """The ``ORDER BY`` clauses of a sort key (``-`` for descending), built once per key."""
    key = sort or default
    cached = _ORDERS.get((id(columns), key))
    if cached is not None:
        return cached
    descending = key.startswith("-")
    column = columns.get(key.lstrip("-"))
    if column is None:
        raise ApiError(
            ErrorKind.BAD_REQUEST,
            f"unknown sort {sort!r}",
            [ErrorDetail("sort", f"expected one of {', '.join(sorted(columns))}, optionally prefixed by '-'")],
        )
    order = [column.desc(), id_column.desc()] if descending else [column.asc(), id_column.asc()]
    return _ORDERS.setdefault((id(columns), key), order)


class Partners:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def by_key(self, api_key: str) -> Row | None:
        return self.conn.execute(_PARTNER_BY_KEY, {"api_key": api_key}).mappings().first()

    def get(self, partner_id: int) -> Row:
        row = _PARTNER_BY_ID.first(self.conn, {"id": partner_id})
        if row is None:
            raise not_found("partner")
        return row

    def update(self, partner_id: int, values: Mapping[str, Any]) -> Row:
        update_by_id(self.conn, t.partners, partner_id, values)
        return self.get(partner_id)


class Users:
    def __init__(self, conn: Connection, partner_id: int) -> None:
        self.conn = conn
        self.partner_id = partner_id

    def get(self, user_id: int) -> Row:
        row = _USER_BY_ID.first(self.conn, {"id": user_id, "partner_id": self.partner_id})
        if row is None:
            raise not_found("user")
        return row

    def many(self, user_ids: set[int]) -> dict[int, Row]:
        rows = self.conn.execute(
            select(t.users).where(t.users.c.partner_id == self.partner_id, t.users.c.id.in_(user_ids))
        ).mappings()
        return {row["id"]: row for row in rows}

    @staticmethod
    def by_verify_token(conn: Connection, token_hash: str) -> Row | None:
        """The user a verification link belongs to, whichever partner (the link carries no keys)."""
        return conn.execute(select(t.users).where(t.users.c.verify_token == token_hash)).mappings().first()

    def by_email(self, email: str) -> Row | None:
        params = {"partner_id": self.partner_id, "email": email.lower()}
        return _USER_BY_EMAIL.first(self.conn, params)

    def list(
        self, page: PageRequest, *, status: str | None = None, q: str | None = None, sort: str | None = None
    ) -> tuple[list[Row], int]:
        order = _order(sort, USER_SORTS, "-created_at", t.users.c.id)  # validates ``sort`` first

        def build() -> PagedQuery:
            query = select(t.users).where(t.users.c.partner_id == bindparam("partner_id"))
            if status:
                query = query.where(t.users.c.status == bindparam("status"))
            if q:
                like = bindparam("like")
                query = query.where(or_(func.lower(t.users.c.name).like(like), func.lower(t.users.c.email).like(like)))
            return PagedQuery(query, order, cache_table="users")

        paged = _prepared(("users.list", bool(status), bool(q), sort or "-created_at"), build)
        params = {"partner_id": self.partner_id, "status": status, "like": f"%{q.lower()}%" if q else None}
        return paged.fetch(self.conn, page, params)

    def _check_email_free(self, email: str, except_id: int | None = None) -> None:
        existing = self.by_email(email)
        if existing is not None and existing["id"] != except_id:
            raise ApiError(
                ErrorKind.CONFLICT,
                f"a user with email {email} already exists for this partner",
                [ErrorDetail("email", "already registered")],
            )

    def create(self, values: Mapping[str, Any]) -> Row:
        self._check_email_free(values["email"])
        try:
            user_id = _INSERT_USER.execute(self.conn, {**values, "partner_id": self.partner_id})
        except IntegrityError as exc:  # a concurrent create won the race
            raise ApiError(ErrorKind.CONFLICT, "a user with this email already exists for this partner") from exc
        return self.get(user_id)

    def update(self, user_id: int, values: Mapping[str, Any]) -> Row:
        current = self.get(user_id)
        if "email" in values:
            self._check_email_free(values["email"], except_id=user_id)
        changed = {k: v for k, v in values.items() if k != "updated_at" and current[k] != v}
        if changed:
            update_by_id(self.conn, t.users, user_id, values)
        return self.get(user_id)

    def delete(self, user_id: int) -> Row:
        row = self.get(user_id)
        self.conn.execute(t.users.delete().where(t.users.c.id == user_id))
        return row


class Cases:
    def __init__(self, conn: Connection, partner_id: int) -> None:
        self.conn = conn
        self.partner_id = partner_id

    def resolve(self, case_ref: str, *, user_id: int | None = None) -> Row:
        """A case by numeric id or ``FLOW…`` id, within this partner (and user, if given)."""
        ref = case_ref.strip()
        if ref.upper().startswith("FLOW") and ref[4:].isdigit() and len(ref) == 11:
            column, value = "user_case_id", ref.upper()
        elif ref.isdigit() and 0 < len(ref) <= 18 and int(ref) > 0:
            column, value = "id", int(ref)
        else:
            raise ApiError(
                ErrorKind.BAD_REQUEST,
                f"malformed case_ref {case_ref!r}",
                [ErrorDetail("case_ref", "expected a numeric case id or a FLOW id such as FLOW1234567")],
            )

        def build() -> Select[Any]:
            query = select(t.cases).where(
                t.cases.c[column] == bindparam("ref"), t.cases.c.partner_id == bindparam("partner_id")
            )
            return query.where(t.cases.c.user_id == bindparam("user_id")) if user_id is not None else query

        query = _prepared(("cases.resolve", column, user_id is not None), lambda: CompiledSelect(build()))
        params = {"ref": value, "partner_id": self.partner_id, "user_id": user_id}
        row = query.first(self.conn, params)
        if row is None:
            raise not_found("case")
        return row

    def get(self, case_id: int) -> Row:
        return self.resolve(str(case_id))

    def list_for_user(self, user_id: int, page: PageRequest, *, active: bool | None = None) -> tuple[list[Row], int]:

        def build() -> PagedQuery:
            query = select(t.cases).where(
                t.cases.c.partner_id == bindparam("partner_id"), t.cases.c.user_id == bindparam("user_id")
            )
            if active is not None:
                query = query.where(t.cases.c.active == bindparam("active"))
            return PagedQuery(query, [t.cases.c.created_at.desc(), t.cases.c.id.desc()], cache_table="cases")

        paged = _prepared(("cases.list_for_user", active is not None), build)
        return paged.fetch(self.conn, page, {"partner_id": self.partner_id, "user_id": user_id, "active": active})

    def list_for_partner(
        self,
        page: PageRequest,
        *,
        user_id: int | None = None,
        active: bool | None = None,
        receipt_number: str | None = None,
        status_code: str | None = None,
        updated_since: str | None = None,
        q: str | None = None,
        sort: str | None = None,
    ) -> tuple[list[Row], int]:
        order = _order(sort, CASE_SORTS, "-created_at", t.cases.c.id)  # validates ``sort`` first
        params = {
            "partner_id": self.partner_id,
            "user_id": user_id,
            "active": active,
            "receipt_number": receipt_number.upper() if receipt_number else None,
            "updated_since": updated_since or None,
            "status_code": status_code.lower() if status_code else None,
            "like": f"%{q.lower()}%" if q else None,
        }
        present = tuple(name for name, value in params.items() if value is not None)

        def build() -> PagedQuery:
            query = select(t.cases).where(t.cases.c.partner_id == bindparam("partner_id"))
            if user_id is not None:
                query = query.where(t.cases.c.user_id == bindparam("user_id"))
            if active is not None:
                query = query.where(t.cases.c.active == bindparam("active"))
            if receipt_number:
                query = query.where(t.cases.c.receipt_number == bindparam("receipt_number"))
            if updated_since:
                query = query.where(t.cases.c.updated_at >= bindparam("updated_since"))
            if status_code:
                latest = self._latest_ids().subquery()
                query = query.where(
                    t.cases.c.id.in_(
                        select(t.status_updates.c.case_id)
                        .join(latest, latest.c.id == t.status_updates.c.id)
                        .where(
                            func.lower(t.status_updates.c.body["status_code"].as_string()) == bindparam("status_code")
                        )
                    )
                )
            if q:
                like = bindparam("like")
                query = query.where(
                    or_(
                        func.lower(t.cases.c.receipt_number).like(like),
                        func.lower(t.cases.c.user_case_id).like(like),
                        func.lower(func.coalesce(t.cases.c.description, "")).like(like),
                    )
                )
            # The status filter reads status_updates too: its totals and pages are not cached.
            return PagedQuery(query, order, cache_table=None if status_code else "cases")

        paged = _prepared(("cases.list_for_partner", present, sort or "-created_at"), build)
        return paged.fetch(self.conn, page, params)

    @staticmethod
    def _latest_ids() -> Select[Any]:
        return select(func.max(t.status_updates.c.id).label("id")).group_by(t.status_updates.c.case_id)

    def ensure_receipt_free(self, user_id: int, receipt_number: str) -> None:
        exists = self.conn.execute(_RECEIPT_TAKEN, {"user_id": user_id, "receipt_number": receipt_number}).first()
        if exists:
            raise ApiError(
                ErrorKind.CONFLICT,
                f"receipt number {receipt_number} is already monitored for this user",
                [ErrorDetail("receipt_number", "already monitored for this user")],
            )

    def create(self, values: Mapping[str, Any]) -> Row:
        self.ensure_receipt_free(values["user_id"], values["receipt_number"])
        for _ in range(20):
            flow_id = f"FLOW{secrets.randbelow(10**7):07d}"
            taken = self.conn.execute(_FLOW_ID_TAKEN, {"flow_id": flow_id}).first()
            if not taken:
                break
        else:  # pragma: no cover - 10^7 ids
            raise ApiError(ErrorKind.INTERNAL, "could not allocate a FLOW id")
        try:
            case_id = _INSERT_CASE.execute(
                self.conn, {**values, "partner_id": self.partner_id, "user_case_id": flow_id}
            )
        except IntegrityError as exc:
            raise ApiError(ErrorKind.CONFLICT, "receipt number already monitored for this user") from exc
        return self.get(case_id)

    def update(self, case_id: int, values: Mapping[str, Any]) -> Row:
        update_by_id(self.conn, t.cases, case_id, values)
        return self.get(case_id)

    def delete(self, case_id: int) -> None:
        self.conn.execute(t.cases.delete().where(t.cases.c.id == case_id))

    # Status updates -------------------------------------------------------------------------

    def updates(self, case_id: int) -> list[Row]:
        """Every StatusUpdate of a case, newest first."""
        return _CASE_UPDATES.all(self.conn, {"case_id": case_id})

    def latest_updates(self, case_ids: Sequence[int]) -> dict[int, Row]:
        """The newest StatusUpdate of each case (one query for a whole page)."""
        if not case_ids:
            return {}
        rows = self.conn.execute(_LATEST_UPDATES, {"case_ids": list(case_ids)}).mappings()
        return {row["case_id"]: row for row in rows}

    def update_counts(self, case_ids: Sequence[int]) -> dict[int, int]:
        if not case_ids:
            return {}
        rows = self.conn.execute(_UPDATE_COUNTS, {"case_ids": list(case_ids)})
        return {case_id: count for case_id, count in rows}

    def add_update(self, case_id: int, status_key: str, body: Mapping[str, Any], timestamp: str) -> Row:
        values = {"case_id": case_id, "status_key": status_key, "body": dict(body), "timestamp": timestamp}
        update_id = _INSERT_STATUS_UPDATE.execute(self.conn, values)
        row = _STATUS_UPDATE_BY_ID.first(self.conn, {"id": update_id})
        assert row is not None
        return row


class Webhooks:
    def __init__(self, conn: Connection, partner_id: int) -> None:
        self.conn = conn
        self.partner_id = partner_id

    def get(self, webhook_id: int) -> Row:
        row = self.conn.execute(_WEBHOOK_BY_ID, {"id": webhook_id, "partner_id": self.partner_id}).mappings().first()
        if row is None:
            raise not_found("webhook")
        return row

    def list(self, page: PageRequest) -> tuple[list[Row], int]:
        query = select(t.webhooks).where(t.webhooks.c.partner_id == self.partner_id)
        return fetch_page(self.conn, query, page, [t.webhooks.c.id.asc()])

    def subscribed(self, event_type: str) -> list[Row]:
        rows = _ACTIVE_WEBHOOKS.all(self.conn, {"partner_id": self.partner_id})
        return [row for row in rows if event_type in row["events"]]

    def create(self, values: Mapping[str, Any]) -> Row:
        webhook_id = _INSERT_WEBHOOK.execute(self.conn, {**values, "partner_id": self.partner_id})
        return self.get(webhook_id)

    def update(self, webhook_id: int, values: Mapping[str, Any]) -> Row:
        self.get(webhook_id)
        update_by_id(self.conn, t.webhooks, webhook_id, values)
        return self.get(webhook_id)

    def delete(self, webhook_id: int) -> None:
        self.get(webhook_id)
        self.conn.execute(t.webhooks.delete().where(t.webhooks.c.id == webhook_id))
