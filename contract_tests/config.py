"""What a contract run is told: target, credentials, profile, safety limits, layers, reports.

Every setting comes from a pytest option (``--contract-*``), else an ``IMMIGRAFLOW_CONTRACT_*``
environment variable, else its default; ``ContractSettings.from_mapping`` is the one parser.
"""

from __future__ import annotations

import os
import random
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TypeVar

from contract_tests.errors import ConfigError

ENV_PREFIX = "IMMIGRAFLOW_CONTRACT_"
DEFAULT_SPEC = Path(__file__).resolve().parents[1] / "openapi" / "immigraflow.yaml"
E = TypeVar("E", bound=StrEnum)


class Layer(StrEnum):
    """The suite's layers; each is a pytest marker ``contract_<layer>`` and reports on its own."""

    SPEC = "spec"
    CONFORMANCE = "conformance"
    STATEFUL = "stateful"
    AUTH = "auth"
    ERRORS = "errors"
    WEBHOOKS = "webhooks"

    @property
    def marker(self) -> str:
        return f"contract_{self.value}"

    @property
    def description(self) -> str:
        return _LAYER_DESCRIPTIONS[self]


_LAYER_DESCRIPTIONS = {
    Layer.SPEC: "the spec itself: valid, resolvable, examples conform",
    Layer.CONFORMANCE: "every operation generated from the spec with Schemathesis, all checks",
    Layer.STATEFUL: "workflows through the spec's links, and the domain's business rules",
    Layer.AUTH: "authentication and tenancy: bad or foreign credentials never get data",
    Layer.ERRORS: "every error is the ErrorEnvelope with a matching status",
    Layer.WEBHOOKS: "deliveries arrive, match the callbacks' schemas and are signed",
}


class Profile(StrEnum):
    SMOKE = "smoke"
    STANDARD = "standard"
    DEEP = "deep"

    @property
    def settings(self) -> ProfileSettings:
        return _PROFILES[self]


@dataclass(frozen=True, slots=True)
class ProfileSettings:
    """How much a profile generates."""

    #: Hypothesis examples per operation in the fuzzing phase.
    max_examples: int
    #: Run Schemathesis' coverage phase (boundary and negative values, unexpected methods).
    coverage: bool
    #: Run the link-driven state machine (the domain rules run in every profile).
    state_machine: bool
    stateful_examples: int
    stateful_steps: int


_PROFILES = {
    Profile.SMOKE: ProfileSettings(
        max_examples=3, coverage=False, state_machine=False, stateful_examples=0, stateful_steps=0
    ),
    Profile.STANDARD: ProfileSettings(
        max_examples=15, coverage=True, state_machine=True, stateful_examples=12, stateful_steps=8
    ),
    Profile.DEEP: ProfileSettings(
        max_examples=150, coverage=True, state_machine=True, stateful_examples=100, stateful_steps=15
    ),
}


@dataclass(frozen=True, slots=True)
class Partner:
    """One partner's credentials; ``label`` names it in reports (never the secret)."""

    api_key: str
    api_secret: str
    label: str

    def __repr__(self) -> str:
        return f"Partner(label={self.label!r}, api_key={self.api_key!r}, api_secret='***')"


