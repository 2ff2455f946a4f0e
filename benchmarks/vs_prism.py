"""The sandbox against a Prism mock of the same spec: requests/s, p50/p99 latency, startup time.

Both servers run one process pinned to core 0; wrk runs on core 1. Scenarios alternate between
the two servers, round after round, and the table reports medians and sandbox/Prism ratios.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "openapi" / "immigraflow.yaml"
PRISM_DIR = Path(__file__).resolve().parent / ".prism"
PRISM_VERSION = "5.16.0"
PARTNER = {
    "X-API-KEY": "ifk_test_acme_5f2c9a7e1b3d4c6a",
    "X-API-SECRET": "ifs_test_acme_9d8e7f6a5b4c3d2e1f0a9b8c",
}

CREATE_LUA = """
counter = 0
request = function()
  counter = counter + 1
  local body = string.format('{"email":"bench.%d.%d@example.com","name":"Bench User"}', os.time(), counter)
  return wrk.format("POST", "/v1/client/users", nil, body)
end
"""


@dataclass
class Scenario:
    name: str
    method: str
    path: str
    script: str | None = None


@dataclass
class Sample:
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def ensure_tools() -> tuple[str, str]:
    wrk = shutil.which("wrk")
    if wrk is None:
        print("installing wrk from Debian…", flush=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True, stdout=subprocess.DEVNULL)
        wrk = shutil.which("wrk")
    prism = PRISM_DIR / "node_modules" / ".bin" / "prism"
    if not prism.exists():
        print(f"installing @stoplight/prism-cli@{PRISM_VERSION} from npm into {PRISM_DIR}…", flush=True)
        PRISM_DIR.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                "npm",
                "install",
                "--no-audit",
                "--no-fund",
                "--silent",
                f"@stoplight/prism-cli@{PRISM_VERSION}",
            ],
            cwd=PRISM_DIR,
            check=True,
        )
    assert wrk is not None
    return wrk, str(prism)


def wait_ready(url: str, headers: dict[str, str], started: float, timeout: float = 60) -> float:
    """Seconds from ``started`` to the first 200 on ``url``."""
    while time.monotonic() - started < timeout:
        try:
            if httpx.get(url, headers=headers, timeout=1).status_code == 200:
                return time.monotonic() - started
        except httpx.HTTPError:
            pass
        time.sleep(0.02)
    raise RuntimeError(f"{url} did not answer 200 within {timeout}s")


class Server:
    def __init__(self, name: str, argv: list[str], port: int, env: dict[str, str] | None = None) -> None:
        self.name, self.argv, self.port, self.env = name, argv, port, env
        self.proc: subprocess.Popen[bytes] | None = None
        self.startup = 0.0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, probe: str) -> None:
        started = time.monotonic()
        self.proc = subprocess.Popen(
            ["taskset", "-c", "0", *self.argv],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        self.startup = wait_ready(self.url + probe, PARTNER, started)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=10)


def run_wrk(wrk: str, server: Server, scenario: Scenario, seconds: int, connections: int) -> Sample:
    argv = ["taskset", "-c", "1", wrk, "-t1", f"-c{connections}", f"-d{seconds}s", "--latency"]
    for key, value in PARTNER.items():
        argv += ["-H", f"{key}: {value}"]
    if scenario.method != "GET":
        argv += ["-H", "Content-Type: application/json"]
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as lua:
        lua.write(scenario.script or f'wrk.method = "{scenario.method}"\n')
    argv += ["-s", lua.name, server.url + scenario.path]
    out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
    os.unlink(lua.name)
    return Sample(
        rps=float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
        p50_ms=_latency(out, "50%"),
        p99_ms=_latency(out, "99%"),
        errors=_errors(out),
    )


def _latency(out: str, pct: str) -> float:
    match = re.search(rf"{re.escape(pct)}\s+([\d.]+)(us|ms|s)", out)
    if not match:
        return float("nan")
    value, unit = float(match.group(1)), match.group(2)
    return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value


def _errors(out: str) -> int:
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return (int(non2xx.group(1)) if non2xx else 0) + (sum(map(int, socket_errors.groups())) if socket_errors else 0)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=10, help="duration of one wrk run")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds per scenario")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--quick", action="store_true", help="3-second runs, 1 round")
    parser.add_argument("--json", type=Path, help="also write the results as JSON here")
    args = parser.parse_args()
    if args.quick:
        args.seconds, args.rounds = 3, 1
    wrk, prism = ensure_tools()

    workdir = Path(tempfile.mkdtemp(prefix="bench-"))
    sandbox = Server(
        "sandbox",
        [
            sys.executable,
            "-m",
            "sandbox.cli",
            "serve",
            "--db",
            str(workdir / "b.sqlite3"),
            "--port",
            "0",
            "--log-level",
            "error",
        ],
        0,
    )
    sandbox.port = free_port()
    sandbox.argv[sandbox.argv.index("0")] = str(sandbox.port)
    prism_server = Server("prism", [prism, "mock", str(SPEC), "-p", "0", "-h", "127.0.0.1", "--errors", "false"], 0)
    prism_server.port = free_port()
    prism_server.argv[prism_server.argv.index("0")] = str(prism_server.port)

    results: dict[str, dict[str, list[Sample]]] = {}
    try:
        sandbox.start("/v1/client")
        prism_server.start("/v1/client")
        with httpx.Client(base_url=sandbox.url, headers=PARTNER) as client:
            case = client.get("/v1/client/cases", params={"limit": 1}).json()["cases"][0]
        scenarios = [
            Scenario("list users", "GET", "/v1/client/users?limit=20"),
            Scenario("get case by ref", "GET", f"/v1/client/cases/{case['user_case_id']}"),
            Scenario("create user", "POST", "/v1/client/users", CREATE_LUA),
        ]
        for scenario in scenarios:
            results[scenario.name] = {"sandbox": [], "prism": []}
            for round_no in range(args.rounds):
                order = (sandbox, prism_server) if round_no % 2 == 0 else (prism_server, sandbox)
                for server in order:
                    sample = run_wrk(wrk, server, scenario, args.seconds, args.connections)
                    results[scenario.name][server.name].append(sample)
                    print(
                        f"  {scenario.name:<16} {server.name:<8} {sample.rps:>9.0f} req/s  p50 {sample.p50_ms:6.2f} ms"
                        f"  p99 {sample.p99_ms:7.2f} ms  errors {sample.errors}",
                        flush=True,
                    )
    finally:
        sandbox.stop()
        prism_server.stop()

    print()
    print("| scenario | sandbox req/s | Prism req/s | ratio | sandbox p50 / p99 ms | Prism p50 / p99 ms | p99 ratio |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    table = {}
    for name, by_server in results.items():
        s, p = by_server["sandbox"], by_server["prism"]
        srps, prps = statistics.median(x.rps for x in s), statistics.median(x.rps for x in p)
        s50, s99 = statistics.median(x.p50_ms for x in s), statistics.median(x.p99_ms for x in s)
        p50, p99 = statistics.median(x.p50_ms for x in p), statistics.median(x.p99_ms for x in p)
        table[name] = {
            "sandbox_rps": srps,
            "prism_rps": prps,
            "ratio": srps / prps,
            "sandbox_p50": s50,
            "sandbox_p99": s99,
            "prism_p50": p50,
            "prism_p99": p99,
            "p99_ratio": s99 / p99,
        }
        print(
            f"| {name} | {srps:.0f} | {prps:.0f} | {srps / prps:.2f}× | {s50:.1f} / {s99:.1f} | "
            f"{p50:.1f} / {p99:.1f} | {s99 / p99:.2f} |"
        )
    print(
        f"| startup to first 200 | {sandbox.startup:.2f} s | {prism_server.startup:.2f} s | "
        f"{sandbox.startup / prism_server.startup:.2f} | | | |"
    )
    if args.json:
        args.json.write_text(
            json.dumps(
                {"scenarios": table, "startup": {"sandbox": sandbox.startup, "prism": prism_server.startup}},
                indent=2,
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
