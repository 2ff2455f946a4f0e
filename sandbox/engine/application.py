"""Assembling a Connexion app from API plug-ins: validation, security, errors, middleware."""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable, Sequence
from typing import Any

import connexion
from connexion.middleware import MiddlewarePosition
from connexion.resolver import Resolver

from sandbox.engine.api import ApiPlugin
from sandbox.engine.envelope import ErrorRenderer
from sandbox.engine.errors import SpecError
from sandbox.engine.fast_path import FastPath, Route, compile_operations
from sandbox.engine.jsonifier import JSONIFIER
from sandbox.engine.request_context import DEFAULT_MAX_BODY, RequestContextMiddleware
from sandbox.engine.security import security_map
from sandbox.engine.spec import SpecIndex, load_raw_spec, load_spec
from sandbox.engine.validation import validator_map

logger = logging.getLogger(__name__)


def _resolver(plugin: ApiPlugin, spec: dict[str, Any]) -> Resolver:
    handlers = plugin.operations()
    index = SpecIndex.from_spec(spec)
    missing = sorted(set(index.operations) - set(handlers))
    if missing:
        raise SpecError(f"{plugin.name}: no handler for operation(s) {', '.join(missing)}")

    # A plug-in may keep its handlers in Connexion's threadpool (``inline_handlers = False``).
    wrap = _inline if getattr(plugin, "inline_handlers", True) else (lambda fn: fn)
    inline = {operation_id: wrap(fn) for operation_id, fn in handlers.items()}

    def resolve(operation_id: str) -> Callable[..., Any]:
        return inline[operation_id]

    return Resolver(function_resolver=resolve)


def _inline(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn`` as a coroutine function that runs it on the event loop, with a precomputed signature.

    Connexion runs a sync handler through ``run_in_threadpool``: a thread hop and a GIL hand-off
    per request, for handlers whose whole work is a few sub-millisecond SQLite queries (measured:
    the hop cost more than the handler). Run inline instead. The trade-off: while a handler waits
    on SQLite's write lock (another worker process writing), this worker's loop waits too; writes
    are short transactions, so that wait is bounded by the slowest write, not by a request.
    Connexion also calls ``inspect.signature`` on the handler on every request; ``__signature__``
    answers it without walking the bound method.
    """
    if inspect.iscoroutinefunction(fn):
        return fn

    async def handler(*args: Any, **kwargs: Any) -> Any:
        return fn(*args, **kwargs)

    handler.__signature__ = inspect.signature(fn)  # type: ignore[attr-defined]
    handler.__name__ = getattr(fn, "__name__", handler.__name__)
    handler.__qualname__ = getattr(fn, "__qualname__", handler.__qualname__)
    handler.__doc__ = fn.__doc__
    return handler


def build_app(
    plugins: Sequence[ApiPlugin],
    *,
    max_body: int = DEFAULT_MAX_BODY,
    lifespan: Callable[..., Any] | None = None,
    middlewares: Sequence[tuple[type, dict[str, Any]]] = (),
    outer_middlewares: Sequence[tuple[type, dict[str, Any]]] = (),
    fast_path: bool = True,
) -> connexion.AsyncApp:
    """A Connexion ASGI app serving every plug-in with request AND response validation on.

    Args:
        plugins: the APIs to mount, each at its own ``base_path``.
        max_body: the largest request body accepted (bigger ones get a 413 envelope).
        lifespan: an ASGI lifespan context (background workers start and stop with it).
        outer_middlewares: ``(class, kwargs)`` ASGI middleware wrapped around everything but the
            request context (they see every response, errors included).
        middlewares: extra ``(class, kwargs)`` ASGI middleware, run after routing and security
            (they see ``scope["extensions"]["connexion_routing"]``) and before validation.
        fast_path: serve conforming requests through operations compiled at start-up
            (:mod:`sandbox.engine.fast_path`); off, Connexion's pipeline serves every request.
    """
    app = connexion.AsyncApp(__name__, lifespan=lifespan, jsonifier=JSONIFIER)
    indexes: list[SpecIndex] = []
    routes: list[Route] = []
    for plugin in plugins:
        spec = load_spec(plugin.spec_path)
        indexes.append(SpecIndex.from_spec(spec, plugin.base_path))
        if fast_path:
            plugin_routes, skipped = compile_operations(
                spec,
                plugin.base_path,
                plugin.operations(),
                plugin.authenticators(),
                inline=getattr(plugin, "inline_handlers", True),
            )
            routes.extend(plugin_routes)
            for operation_id, reason in skipped.items():
                logger.debug("%s: %s is served by Connexion alone (%s)", plugin.name, operation_id, reason)
        app.add_api(
            # Connexion validates and resolves the document itself: give it the compact one as
            # written, not the resolved one (five times larger to validate, same result).
            load_raw_spec(plugin.spec_path),
            base_path=plugin.base_path,
            name=plugin.name,
            resolver=_resolver(plugin, spec),
            validate_responses=True,
            strict_validation=False,
            security_map=security_map(spec, plugin.authenticators()),
            validator_map=validator_map(),
            swagger_ui_options=None,
        )
    renderer = ErrorRenderer(indexes)
    for exc_type, handler in renderer.handlers():
        app.add_error_handler(exc_type, handler)
    # At one position, the middleware added first ends up outermost.
    app.add_middleware(RequestContextMiddleware, MiddlewarePosition.BEFORE_EXCEPTION, max_body=max_body)
    for cls, kwargs in outer_middlewares:
        app.add_middleware(cls, MiddlewarePosition.BEFORE_EXCEPTION, **kwargs)
    if routes:
        # Inside the exception layer: handler errors are rendered like any other.
        app.add_middleware(FastPath, MiddlewarePosition.BEFORE_SWAGGER, routes=routes, inner=middlewares)
    for cls, kwargs in middlewares:
        app.add_middleware(cls, MiddlewarePosition.BEFORE_VALIDATION, **kwargs)
    return app
