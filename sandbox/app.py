"""``create_app``: the ImmigraFlow sandbox (API + sandbox controls) as one ASGI app."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from functools import cached_property
from typing import Any

import connexion

from sandbox.apis.immigraflow import seeding
from sandbox.apis.immigraflow.case_status import CaseStatus
from sandbox.apis.immigraflow.controls import ImmigraFlowControls
from sandbox.apis.immigraflow.plugin import ImmigraFlowApi
from sandbox.apis.immigraflow.runtime import Runtime
from sandbox.apis.immigraflow.tables import metadata as domain_metadata
from sandbox.apis.immigraflow.worker import BackgroundWorker
from sandbox.controls.faults import FaultMiddleware, tenant_of
from sandbox.controls.handlers import GenericControls
from sandbox.controls.plugin import ControlsApi
from sandbox.controls.request_log import RequestLog, RequestLogMiddleware
from sandbox.engine.application import build_app
from sandbox.engine.clock import Clock
from sandbox.engine.database import checkpointing, open_database
from sandbox.engine.spec import SpecIndex, load_spec
from sandbox.engine.tables import metadata as engine_metadata
from sandbox.settings import SandboxSettings

logger = logging.getLogger("sandbox")


class World:
    """The fixtures world: read from ``fixtures/world.json`` or generated from a seed, once."""

    def __init__(self, settings: SandboxSettings) -> None:
        self.settings = settings

    @cached_property
    def data(self) -> dict[str, Any]:
        from fixtures.world import build_world, load_world

        if self.settings.seed is not None:
            return build_world(self.settings.seed)
        return load_world(self.settings.world)


def create_app(settings: SandboxSettings | None = None) -> connexion.AsyncApp:
    """Build the sandbox app; an empty database is seeded from the fixtures world first."""
    settings = settings or SandboxSettings()
    db = open_database(settings.db, engine_metadata, domain_metadata)
    world = World(settings)
    with db.begin() as conn:
        if seeding.is_empty(conn):
            logger.info("seeded %s", seeding.load(conn, world.data))
    rt = Runtime(db=db, clock=Clock(db), settings=settings.domain)
    api = ImmigraFlowApi(rt)
    log = RequestLog(db)
    operation_ids = frozenset(SpecIndex.from_spec(load_spec(api.spec_path)).operations)
    generic = GenericControls(db, rt.clock, log, CaseStatus(rt).run_due_checks, operation_ids)
    domain_controls = ImmigraFlowControls(rt, lambda: world.data, generic.clear_tenant_faults)
    partner_auth = {name: fn for name, fn in api.authenticators().items() if name.startswith("Partner")}
    controls = ControlsApi(generic, domain_controls.operations(), partner_auth)

    @contextlib.asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[None]:
        async with contextlib.AsyncExitStack() as stack:
            await stack.enter_async_context(log.flushing())
            await stack.enter_async_context(checkpointing(db))
            if settings.background:
                await stack.enter_async_context(BackgroundWorker(rt, settings.tick_seconds))
            yield

    app = build_app(
        [api, controls],
        max_body=settings.max_body,
        lifespan=lifespan,
        outer_middlewares=[(RequestLogMiddleware, {"log": log, "tenant_of": tenant_of})],
        middlewares=[(FaultMiddleware, {"db": db})],
        fast_path=settings.fast_path,
    )
    app.runtime = rt  # type: ignore[attr-defined]
    app.request_log = log  # type: ignore[attr-defined]
    return app
