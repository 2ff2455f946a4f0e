"""End-user identity: email verification links, login codes, and bearer tokens.

Secrets are stored hashed (SHA-256); the plain code or token exists only in the outbox message
or in the response that hands it out.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, select

from sandbox.apis.immigraflow import tables as t
from sandbox.engine.errors import ApiError, ErrorKind

Row = Mapping[str, Any]


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def new_verify_token() -> str:
    return secrets.token_urlsafe(32)


def new_login_code() -> str:
    return f"{secrets.randbelow(10**6):06d}"


def new_access_token() -> str:
    return "ifu_" + secrets.token_urlsafe(32)


def verification_link(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/v1/users/verify-email?token={token}"


def store_login_code(conn: Connection, user: Row, code: str, expires_at: float) -> None:
    """A new code replaces every earlier unused one of the user."""
    conn.execute(t.login_codes.update().where(t.login_codes.c.user_id == user["id"]).values(used=True))
    conn.execute(
        t.login_codes.insert().values(
            partner_id=user["partner_id"], user_id=user["id"], code_hash=digest(code), expires_at=expires_at
        )
    )


def check_login_code(conn: Connection, user: Row, code: str, now: float, max_attempts: int) -> ApiError | None:
    """``None`` when ``code`` is right; else the 401 (wrong/expired) or 429 (too many tries) to answer.

    The error is returned, not raised, so the caller commits the counted attempt before answering.
    """
    row = (
        conn.execute(
            select(t.login_codes)
            .where(t.login_codes.c.user_id == user["id"], t.login_codes.c.used.is_(False))
            .order_by(t.login_codes.c.id.desc())
        )
        .mappings()
        .first()
    )
    if row is None or row["expires_at"] <= now:
        return ApiError(ErrorKind.UNAUTHENTICATED, "The login code is invalid or has expired; request a new one")
    if row["attempts"] >= max_attempts:
        return ApiError(
            ErrorKind.RATE_LIMITED,
            f"Too many wrong codes ({max_attempts}); request a new code",
            headers={"Retry-After": str(max(1, int(row["expires_at"] - now)))},
        )
    if not hmac.compare_digest(row["code_hash"], digest(code)):
        conn.execute(t.login_codes.update().where(t.login_codes.c.id == row["id"]).values(attempts=row["attempts"] + 1))
        left = max_attempts - row["attempts"] - 1
        return ApiError(ErrorKind.UNAUTHENTICATED, f"The login code is invalid or has expired ({left} tries left)")
    conn.execute(t.login_codes.update().where(t.login_codes.c.id == row["id"]).values(used=True))
    return None


def issue_token(conn: Connection, user: Row, expires_at: float) -> str:
    token = new_access_token()
    conn.execute(
        t.tokens.insert().values(
            token_hash=digest(token), partner_id=user["partner_id"], user_id=user["id"], expires_at=expires_at
        )
    )
    return token


def token_owner(conn: Connection, token: str) -> Row | None:
    """``partner_id``, ``user_id`` and ``expires_at`` of a token of an active user, or ``None``."""
    return (
        conn.execute(
            select(t.tokens.c.partner_id, t.tokens.c.user_id, t.tokens.c.expires_at)
            .join(t.users, t.users.c.id == t.tokens.c.user_id)
            .where(t.tokens.c.token_hash == digest(token), t.users.c.status == "active")
        )
        .mappings()
        .first()
    )
