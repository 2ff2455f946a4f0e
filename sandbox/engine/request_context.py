"""Outermost ASGI middleware: a request id on every exchange, and the request-size limit.

It sits before Connexion's exception layer, so it answers 413s itself, in the envelope.
"""

from __future__ import annotations

import itertools
import secrets

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sandbox.engine.envelope import JSON, REQUEST_ID_KEY, envelope_bytes
from sandbox.engine.errors import ErrorKind
from sandbox.engine.versions import one_snapshot_per_request

DEFAULT_MAX_BODY = 1024 * 1024


_PROCESS_PREFIX = secrets.token_hex(6)
_sequence = itertools.count(1)


def new_request_id() -> str:
    """``req_`` and 24 hex digits: a random prefix per process, then a counter (unique, and cheaper
    than reading the OS's random source on every request)."""
    return f"req_{_PROCESS_PREFIX}{next(_sequence) & 0xFFFFFFFFFFFF:012x}"


async def read_body(receive: Receive, limit: int | None = None) -> tuple[bytes | None, Receive]:
    """The whole request body (``None`` once it passes ``limit`` bytes), and a ``receive`` that
    replays it to whoever reads the request next."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        size += len(chunks[-1])
        if limit is not None and size > limit:
            return None, receive
        if not message.get("more_body", False):
            break
    replay: list[Message] = [{"type": "http.request", "body": b"".join(chunks), "more_body": False}]

    async def replay_receive() -> Message:
        return replay.pop() if replay else await receive()

    return replay[0]["body"], replay_receive


class RequestContextMiddleware:
    """Assigns ``request_id`` (echoing a sane ``X-Request-Id``), caps body size at ``max_body`` bytes,
    and makes the request read the tables' change counters once (``engine/versions.py``)."""

    def __init__(self, app: ASGIApp, max_body: int = DEFAULT_MAX_BODY) -> None:
        self.app = app
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        given = headers.get(b"x-request-id", b"").decode("latin-1")
        request_id = given if 0 < len(given) <= 64 and given.isascii() and given.isprintable() else new_request_id()
        scope[REQUEST_ID_KEY] = request_id
        # Inner layers copy the scope but share this dict; creating it here lets outer layers read
        # what routing and security store in it (uvicorn sends no "extensions" of its own).
        scope.setdefault("extensions", {})
        raw_id = request_id.encode()

        declared = headers.get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_body):
            await self._too_large(send, request_id)
            return

        if declared is None and scope.get("method") in ("POST", "PUT", "PATCH"):
            # Chunked upload without a length: buffer it (up to the cap) and replay it whole.
            raw, receive = await read_body(receive, self.max_body)
            if raw is None:
                await self._too_large(send, request_id)
                return

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (b"x-request-id", raw_id)]
            await send(message)

        with one_snapshot_per_request():
            await self.app(scope, receive, send_with_id)

    async def _too_large(self, send: Send, request_id: str) -> None:
        body = envelope_bytes(
            ErrorKind.PAYLOAD_TOO_LARGE, f"Request body is larger than {self.max_body} bytes", request_id
        )
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", JSON.encode()),
                    (b"content-length", str(len(body)).encode()),
                    (b"x-request-id", request_id.encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
