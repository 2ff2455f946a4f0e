"""The ImmigraFlow tables (SQLAlchemy Core). Every row belongs to one partner (tenant)."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
)

metadata = MetaData()

# Timestamps are stored as ISO-8601 strings with milliseconds and "Z" (the API's own format),
# which also sort correctly as text.

partners = Table(
    "partners",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(120), nullable=False),
    Column("email", String(254), nullable=False),
    Column("api_key", String(64), nullable=False, unique=True),
    Column("api_secret", String(64), nullable=False),
    Column("logo_url", String(2048)),
    Column("created_at", String(24), nullable=False),
    Column("updated_at", String(24), nullable=False),
)

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("partner_id", Integer, ForeignKey("partners.id", ondelete="CASCADE"), nullable=False),
    Column("email", String(254), nullable=False),
    Column("name", String(120), nullable=False),
    Column("phone", String(16)),
    Column("notify_by_email", Boolean, nullable=False, default=True),
    Column("notify_by_whatsapp", Boolean, nullable=False, default=False),
    Column("status", String(32), nullable=False),
    Column("preferred_language", String(2), nullable=False, default="en"),
    Column("verify_token", String(128), unique=True),
    Column("created_at", String(24), nullable=False),
    Column("updated_at", String(24), nullable=False),
    UniqueConstraint("partner_id", "email", name="uq_users_partner_email"),
    Index("ix_users_partner_created", "partner_id", "created_at"),
    sqlite_autoincrement=True,  # a deleted id is never reused: a DELETE stays a 404
)
# Emails are unique per partner case-insensitively: the duplicate check on every user create looks
# them up by lower(email), which without this index scans all of the partner's users.
Index("ix_users_partner_email_lower", users.c.partner_id, func.lower(users.c.email))

cases = Table(
    "cases",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("partner_id", Integer, ForeignKey("partners.id", ondelete="CASCADE"), nullable=False),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("user_case_id", String(11), nullable=False, unique=True),
    Column("receipt_number", String(13), nullable=False),
    Column("description", String(500)),
    Column("active", Boolean, nullable=False, default=True),
    Column("journey_step", Integer, nullable=False, default=0),
    Column("status_key", String(64)),
    Column("created_at", String(24), nullable=False),
    Column("updated_at", String(24), nullable=False),
    Column("last_checked", String(24)),
    # Simulated time (epoch seconds) of the next periodic re-check.
    Column("next_check_at", Float),
    UniqueConstraint("user_id", "receipt_number", name="uq_cases_user_receipt"),
    Index("ix_cases_partner_created", "partner_id", "created_at"),
    Index("ix_cases_user", "user_id", "id"),
    Index("ix_cases_due", "active", "next_check_at"),
    # The backoffice list's filters with its default order: a page and its count read only the
    # matching index entries instead of every case of the partner.
    Index("ix_cases_partner_user_created", "partner_id", "user_id", "created_at"),
    Index("ix_cases_partner_active_created", "partner_id", "active", "created_at"),
    sqlite_autoincrement=True,  # a deleted id is never reused: a DELETE stays a 404
)

status_updates = Table(
    "status_updates",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("case_id", Integer, ForeignKey("cases.id", ondelete="CASCADE"), nullable=False),
    Column("status_key", String(64), nullable=False),
    Column("body", JSON, nullable=False),  # the StatusUpdate fields, as served
    Column("timestamp", String(24), nullable=False),
    Index("ix_status_updates_case", "case_id", "id"),
    sqlite_autoincrement=True,  # a deleted id is never reused: a DELETE stays a 404
)

webhooks = Table(
    "webhooks",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("partner_id", Integer, ForeignKey("partners.id", ondelete="CASCADE"), nullable=False),
    Column("url", String(2048), nullable=False),
    Column("events", JSON, nullable=False),
    Column("active", Boolean, nullable=False, default=True),
    Column("description", String(200)),
    Column("secret", String(64), nullable=False),
    Column("created_at", String(24), nullable=False),
    Column("updated_at", String(24), nullable=False),
    Index("ix_webhooks_partner", "partner_id", "id"),
    sqlite_autoincrement=True,  # a deleted id is never reused: a DELETE stays a 404
)

login_codes = Table(
    "login_codes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("partner_id", Integer, ForeignKey("partners.id", ondelete="CASCADE"), nullable=False),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("code_hash", String(64), nullable=False),
    Column("expires_at", Float, nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("used", Boolean, nullable=False, default=False),
    Index("ix_login_codes_user", "user_id", "id"),
)

tokens = Table(
    "tokens",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("partner_id", Integer, ForeignKey("partners.id", ondelete="CASCADE"), nullable=False),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("expires_at", Float, nullable=False),
)

outbox = Table(
    "outbox",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("partner_id", Integer, ForeignKey("partners.id", ondelete="CASCADE"), nullable=False),
    Column("user_id", Integer),
    Column("case_id", Integer),
    Column("channel", String(16), nullable=False),  # email | whatsapp
    Column("kind", String(32), nullable=False),  # verification | login_code | status_change
    Column("recipient", String(254), nullable=False),
    Column("language", String(2), nullable=False),
    Column("subject", String(300)),
    Column("body", Text, nullable=False),
    Column("link", String(2048)),
    Column("code", String(6)),
    Column("delivery", String(16), nullable=False),  # sent | failed
    Column("error", String(300)),
    Column("created_at", String(24), nullable=False),
    Index("ix_outbox_partner", "partner_id", "id"),
)

webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("delivery_id", String(40), nullable=False, unique=True),
    Column("partner_id", Integer, ForeignKey("partners.id", ondelete="CASCADE"), nullable=False),
    Column("webhook_id", Integer, nullable=False),
    Column("url", String(2048), nullable=False),
    Column("event_id", String(40), nullable=False),
    Column("event_type", String(40), nullable=False),
    Column("payload", Text, nullable=False),  # the exact body bytes signed and sent
    Column("status", String(16), nullable=False),  # pending | delivered | failed
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", Float),  # real time (epoch seconds)
    Column("last_status_code", Integer),
    Column("last_error", String(300)),
    Column("log", JSON, nullable=False),  # one entry per attempt
    Column("created_at", String(24), nullable=False),
    Column("updated_at", String(24), nullable=False),
    Index("ix_deliveries_due", "status", "next_attempt_at"),
    Index("ix_deliveries_partner", "partner_id", "id"),
)
