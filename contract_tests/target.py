"""The API under test: a given base URL, or the local sandbox started in-process on a loopback port."""

from __future__ import annotations

import dataclasses
import shutil
import socket
import tempfile
import threading
import time
import warnings
from pathlib import Path
from typing import Any

import requests

from contract_tests.config import ContractSettings, Partner
from contract_tests.errors import TargetError

CONTROLS_PROBE = "/_sandbox/scenarios"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LocalSandbox:
    """The ImmigraFlow sandbox served by uvicorn in a background thread, on a throw-away SQLite file."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.directory = Path(tempfile.mkdtemp(prefix="immigraflow-contract-"))
        self._server: Any = None
        self._thread: threading.Thread | None = None

    def start(self, timeout: float = 60.0) -> None:
        # The only place the suite imports the sandbox (ARCHITECTURE.md, rule 6). Its framework's
        # import-time deprecation notices are not the contract run's business.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import uvicorn

            from sandbox.app import create_app
            from sandbox.settings import SandboxSettings

            settings = SandboxSettings(db=str(self.directory / "sandbox.sqlite3"), tick_seconds=0.05)
            settings = dataclasses.replace(
                settings,
                domain=dataclasses.replace(
                    settings.domain, public_base_url=self.url, webhook_first_retry=0.2, webhook_backoff=2.0
                ),
            )
            app = create_app(settings)
        # loop="asyncio": a uvloop loop run in a non-main thread made the process segfault at exit
        # (after a green run, so the CLI exited 139: measured 4 of 4 standard-profile runs).
        config = uvicorn.Config(
            app, host="127.0.0.1", port=self.port, log_level="error", lifespan="on", access_log=False, loop="asyncio"
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name=f"sandbox-{self.port}", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise TargetError(f"the local sandbox did not start on {self.url}")
            time.sleep(0.02)

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=15)
        shutil.rmtree(self.directory, ignore_errors=True)


@dataclasses.dataclass
class Target:
    """Where requests go, and what the target can do beyond the spec."""

    base_url: str
    local: LocalSandbox | None = None
    #: The sandbox's ``/_sandbox`` controls answer (outbox, forced status changes, delivery log).
    controls: bool = False

    @property
    def description(self) -> str:
        return f"local sandbox at {self.base_url}" if self.local else self.base_url

    @property
    def loopback(self) -> bool:
        host = self.base_url.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0]
        return host in {"127.0.0.1", "localhost", "::1", "[::1]"}

    @classmethod
    def open(cls, settings: ContractSettings) -> Target:
        local = None
        base_url = settings.base_url
        if base_url is None:
            local = LocalSandbox()
            local.start()
            base_url = local.url
        return cls(base_url=base_url, local=local)

    def probe_controls(self, session: requests.Session, partner: Partner) -> bool:
        """Whether ``GET /_sandbox/scenarios`` answers 200 (a real deployment has no such route)."""
        try:
            response = session.get(
                self.base_url + CONTROLS_PROBE,
                headers={"X-API-KEY": partner.api_key, "X-API-SECRET": partner.api_secret},
            )
        except requests.RequestException as exc:
            raise TargetError(f"cannot reach {self.base_url}: {exc}") from exc
        return response.status_code == 200

    def close(self) -> None:
        if self.local is not None:
            self.local.stop()
