"""The contract suite catches faults: each broken sandbox is reported by the rule it breaks.

Every test breaks one behaviour of a running sandbox (through a response-rewriting middleware, or
a monkeypatch in this process, where the server runs), then runs the suite against it as a real
deployment (``immigraflow-contract run --base-url ...`` in a subprocess, smoke profile, only the
layers and operations concerned) and reads the broken rules from its Markdown report.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from fixtures.partners import DEMO_PARTNERS
from tests.contract.variants import Mutation, VariantServer, rewrite_json
from tests.support.clients import log_in
from tests.support.server import free_port

pytestmark = pytest.mark.slow


@dataclass
class SuiteRun:
    code: int
    rules: list[str]
    report: str
    output: str

    def explain(self) -> str:
        return (
            f"exit {self.code}, rules {self.rules}\n--- report ---\n{self.report[:6000]}\n--- output ---\n"
            + (self.output[-4000:])
        )


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[VariantServer]:
    with VariantServer(tmp_path_factory.mktemp("variant")) as running:
        yield running


@pytest.fixture
def sandbox(server: VariantServer) -> Iterator[VariantServer]:
    server.mutator.mutation = None
    yield server
    server.mutator.mutation = None


def run_suite(sandbox: VariantServer, tmp_path: Path, *args: str) -> SuiteRun:
    acme, globex = DEMO_PARTNERS[0], DEMO_PARTNERS[1]
    report = tmp_path / "report.md"
    command = [
        sys.executable, "-m", "contract_tests.cli", "run",
        "--base-url", sandbox.url,
        "--api-key", acme["api_key"], "--api-secret", acme["api_secret"],
        "--second-partner-key", globex["api_key"], "--second-partner-secret", globex["api_secret"],
        "--profile", "smoke", "--seed", "1", "--report", str(report),
        *args,
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    text = report.read_text(encoding="utf-8") if report.exists() else ""
    rules = re.findall(r"^### \d+\. (\w+):", text, flags=re.MULTILINE)
    return SuiteRun(done.returncode, rules, text, done.stdout + done.stderr)


def assert_caught(run: SuiteRun, rule: str, detail: str | None = None) -> None:
    assert run.code == 1, run.explain()
    assert rule in run.rules, run.explain()
    if detail is not None:
        assert detail in run.report, run.explain()


def test_intact_sandbox_passes_every_layer(sandbox: VariantServer, tmp_path: Path) -> None:
    run = run_suite(sandbox, tmp_path)
    assert run.code == 0 and not run.rules, run.explain()
    assert "0 could not be deleted" in run.output or "Cleanup" in run.report, run.explain()


def test_field_of_the_wrong_type(sandbox: VariantServer, tmp_path: Path) -> None:
    def stringify_id(data: Any) -> None:
        data["user"]["id"] = str(data["user"]["id"])

    sandbox.mutator.mutation = Mutation("GET", r"/v1/users/\d+", response=rewrite_json(stringify_id))
    run = run_suite(sandbox, tmp_path, "--layer", "conformance", "--operations", "getUser")
    assert_caught(run, "JsonSchemaError", 'is not of type "integer"')


def test_missing_required_field(sandbox: VariantServer, tmp_path: Path) -> None:
    def drop_email(data: Any) -> None:
        data["user"].pop("email", None)

    sandbox.mutator.mutation = Mutation("GET", r"/v1/users/\d+", response=rewrite_json(drop_email))
    run = run_suite(sandbox, tmp_path, "--layer", "conformance", "--operations", "getUser")
    assert_caught(run, "JsonSchemaError", '"email" is a required property')


def test_ignored_auth_check(sandbox: VariantServer, tmp_path: Path) -> None:
    acme = DEMO_PARTNERS[0]

    def pretend_authenticated(scope: Any, body: bytes) -> tuple[Any, bytes]:
        headers = [(k, v) for k, v in scope["headers"] if k not in {b"x-api-key", b"x-api-secret"}]
        headers += [(b"x-api-key", acme["api_key"].encode()), (b"x-api-secret", acme["api_secret"].encode())]
        return {**scope, "headers": headers}, body

    sandbox.mutator.mutation = Mutation("GET", r"/v1/client", request=pretend_authenticated)
    run = run_suite(sandbox, tmp_path, "--layer", "conformance", "--layer", "auth", "--operations", "getClient")
    assert_caught(run, "IgnoredAuth")
    assert_caught(run, "AuthNotEnforced")


def test_cross_tenant_leak(sandbox: VariantServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from sandbox.apis.immigraflow import repositories
    from sandbox.apis.immigraflow import tables as t

    def get_any_partners_user(self: repositories.Users, user_id: int) -> Any:
        row = self.conn.execute(select(t.users).where(t.users.c.id == user_id)).mappings().first()
        if row is None:
            raise repositories.not_found("user")
        return row

    monkeypatch.setattr(repositories.Users, "get", get_any_partners_user)
    run = run_suite(sandbox, tmp_path, "--layer", "auth", "--operations", "getUser,getClientUser")
    assert_caught(run, "CrossTenantLeak")


def test_delete_that_does_not_delete(sandbox: VariantServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from sandbox.apis.immigraflow import repositories

    monkeypatch.setattr(repositories.Cases, "delete", lambda self, case_id: None)
    run = run_suite(sandbox, tmp_path, "--layer", "stateful", "-k", "test_delete_case_deletes")
    assert_caught(run, "DeleteNotApplied")


def test_non_idempotent_put(sandbox: VariantServer, tmp_path: Path) -> None:
    import json

    mutation = Mutation("PUT", r"/v1/users/\d+/cases/\w+")

    def flip_on_repeat(scope: Any, body: bytes) -> tuple[Any, bytes]:
        count = mutation.seen[scope["path"]] = mutation.seen.get(scope["path"], 0) + 1
        data = json.loads(body or b"{}")
        if count > 1 and isinstance(data.get("active"), bool):
            data["active"] = not data["active"]
        return scope, json.dumps(data).encode()

    mutation.request = flip_on_repeat
    sandbox.mutator.mutation = mutation
    run = run_suite(sandbox, tmp_path, "--layer", "stateful", "-k", "test_case_put_is_idempotent")
    assert_caught(run, "NonIdempotentPut")


def test_wrong_status_code(sandbox: VariantServer, tmp_path: Path) -> None:
    def created_as_ok(status: int, content: bytes) -> tuple[int, bytes]:
        return (200 if status == 201 else status), content

    sandbox.mutator.mutation = Mutation("POST", r"/v1/webhooks", response=created_as_ok)
    run = run_suite(sandbox, tmp_path, "--layer", "conformance", "--operations", "createWebhook")
    assert_caught(run, "UndefinedStatusCode")


def test_bad_webhook_signature(sandbox: VariantServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from sandbox import signatures

    genuine = signatures.sign
    monkeypatch.setattr(
        signatures, "sign", lambda secret, body, timestamp=None: genuine("whsec_forged", body, timestamp)
    )
    run = run_suite(sandbox, tmp_path, "--layer", "webhooks")
    assert_caught(run, "InvalidSignature")


def test_no_false_alarms_against_a_target_without_the_sandbox_controls(sandbox: VariantServer, tmp_path: Path) -> None:
    """A real deployment has no /_sandbox: with a given bearer token, what needs the outbox is skipped."""
    acme = DEMO_PARTNERS[0]
    keys = {"X-API-KEY": acme["api_key"], "X-API-SECRET": acme["api_secret"]}
    with httpx.Client(base_url=sandbox.url, headers=keys, timeout=10) as client:
        email = "no.controls@example.com"
        user = client.post("/v1/client/users", json={"email": email, "name": "No Controls"}).json()["user"]
        token = log_in(client, email)
    sandbox.mutator.mutation = Mutation("GET", r"/_sandbox/.*", response=lambda status, body: (404, b"{}"))
    run = run_suite(
        sandbox, tmp_path, "--layer", "auth", "--bearer-token", token, "--bearer-user-id", str(user["id"]),
        "-k", "other-user-bearer or other-partner-user-bearer or bearer-on-partner-route",
    )  # fmt: skip
    assert run.code == 0, run.explain()
    assert "a second end user's token needs a login through the sandbox outbox" in run.output, run.explain()
    assert run.rules == [], run.explain()


def test_an_unreachable_target_fails_at_once_with_one_message(tmp_path: Path) -> None:
    acme = DEMO_PARTNERS[0]
    command = [
        sys.executable, "-m", "contract_tests.cli", "run", "--base-url", f"http://127.0.0.1:{free_port()}",
        "--api-key", acme["api_key"], "--api-secret", acme["api_secret"], "--profile", "smoke",
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 1, done.stderr
    assert "cannot reach http://127.0.0.1:" in done.stderr and "Connection refused" in done.stderr, done.stderr
    assert "passed" not in done.stdout + done.stderr


def test_standard_profile_passes_against_the_in_process_sandbox(tmp_path: Path) -> None:
    """What an integrator runs first (`immigraflow-contract run`, no URL): every layer, zero failures."""
    report, junit = tmp_path / "report.md", tmp_path / "junit.xml"
    command = [
        sys.executable, "-m", "contract_tests.cli", "run", "--profile", "standard", "--seed", "7",
        "--report", str(report), "--junit-xml", str(junit),
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-6000:]
    summary = re.search(r"tests: (\d+) passed, (\d+) failed, (\d+) errors", output)
    assert summary is not None and int(summary.group(1)) > 400 and summary.group(2, 3) == ("0", "0"), output[-3000:]
    assert "## Coverage: documented status codes observed" in report.read_text(encoding="utf-8") and junit.exists()
