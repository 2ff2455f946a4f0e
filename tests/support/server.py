"""A real sandbox: uvicorn on a free loopback port, with its own SQLite file."""

from __future__ import annotations

import dataclasses
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn

from sandbox.app import create_app
from sandbox.settings import SandboxSettings


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class RunningSandbox:
    """A sandbox served by uvicorn in a background thread."""

    def __init__(self, settings: SandboxSettings, port: int) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.settings = dataclasses.replace(
            settings, domain=dataclasses.replace(settings.domain, public_base_url=self.url)
        )
        self.app = create_app(self.settings)
        # The asyncio loop: uvloop run in a non-main thread can crash the interpreter at exit.
        config = uvicorn.Config(
            self.app, host="127.0.0.1", port=port, log_level="warning", lifespan="on", loop="asyncio"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name=f"sandbox-{port}", daemon=True)

    def __enter__(self) -> RunningSandbox:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the sandbox did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)

    def client(self, **kwargs: object) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=10, **kwargs)  # type: ignore[arg-type]


def start_sandbox(db: Path | str, **overrides: object) -> RunningSandbox:
    settings = dataclasses.replace(SandboxSettings(db=str(db), tick_seconds=0.05), **overrides)  # type: ignore[arg-type]
    settings = dataclasses.replace(
        settings, domain=dataclasses.replace(settings.domain, webhook_first_retry=0.1, webhook_backoff=2.0)
    )
    return RunningSandbox(settings, free_port())


@pytest.fixture(scope="session")
def sandbox_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSandbox]:
    """One real sandbox for the session (tests create their own users, so they do not collide)."""
    with start_sandbox(tmp_path_factory.mktemp("sandbox") / "sandbox.sqlite3") as running:
        yield running
