"""The ``immigraflow-sandbox`` command as a user runs it."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from fixtures.partners import DEMO_PARTNERS
from sandbox.apis.immigraflow.simulation import MAGIC_RECEIPTS
from sandbox.cli import main
from tests.support.server import free_port

ROOT = Path(__file__).resolve().parents[1]


def test_credentials_json_lists_the_demo_partners() -> None:
    result = CliRunner().invoke(main, ["credentials", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == [
        {"name": p["name"], "api_key": p["api_key"], "api_secret": p["api_secret"]} for p in DEMO_PARTNERS
    ]


def test_seed_is_deterministic(tmp_path: Path) -> None:
    runner = CliRunner()
    for name, seed in (("a.json", "5"), ("b.json", "5"), ("c.json", "6")):
        result = runner.invoke(
            main, ["seed", "--seed", seed, "--users-per-partner", "3", "--out", str(tmp_path / name)]
        )
        assert result.exit_code == 0, result.output
        assert "6 users" in result.output
    assert (tmp_path / "a.json").read_bytes() == (tmp_path / "b.json").read_bytes()
    assert (tmp_path / "a.json").read_bytes() != (tmp_path / "c.json").read_bytes()


def test_memory_database_refuses_several_workers() -> None:
    result = CliRunner().invoke(main, ["serve", "--db", ":memory:", "--workers", "2"])
    assert result.exit_code == 2 and "--db :memory:" in result.output


@pytest.mark.parametrize(("argv", "loop"), [([], "asyncio"), (["--loop", "uvloop"], "uvloop")])
def test_serve_runs_on_the_asyncio_loop_unless_told(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, argv: list[str], loop: str
) -> None:
    """asyncio by default: under saturation uvloop starves some connections (benchmarks/README.md)."""
    import uvicorn

    calls: list[dict[str, object]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kwargs: calls.append(kwargs))
    result = CliRunner().invoke(main, ["serve", "--db", str(tmp_path / "s.sqlite3"), *argv])
    assert result.exit_code == 0, result.output
    assert [call["loop"] for call in calls] == [loop]


def test_readme_lists_every_magic_receipt() -> None:
    readme = (ROOT / "README.md").read_text()
    for scenario in MAGIC_RECEIPTS.values():
        assert f"| `{scenario.receipt}` | {scenario.name} |" in readme


@pytest.mark.e2e
@pytest.mark.parametrize("workers", [1, 2])
def test_serve_starts_a_sandbox_that_survives_a_restart(tmp_path: Path, workers: int) -> None:
    db = tmp_path / "sandbox.sqlite3"
    headers = {"X-API-KEY": DEMO_PARTNERS[0]["api_key"], "X-API-SECRET": DEMO_PARTNERS[0]["api_secret"]}
    created = None
    for run in range(2):
        port = free_port()
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "sandbox.cli",
                "serve",
                "--port",
                str(port),
                "--db",
                str(db),
                "--workers",
                str(workers),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            url = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 60
            while True:
                try:
                    if httpx.get(f"{url}/v1/client", headers=headers, timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                assert proc.poll() is None and time.monotonic() < deadline, "the sandbox did not start"
                time.sleep(0.1)
            assert httpx.get(f"{url}/ui/").status_code == 200
            assert httpx.get(f"{url}/openapi.json").json()["info"]["title"] == "ImmigraFlow Partner API"
            if run == 0:
                body = {"email": "restart@example.com", "name": "Survives Restarts"}
                created = httpx.post(f"{url}/v1/users", json=body, headers=headers).json()["user"]
            else:
                assert created is not None
                again = httpx.get(f"{url}/v1/users/{created['id']}", headers=headers)
                assert again.status_code == 200 and again.json()["user"]["email"] == "restart@example.com"
        finally:
            proc.terminate()
            output = proc.communicate(timeout=20)[0]
    assert DEMO_PARTNERS[0]["api_key"] in output and "/ui/" in output
