"""Deliberately broken sandboxes, built without touching sandbox code.

A ``Mutator`` is a small ASGI middleware around the real sandbox app: for the requests a
``Mutation`` matches, it can rewrite the request (headers, body) and the response (status, body).
Other faults are monkeypatches of sandbox internals in this process, where the server runs.
"""

from __future__ import annotations

import dataclasses
import json
import re
import threading
import time
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvicorn

from sandbox.app import create_app
from sandbox.settings import SandboxSettings
from tests.support.server import free_port

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


@dataclass
class Mutation:
    """Which requests to touch (method and path regex) and how."""

    method: str
    path: str
    request: Callable[[Scope, bytes], tuple[Scope, bytes]] | None = None
    response: Callable[[int, bytes], tuple[int, bytes]] | None = None
    seen: dict[str, int] = field(default_factory=dict)

    def matches(self, scope: Scope) -> bool:
        return scope["method"] == self.method and re.fullmatch(self.path, scope["path"]) is not None


class Mutator:
    """Passes everything through, except what the current ``mutation`` matches."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.mutation: Mutation | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        mutation = self.mutation
        if scope["type"] != "http" or mutation is None or not mutation.matches(scope):
            await self.app(scope, receive, send)
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        if mutation.request is not None:
            scope, body = mutation.request(dict(scope), body)
            scope["headers"] = [(k, v) for k, v in scope["headers"] if k != b"content-length"]
            scope["headers"].append((b"content-length", str(len(body)).encode()))
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if sent:
                return {"type": "http.disconnect"}
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        start: Message = {}
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, replay, capture)
        status, content = start["status"], b"".join(chunks)
        if mutation.response is not None:
            status, content = mutation.response(status, content)
        headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
        headers.append((b"content-length", str(len(content)).encode()))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": content})


def rewrite_json(change: Callable[[Any], None]) -> Callable[[int, bytes], tuple[int, bytes]]:
    """A response rewrite that edits the decoded JSON body of 2xx answers."""

    def rewrite(status: int, content: bytes) -> tuple[int, bytes]:
        if 200 <= status < 300 and content:
            data = json.loads(content)
            change(data)
            content = json.dumps(data).encode()
        return status, content

    return rewrite


class VariantServer:
    """The sandbox behind a ``Mutator``, served by uvicorn on a loopback port in this process."""

    def __init__(self, directory: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        settings = SandboxSettings(db=str(directory / "sandbox.sqlite3"), tick_seconds=0.05)
        settings = dataclasses.replace(
            settings, domain=dataclasses.replace(settings.domain, public_base_url=self.url, webhook_first_retry=0.2)
        )
        self.mutator = Mutator(create_app(settings))
        # The asyncio loop: uvloop run in a non-main thread can crash the interpreter at exit.
        config = uvicorn.Config(
            self.mutator, host="127.0.0.1", port=self.port, log_level="error", lifespan="on", loop="asyncio"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> VariantServer:
        self.thread.start()
        deadline = time.monotonic() + 60
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the variant sandbox did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)
