"""ASGI entry point for process managers: ``uvicorn --factory --loop asyncio sandbox.asgi:create_from_env``
(asyncio, not uvloop: it answers concurrent clients in turn; see ``immigraflow-sandbox serve --help``).

Settings come from ``IMMIGRAFLOW_SANDBOX_*`` environment variables (the CLI sets them for its
workers): ``DB``, ``SEED``, ``WORLD``, ``PUBLIC_URL``, ``WEBHOOK_FIRST_RETRY``, ``WEBHOOK_ATTEMPTS``.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import connexion

from sandbox.app import create_app
from sandbox.settings import SandboxSettings

PREFIX = "IMMIGRAFLOW_SANDBOX_"


def settings_from_env(environ: dict[str, str] | None = None) -> SandboxSettings:
    env = os.environ if environ is None else environ
    base = SandboxSettings()
    domain = base.domain
    if f"{PREFIX}PUBLIC_URL" in env:
        domain = dataclasses.replace(domain, public_base_url=env[f"{PREFIX}PUBLIC_URL"])
    if f"{PREFIX}WEBHOOK_FIRST_RETRY" in env:
        domain = dataclasses.replace(domain, webhook_first_retry=float(env[f"{PREFIX}WEBHOOK_FIRST_RETRY"]))
    if f"{PREFIX}WEBHOOK_ATTEMPTS" in env:
        domain = dataclasses.replace(domain, webhook_max_attempts=int(env[f"{PREFIX}WEBHOOK_ATTEMPTS"]))
    return dataclasses.replace(
        base,
        db=env.get(f"{PREFIX}DB", base.db),
        seed=int(env[f"{PREFIX}SEED"]) if env.get(f"{PREFIX}SEED") else None,
        world=Path(env[f"{PREFIX}WORLD"]) if env.get(f"{PREFIX}WORLD") else base.world,
        domain=domain,
    )


def settings_to_env(settings: SandboxSettings) -> dict[str, str]:
    env = {
        f"{PREFIX}DB": settings.db,
        f"{PREFIX}WORLD": str(settings.world),
        f"{PREFIX}PUBLIC_URL": settings.domain.public_base_url,
        f"{PREFIX}WEBHOOK_FIRST_RETRY": str(settings.domain.webhook_first_retry),
        f"{PREFIX}WEBHOOK_ATTEMPTS": str(settings.domain.webhook_max_attempts),
    }
    if settings.seed is not None:
        env[f"{PREFIX}SEED"] = str(settings.seed)
    return env


def create_from_env() -> connexion.AsyncApp:
    return create_app(settings_from_env())
