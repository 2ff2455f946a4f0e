"""End-user notifications. Nothing is really sent: every message lands in the outbox.

Magic recipients make delivery fail, so integrators can see the failure fields filled:

- an email whose local part starts with ``bounce`` (``bounce@example.com``,
  ``bounce+rfe@example.com``) fails with ``550 5.1.1 mailbox unavailable``;
- a phone starting with ``+1555000`` fails on WhatsApp with ``131026 message undeliverable``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection

from sandbox.apis.immigraflow import tables as t
from sandbox.engine.statements import CompiledInsert

Row = Mapping[str, Any]

EMAIL_BOUNCE_PREFIX = "bounce"
EMAIL_BOUNCE_ERROR = "550 5.1.1 mailbox unavailable"
WHATSAPP_FAILING_PREFIX = "+1555000"
WHATSAPP_FAILURE_ERROR = "131026 message undeliverable"

_INSERT_MESSAGE = CompiledInsert(t.outbox)

_TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "status_subject": "Update on your USCIS case {receipt}: {status}",
        "status_body": "Hello {name}, your case {receipt} ({form}) is now: {status}.\n\n{description}",
        "verify_subject": "Confirm your email address",
        "verify_body": "Hello {name}, confirm your email address by opening this link: {link}",
        "code_subject": "Your login code",
        "code_body": "Hello {name}, your login code is {code}. It expires in {minutes} minutes.",
    },
    "es": {
        "status_subject": "Actualización de su caso USCIS {receipt}: {status}",
        "status_body": "Hola {name}, su caso {receipt} ({form}) ahora está: {status}.\n\n{description}",
        "verify_subject": "Confirme su correo electrónico",
        "verify_body": "Hola {name}, confirme su correo electrónico abriendo este enlace: {link}",
        "code_subject": "Su código de acceso",
        "code_body": "Hola {name}, su código de acceso es {code}. Vence en {minutes} minutos.",
    },
    "pt": {
        "status_subject": "Atualização do seu caso USCIS {receipt}: {status}",
        "status_body": "Olá {name}, seu caso {receipt} ({form}) agora está: {status}.\n\n{description}",
        "verify_subject": "Confirme seu endereço de e-mail",
        "verify_body": "Olá {name}, confirme seu e-mail abrindo este link: {link}",
        "code_subject": "Seu código de acesso",
        "code_body": "Olá {name}, seu código de acesso é {code}. Ele expira em {minutes} minutos.",
    },
}


def _text(language: str, key: str, **values: Any) -> str:
    return _TEXTS.get(language, _TEXTS["en"])[key].format(**values)


def delivery_error(channel: str, recipient: str) -> str | None:
    """The simulated delivery error for a recipient, or ``None`` when delivery succeeds."""
    if channel == "email" and recipient.split("@", 1)[0].lower().startswith(EMAIL_BOUNCE_PREFIX):
        return EMAIL_BOUNCE_ERROR
    if channel == "whatsapp" and recipient.startswith(WHATSAPP_FAILING_PREFIX):
        return WHATSAPP_FAILURE_ERROR
    return None


class Outbox:
    """Writes messages to the outbox and reports how delivery went."""

    def __init__(self, conn: Connection, partner_id: int) -> None:
        self.conn = conn
        self.partner_id = partner_id

    def _put(self, *, channel: str, recipient: str, at: str, **fields: Any) -> str | None:
        error = delivery_error(channel, recipient)
        row = {
            "partner_id": self.partner_id,
            "channel": channel,
            "recipient": recipient,
            "delivery": "failed" if error else "sent",
            "error": error,
            "created_at": at,
            **fields,
        }
        _INSERT_MESSAGE.execute(self.conn, row)
        return error

    def verification(self, user: Row, link: str, at: str) -> None:
        lang = user["preferred_language"]
        self._put(
            channel="email",
            recipient=user["email"],
            at=at,
            user_id=user["id"],
            kind="verification",
            language=lang,
            subject=_text(lang, "verify_subject"),
            body=_text(lang, "verify_body", name=user["name"], link=link),
            link=link,
        )

    def login_code(self, user: Row, code: str, channel: str, minutes: int, at: str) -> None:
        lang = user["preferred_language"]
        recipient = user["phone"] if channel == "whatsapp" else user["email"]
        self._put(
            channel=channel,
            recipient=recipient,
            at=at,
            user_id=user["id"],
            kind="login_code",
            language=lang,
            subject=_text(lang, "code_subject"),
            body=_text(lang, "code_body", name=user["name"], code=code, minutes=minutes),
            code=code,
        )

    def status_change(self, user: Row, case: Row, fields: Mapping[str, Any], at: str) -> dict[str, Any]:
        """Notify a status change on the user's opted-in channels; returns the StatusUpdate notify fields."""
        lang = user["preferred_language"]
        suffix = "" if lang == "en" else f"_{lang}"
        status = fields[f"status_code{suffix}"]
        values = {
            "name": user["name"],
            "receipt": case["receipt_number"],
            "form": fields.get("form_type") or "",
            "status": status,
            "description": fields[f"status_description{suffix}"],
        }
        result: dict[str, Any] = {"notified": 0}
        channels = {
            "email": (bool(user["notify_by_email"]), user["email"]),
            "whatsapp": (bool(user["notify_by_whatsapp"]) and bool(user["phone"]), user["phone"]),
        }
        for channel, (opted_in, recipient) in channels.items():
            if not opted_in or user["status"] != "active":
                result.update(
                    {
                        f"{channel}_notify_status": "skipped",
                        f"{channel}_notify_attempts": 0,
                        f"{channel}_notify_last_error": None,
                        f"{channel}_notify_sent_at": None,
                    }
                )
                continue
            error = self._put(
                channel=channel,
                recipient=recipient,
                at=at,
                user_id=user["id"],
                case_id=case["id"],
                kind="status_change",
                language=lang,
                subject=_text(lang, "status_subject", **values),
                body=_text(lang, "status_body", **values),
            )
            result.update(
                {
                    f"{channel}_notify_status": "failed" if error else "sent",
                    f"{channel}_notify_attempts": 1,
                    f"{channel}_notify_last_error": error,
                    f"{channel}_notify_sent_at": None if error else at,
                }
            )
            if not error:
                result["notified"] = 1
        return result


def skipped_notifications() -> dict[str, Any]:
    """Notify fields of a StatusUpdate that notified nobody (e.g. the first check of a new case)."""
    fields: dict[str, Any] = {"notified": 0}
    for channel in ("email", "whatsapp"):
        fields.update(
            {
                f"{channel}_notify_status": "skipped",
                f"{channel}_notify_attempts": 0,
                f"{channel}_notify_last_error": None,
                f"{channel}_notify_sent_at": None,
            }
        )
    return fields
