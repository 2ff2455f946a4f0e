"""What the run created: every object is tracked with its owner, planted as a canary, deleted at the end.

The tracker watches every exchange, so objects Schemathesis creates while fuzzing are tracked as
well as those the suite creates on purpose.
"""

from __future__ import annotations

import itertools
import json
import threading
from dataclasses import dataclass, field
from typing import Any

from contract_tests.identities import Identities
from contract_tests.transport import Exchange

#: Creates: operationId → (kind, wrapper key of the body)
CREATES = {
    "createUser": ("user", "user"),
    "createClientUser": ("user", "user"),
    "createCase": ("case", "case"),
    "createClientUserCase": ("case", "case"),
    "createWebhook": ("webhook", "webhook"),
}
#: Deletes: operationId → (kind, path parameter holding the id)
DELETES = {
    "deleteUser": ("user", "user_id"),
    "deleteClientUser": ("user", "user_id"),
    "deleteCase": ("case", "case_ref"),
    "deleteWebhook": ("webhook", "webhook_id"),
}


@dataclass(frozen=True, slots=True)
class Canary:
    """A string only one owner's responses may contain."""

    needle: str
    partner: str  # api key of the owner
    label: str
    kind: str
    user_id: int | None = None

    def describe(self) -> str:
        owner = f"{self.label}'s user {self.user_id}" if self.user_id is not None else self.label
        return f"{owner}'s {self.kind} {self.needle!r}"


@dataclass(slots=True)
class Created:
    kind: str
    id: int
    partner: str  # api key
    label: str
    user_id: int | None = None  # owner user of a case
    ref: str | None = None  # user_case_id of a case
    needle: str | None = None
    deleted: bool = False
    reserved: bool = False  # used by the suite itself (bearer users): never handed to the fuzzer
    data: dict[str, Any] = field(default_factory=dict)


class Tracker:
    """Objects created by the run, by kind and owner."""

    def __init__(self, identities: Identities) -> None:
        self.identities = identities
        self.objects: list[Created] = []
        self._lock = threading.Lock()
        self._rotation = itertools.count()

    # Observation of every exchange
    def observe(self, exchange: Exchange) -> None:
        if exchange.operation_id is None:
            return
        if exchange.status == 201 and exchange.operation_id in CREATES:
            requester = self.identities.requester(exchange.request_headers)
            if requester is None:
                return
            kind, key = CREATES[exchange.operation_id]
            try:
                obj = json.loads(exchange.response_body).get(key)
            except (ValueError, AttributeError):
                return
            if isinstance(obj, dict) and isinstance(obj.get("id"), int):
                user_id = None
                if kind == "case":
                    segments = exchange.path.strip("/").split("/")
                    user_id = int(segments[-2]) if segments[-2].isdigit() else None
                self.add(kind, obj, requester.partner, requester.label, user_id=user_id)
        elif 200 <= exchange.status < 300 and exchange.operation_id in DELETES:
            kind, _ = DELETES[exchange.operation_id]
            reference = exchange.path.rstrip("/").rsplit("/", 1)[-1]
            self.mark_deleted(kind, reference)

    def add(
        self,
        kind: str,
        obj: dict[str, Any],
        partner: str,
        label: str,
        *,
        user_id: int | None = None,
        reserved: bool = False,
    ) -> Created:
        with self._lock:
            for existing in self.objects:
                if (
                    existing.kind == kind
                    and existing.id == obj["id"]
                    and existing.partner == partner
                    and not existing.deleted
                ):
                    existing.reserved = existing.reserved or reserved
                    return existing
            if kind == "user":
                user_id = obj["id"]
            needle = {"user": obj.get("email"), "case": obj.get("user_case_id"), "webhook": obj.get("url")}[
                kind
            ]
            created = Created(
                kind=kind,
                id=obj["id"],
                partner=partner,
                label=label,
                user_id=user_id,
                ref=obj.get("user_case_id"),
                needle=needle,
                reserved=reserved,
                data=obj,
            )
            self.objects.append(created)
            return created

    def mark_deleted(self, kind: str, reference: str) -> None:
        with self._lock:
            for obj in self.objects:
                if obj.kind == kind and (str(obj.id) == reference or obj.ref == reference):
                    obj.deleted = True
                    if kind == "user":
                        for case in self.objects:
                            if case.kind == "case" and case.user_id == obj.id and case.partner == obj.partner:
                                case.deleted = True

    # Queries
    def live(
        self, kind: str, partner: str, *, user_id: int | None = None, reserved: bool | None = False
    ) -> list[Created]:
        with self._lock:
            return [
                obj
                for obj in self.objects
                if obj.kind == kind
                and obj.partner == partner
                and not obj.deleted
                and (user_id is None or obj.user_id == user_id)
                and (reserved is None or obj.reserved == reserved)
            ]

    def pick(self, kind: str, partner: str, *, user_id: int | None = None) -> Created | None:
        """One live, unreserved object, rotating through them."""
        candidates = self.live(kind, partner, user_id=user_id)
        if not candidates:
            return None
        return candidates[next(self._rotation) % len(candidates)]

    def is_live(self, kind: str, partner: str, reference: object) -> bool:
        text = str(reference)
        with self._lock:
            return any(
                obj.kind == kind
                and obj.partner == partner
                and not obj.deleted
                and (str(obj.id) == text or obj.ref == text)
                for obj in self.objects
            )

    def owns(self, kind: str, partner: str, reference: object) -> bool:
        """Whether ``reference`` (an id, or a FLOW ref) names an unreserved object this run created."""
        text = str(reference)
        with self._lock:
            return any(
                obj.kind == kind
                and obj.partner == partner
                and not obj.reserved
                and (str(obj.id) == text or obj.ref == text)
                for obj in self.objects
            )

    def tombstone(self, kind: str, partner: str) -> Created | None:
        with self._lock:
            gone = [
                obj for obj in self.objects if obj.kind == kind and obj.partner == partner and obj.deleted
            ]
        return gone[-1] if gone else None

    def canaries(self) -> list[Canary]:
        with self._lock:
            return [
                Canary(
                    needle=obj.needle,
                    partner=obj.partner,
                    label=obj.label,
                    kind=obj.kind,
                    user_id=obj.user_id,
                )
                for obj in self.objects
                if obj.needle and not obj.deleted
            ]

    def leftovers(self) -> list[Created]:
        with self._lock:
            return [obj for obj in self.objects if not obj.deleted]
