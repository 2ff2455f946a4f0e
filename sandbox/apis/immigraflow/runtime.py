"""What the ImmigraFlow handlers share at run time: the database, the clock, the settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import Engine

from sandbox.engine.clock import Clock


@dataclass(frozen=True, slots=True)
class DomainSettings:
    """Behaviour knobs of the ImmigraFlow sandbox (all have devapi-like defaults)."""

    #: The URL clients reach the sandbox at; used in verification links and ``Location`` headers.
    public_base_url: str = "http://127.0.0.1:8000"
    login_code_ttl: timedelta = timedelta(minutes=10)
    login_code_max_attempts: int = 5
    token_ttl: timedelta = timedelta(hours=1)
    #: Simulated time between two periodic re-checks of an active case.
    check_interval: timedelta = timedelta(hours=24)
    #: Webhook retries: first delay (real seconds), multiplier, and attempts in all.
    webhook_first_retry: float = 0.5
    webhook_backoff: float = 2.0
    webhook_max_attempts: int = 5
    webhook_timeout: float = 5.0


@dataclass(slots=True)
class Runtime:
    """Shared state of one running sandbox app."""

    db: Engine
    clock: Clock
    settings: DomainSettings = field(default_factory=DomainSettings)
