"""Who the suite speaks as: partners (key + secret), end users (bearer tokens), and nobody."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from contract_tests.config import Partner


@dataclass(frozen=True, slots=True)
class BearerUser:
    """An end user the suite logged in (or was given a token for)."""

    token: str
    user_id: int
    partner: Partner
    email: str | None = None


@dataclass(frozen=True, slots=True)
class Requester:
    """The identity behind one request, as the tenancy check sees it."""

    partner: str  # the partner's api key
    label: str
    user_id: int | None = None

    def describe(self) -> str:
        return f"{self.label}'s user {self.user_id} (bearer)" if self.user_id is not None else f"{self.label}"


@dataclass
class Identities:
    partner: Partner
    second: Partner | None
    bearers: dict[str, BearerUser] = field(default_factory=dict)

    @property
    def partners(self) -> list[Partner]:
        return [self.partner] + ([self.second] if self.second else [])

    def add_bearer(self, user: BearerUser) -> None:
        self.bearers[user.token] = user

    def requester(self, headers: Mapping[str, str]) -> Requester | None:
        lowered = {name.lower(): value for name, value in headers.items()}
        authorization = lowered.get("authorization", "")
        if authorization.lower().startswith("bearer "):
            user = self.bearers.get(authorization[7:].strip())
            if user is None:
                return None
            return Requester(partner=user.partner.api_key, label=user.partner.label, user_id=user.user_id)
        key = lowered.get("x-api-key")
        for partner in self.partners:
            if key == partner.api_key:
                return Requester(partner=partner.api_key, label=partner.label)
        return None


def partner_headers(partner: Partner) -> dict[str, str]:
    return {"X-API-KEY": partner.api_key, "X-API-SECRET": partner.api_secret}


def key_headers(partner: Partner) -> dict[str, str]:
    return {"X-API-KEY": partner.api_key}


def bearer_headers(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
