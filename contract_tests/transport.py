"""The one HTTP path of the suite: a rate-limited ``requests.Session`` that records every exchange.

Schemathesis sends through it too (``case.call(session=...)``, and its checks reuse the session
for their probes), so the rate limit and the coverage table see every request the suite makes.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import requests

from contract_tests.errors import ContractError
from contract_tests.spec import SpecIndex

BODY_LIMIT = 16 * 1024


class ReadOnlyViolation(ContractError):
    """Something tried to send a write in read-only mode."""


class RateLimiter:
    """A token bucket: ``rate`` tokens a second, bursts up to ``capacity``; ``acquire`` blocks.

    The default capacity of one token spaces requests evenly, so no one-second window ever holds
    more than ``rate`` + 1 requests (what a deployment's own limiter is likely to count).
    """

    def __init__(self, rate: float, capacity: float = 1.0) -> None:
        self.rate = rate
        self.capacity = capacity
        self._tokens = self.capacity
        self._updated = time.monotonic()
        self._lock = threading.Lock()
        self.waited = 0.0

    def acquire(self) -> None:
        while True:
            with self._lock:
                now = time.monotonic()
                self._tokens = min(self.capacity, self._tokens + (now - self._updated) * self.rate)
                self._updated = now
                if self._tokens >= 1:
                    self._tokens -= 1
                    return
                delay = (1 - self._tokens) / self.rate
            self.waited += delay
            time.sleep(delay)


@dataclass(slots=True)
class Exchange:
    """One request and its response, as sent and received."""

    id: int
    method: str
    url: str
    path: str
    request_headers: dict[str, str]
    request_body: bytes | None
    status: int
    response_headers: dict[str, str]
    response_body: bytes
    elapsed_ms: float
    operation_id: str | None
    test: str | None
    #: Wall-clock time the response was recorded (seconds since the epoch).
    at: float = 0.0

    @property
    def content_type(self) -> str:
        for name, value in self.response_headers.items():
            if name.lower() == "content-type":
                return value
        return ""


@dataclass
class Recorder:
    """Keeps every exchange (bodies truncated) and counts (operation, status) pairs for coverage."""

    index: SpecIndex
    base_path: str = ""
    exchanges: list[Exchange] = field(default_factory=list)
    coverage: Counter[tuple[str, int]] = field(default_factory=Counter)
    current_test: str | None = None
    #: Called with every exchange (e.g. the tracker of created objects).
    observers: list[Callable[[Exchange], None]] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _local: threading.local = field(default_factory=threading.local)

    def record(self, response: requests.Response) -> Exchange:
        request = response.request
        url = str(request.url)
        path = urlsplit(url).path
        if self.base_path and path.startswith(self.base_path):
            path = path[len(self.base_path) :] or "/"
        operation = self.index.match(str(request.method), path)
        body = request.body
        if isinstance(body, str):
            body = body.encode()
        exchange = Exchange(
            id=next(self._ids),
            method=str(request.method),
            url=url,
            path=path,
            request_headers=dict(request.headers),
            request_body=body[:BODY_LIMIT] if isinstance(body, bytes) else None,
            status=response.status_code,
            response_headers=dict(response.headers),
            response_body=response.content[:BODY_LIMIT],
            elapsed_ms=response.elapsed.total_seconds() * 1000,
            operation_id=operation.operation_id if operation else None,
            test=self.current_test,
            at=time.time(),
        )
        with self._lock:
            self.exchanges.append(exchange)
            if operation is not None:
                self.coverage[(operation.operation_id, response.status_code)] += 1
        self._local.last = exchange
        for observer in self.observers:
            observer(exchange)
        return exchange

    @property
    def last(self) -> Exchange | None:
        """The latest exchange of the calling thread."""
        return getattr(self._local, "last", None)


class RecordingSession(requests.Session):
    """A session whose every request waits for the rate limiter and lands in the recorder."""

    def __init__(
        self, recorder: Recorder, limiter: RateLimiter | None, timeout: float = 30.0, *, read_only: bool = False
    ) -> None:
        super().__init__()
        self.read_only = read_only
        self.recorder = recorder
        self.limiter = limiter
        self.default_timeout = timeout
        self.trust_env = False  # a proxy from the environment must not silently reroute the suite

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        if self.read_only and str(request.method).upper() not in {"GET", "HEAD"}:
            # The last line of defence of --read-only: nothing but reads ever leaves the suite.
            raise ReadOnlyViolation(f"read-only mode refused to send {request.method} {request.url}")
        if self.limiter is not None:
            self.limiter.acquire()
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.default_timeout
        response = super().send(request, **kwargs)
        # Keep-alive needs the body read; the recorder reads it anyway.
        response.contract_exchange = self.recorder.record(response)  # type: ignore[attr-defined]
        return response