@dataclass(frozen=True, slots=True)
class ContractSettings:
    """A parsed, validated configuration of one run."""

    #: The API under test; ``None`` starts the local sandbox in-process.
    base_url: str | None
    partner: Partner | None
    second_partner: Partner | None
    profile: Profile = Profile.STANDARD
    seed: int = 0
    seed_given: bool = False
    read_only: bool = False
    #: Requests per second across everything the suite sends (``None``: unlimited).
    rate_limit: float | None = None
    layers: frozenset[Layer] = frozenset(Layer)
    #: operationIds the per-operation layers test (empty: every operation).
    operations: frozenset[str] = frozenset()
    spec_path: Path = DEFAULT_SPEC
    report_path: Path | None = None
    #: Write every exchange (request and response) as JSON lines to this path.
    log_path: Path | None = None
    #: Public URL that reaches the suite's webhook receiver (needed against a remote target).
    webhook_public_url: str | None = None
    #: Where the webhook receiver listens (``HOST:PORT``; port 0 picks a free one).
    webhook_listen: tuple[str, int] = ("127.0.0.1", 0)
    #: A bearer token (and its user id) for targets without sandbox controls.
    bearer_token: str | None = None
    bearer_user_id: int | None = None
    run_id: str = field(default_factory=lambda: secrets.token_hex(4))

    @property
    def local_sandbox(self) -> bool:
        return self.base_url is None

    @classmethod
    def from_mapping(
        cls, options: Mapping[str, object], environ: Mapping[str, str] | None = None
    ) -> ContractSettings:
        """Parse options (keys as in ``OPTIONS``; ``None``: not given), falling back to the environment."""
        env = os.environ if environ is None else environ

        def get(name: str) -> str | None:
            value = options.get(name)
            if value is None or value == "" or value is False:
                value = env.get(ENV_PREFIX + name.upper()) or None
            return None if value is None else str(value)

        base_url = get("base_url")
        if base_url is not None:
            base_url = _parse_url(base_url, "base_url")
        partner = _partner(get("api_key"), get("api_secret"), "partner", "api_key", "api_secret")
        second = _partner(
            get("second_partner_key"),
            get("second_partner_secret"),
            "second partner",
            "second_partner_key",
            "second_partner_secret",
        )
        if base_url is None and partner is None:
            partner, second = _demo_partners()
        elif partner is None:
            raise ConfigError(
                "--api-key and --api-secret are required with --base-url "
                "(or set IMMIGRAFLOW_CONTRACT_API_KEY and IMMIGRAFLOW_CONTRACT_API_SECRET)"
            )
        seed_text = get("seed")
        layers = _parse_layers(get("layers"))
        report = get("report")
        log = get("log")
        webhook_url = get("webhook_public_url")
        listen = get("webhook_listen") or "127.0.0.1:0"
        user_id = get("bearer_user_id")
        return cls(
            base_url=base_url,
            partner=partner,
            second_partner=second,
            profile=_parse_choice(Profile, get("profile") or Profile.STANDARD.value, "profile"),
            seed=_parse_int(seed_text, "seed") if seed_text else random.SystemRandom().randrange(2**32),
            seed_given=seed_text is not None,
            read_only=_parse_bool(get("read_only"), "read_only"),
            rate_limit=parse_rate(get("rate_limit")),
            layers=layers,
            operations=frozenset(part.strip() for part in (get("operations") or "").split(",") if part.strip()),
            spec_path=Path(get("spec") or DEFAULT_SPEC),
            report_path=Path(report) if report else None,
            log_path=Path(log) if log else None,
            webhook_public_url=_parse_url(webhook_url, "webhook_public_url") if webhook_url else None,
            webhook_listen=_parse_listen(listen),
            bearer_token=get("bearer_token"),
            bearer_user_id=_parse_int(user_id, "bearer_user_id") if user_id else None,
            run_id=get("run_id") or secrets.token_hex(4),
        )


#: Option names (pytest ``--contract-<name>`` with dashes; env ``IMMIGRAFLOW_CONTRACT_<NAME>``) and help.
OPTIONS: dict[str, str] = {
    "base_url": "Base URL of the API under test (default: start the local sandbox in-process).",
    "api_key": "X-API-KEY of the partner the suite acts as.",
    "api_secret": "X-API-SECRET of that partner.",
    "second_partner_key": "X-API-KEY of a second partner (tenancy checks).",
    "second_partner_secret": "X-API-SECRET of the second partner.",
    "profile": "smoke | standard | deep (default: standard).",
    "seed": "Seed for Hypothesis/Schemathesis (default: random, printed in the report).",
    "read_only": "Send only GET requests: nothing is created, changed or deleted.",
    "rate_limit": "Most requests per second, e.g. 10/s or 300/m (default: unlimited).",
    "layers": "Comma-separated layers to run: "
    + ", ".join(layer.value for layer in Layer)
    + " (default: all).",
    "operations": "Comma-separated operationIds the per-operation tests cover (default: all).",
    "spec": "Path of the OpenAPI document (default: the packaged openapi/immigraflow.yaml).",
    "report": "Write a Markdown report (failures with curl, coverage table) to this path.",
    "log": "Write every request and response the suite sent as JSON lines to this path.",
    "webhook_public_url": "Public URL forwarding to the suite's webhook receiver (remote targets).",
    "webhook_listen": "HOST:PORT the webhook receiver listens on (default 127.0.0.1:0, a free port).",
    "bearer_token": "An end-user bearer token, for targets without the sandbox's outbox.",
    "bearer_user_id": "The user id the bearer token belongs to.",
    "run_id": "Marker of everything the run creates (default: random).",
}

_RATE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(?:/\s*([smh]))?\s*$")
_PER = {"s": 1.0, "m": 60.0, "h": 3600.0}


def parse_rate(text: str | None) -> float | None:
    """``"10/s"`` → 10.0 requests per second; ``"300/m"`` → 5.0; ``"5"`` → 5.0; ``None`` → unlimited."""
    if text is None:
        return None
    match = _RATE.match(text)
    if match is None or float(match.group(1)) <= 0:
        raise ConfigError(f"Invalid rate limit {text!r}: expected N/s, N/m or N/h with N > 0, e.g. '10/s'")
    return float(match.group(1)) / _PER[match.group(2) or "s"]


def _parse_layers(text: str | None) -> frozenset[Layer]:
    if not text:
        return frozenset(Layer)
    names = [part.strip() for part in text.split(",") if part.strip()]
    return frozenset(_parse_choice(Layer, name, "layers") for name in names)


def _parse_choice(enum: type[E], value: str, name: str) -> E:
    try:
        return enum(value.lower())
    except ValueError:
        valid = ", ".join(member.value for member in enum)
        raise ConfigError(f"Invalid {name} {value!r}: expected one of {valid}") from None


def _parse_int(value: str, name: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise ConfigError(f"Invalid {name} {value!r}: expected an integer, e.g. 42") from None


def _parse_bool(value: str | None, name: str) -> bool:
    if value is None:
        return False
    lowered = value.lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"Invalid {name} {value!r}: expected true or false")


def _parse_url(value: str, name: str) -> str:
    if not re.match(r"^https?://[^/\s]+", value):
        raise ConfigError(f"Invalid {name} {value!r}: expected an http(s) URL, e.g. https://api.example.com")
    return value.rstrip("/")


def _parse_listen(value: str) -> tuple[str, int]:
    host, sep, port = value.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ConfigError(f"Invalid webhook_listen {value!r}: expected HOST:PORT, e.g. 0.0.0.0:8787")
    return host or "127.0.0.1", int(port)


def _partner(
    key: str | None, secret: str | None, label: str, key_name: str, secret_name: str
) -> Partner | None:
    if key is None and secret is None:
        return None
    if key is None or secret is None:
        missing = key_name if key is None else secret_name
        raise ConfigError(f"The {label}'s {missing.replace('_', '-')} is missing: give both key and secret")
    return Partner(api_key=key, api_secret=secret, label=label)


def _demo_partners() -> tuple[Partner, Partner]:
    from fixtures.partners import DEMO_PARTNERS

    first, second = DEMO_PARTNERS[0], DEMO_PARTNERS[1]
    return (
        Partner(api_key=first["api_key"], api_secret=first["api_secret"], label=first["name"]),
        Partner(api_key=second["api_key"], api_secret=second["api_secret"], label=second["name"]),
    )
