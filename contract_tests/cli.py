"""``immigraflow-contract``: run the packaged suite with pytest, against the sandbox or a deployment.

The command only maps its options onto the plugin's ``--contract-*`` options and calls
``pytest.main`` on ``contract_tests/suites``; the exit code is pytest's (0 only when every test
passed), except that collecting no test at all is an error too.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import click

from contract_tests.config import OPTIONS, ContractSettings, Layer, Profile
from contract_tests.errors import ContractError

SUITES = Path(__file__).resolve().parent / "suites"
NO_TESTS_COLLECTED = 5


def build_pytest_args(
    options: dict[str, object], *, junit_xml: str | None, verbose: int, extra: tuple[str, ...]
) -> list[str]:
    """pytest arguments for the packaged suite with these ``--contract-*`` options."""
    args = [str(SUITES), "-p", "no:cacheprovider", "-rfEs"]
    for name, value in options.items():
        if value is None or value is False or value == ():
            continue
        flag = "--contract-" + name.replace("_", "-")
        args += [flag] if value is True else [flag, str(value)]
    if junit_xml:
        args += [
            "--junitxml",
            junit_xml,
            "-o",
            "junit_family=xunit2",
            "-o",
            "junit_suite_name=immigraflow-contract",
        ]
    if verbose:
        args.append("-" + "v" * verbose)
    return [*args, *extra]


UNREACHABLE = 1  # like a failed run: the deployment cannot be shown to honour the contract


def unreachable(base_url: str, timeout: float = 10.0) -> str | None:
    """Why ``base_url`` cannot be reached at all (any HTTP answer counts as reachable), or ``None``."""
    import httpx

    try:
        httpx.get(base_url, timeout=timeout, follow_redirects=False)
    except httpx.HTTPError as exc:
        return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return None


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Contract tests for the ImmigraFlow partner API: verify any implementation of the spec."""


@main.command(context_settings={"ignore_unknown_options": False})
@click.option(
    "--base-url", help="API under test, e.g. https://devapi.immigraflow.com (default: the local sandbox)."
)
@click.option("--api-key", help="X-API-KEY of the partner the suite acts as.")
@click.option("--api-secret", help="X-API-SECRET of that partner.")
@click.option("--second-partner-key", help="X-API-KEY of a second partner (tenancy checks).")
@click.option("--second-partner-secret", help="X-API-SECRET of the second partner.")
@click.option(
    "--profile",
    type=click.Choice([p.value for p in Profile]),
    default=None,
    help="How much to generate: smoke (<1 min), standard, deep (default: IMMIGRAFLOW_CONTRACT_PROFILE or standard).",
)
@click.option(
    "--seed", type=int, help="Seed for reproducible generation (default: random, printed on the first line)."
)
@click.option(
    "--layer",
    "layers",
    multiple=True,
    type=click.Choice([layer.value for layer in Layer]),
    help="Run only this layer (repeatable; default: all).",
)
@click.option("--operations", help="Comma-separated operationIds the per-operation tests cover (default: all).")
@click.option("--read-only", is_flag=True, help="Send only GET requests: create, change and delete nothing.")
@click.option("--rate-limit", help="Most requests per second across the whole run, e.g. 10/s or 600/m.")
@click.option("--junit-xml", type=click.Path(dir_okay=False), help="Write a JUnit XML report.")
@click.option(
    "--report", type=click.Path(dir_okay=False), help="Write a Markdown report (failures, curl, coverage)."
)
@click.option(
    "--log", type=click.Path(dir_okay=False), help="Write every request and response as JSON lines."
)
@click.option(
    "--webhook-public-url", help="Public URL forwarding to the local webhook receiver (remote targets)."
)
@click.option("--webhook-listen", help="HOST:PORT for the webhook receiver (default 127.0.0.1 on a free port).")
@click.option("--bearer-token", help="An end-user bearer token, for targets without the sandbox's outbox.")
@click.option("--bearer-user-id", type=int, help="The user id of --bearer-token.")
@click.option(
    "--spec", type=click.Path(exists=True, dir_okay=False), help="OpenAPI document (default: packaged)."
)
@click.option("-v", "--verbose", count=True, help="List every test (-vv: more detail).")
@click.option("-k", "keyword", help="Only tests matching this pytest -k expression.")
@click.argument("pytest_args", nargs=-1, type=click.UNPROCESSED)
def run(
    base_url: str | None,
    api_key: str | None,
    api_secret: str | None,
    second_partner_key: str | None,
    second_partner_secret: str | None,
    profile: str,
    seed: int | None,
    layers: tuple[str, ...],
    operations: str | None,
    read_only: bool,
    rate_limit: str | None,
    junit_xml: str | None,
    report: str | None,
    log: str | None,
    webhook_public_url: str | None,
    webhook_listen: str | None,
    bearer_token: str | None,
    bearer_user_id: int | None,
    spec: str | None,
    verbose: int,
    keyword: str | None,
    pytest_args: tuple[str, ...],
) -> None:
    """Run the contract suite; extra arguments after `--` go to pytest."""
    import pytest

    options: dict[str, object] = {
        "base_url": base_url,
        "api_key": api_key,
        "api_secret": api_secret,
        "second_partner_key": second_partner_key,
        "second_partner_secret": second_partner_secret,
        "profile": profile,
        "seed": seed,
        "read_only": read_only,
        "rate_limit": rate_limit,
        "layers": ",".join(layers) or None,
        "operations": operations,
        "spec": spec,
        "report": report,
        "log": log,
        "webhook_public_url": webhook_public_url,
        "webhook_listen": webhook_listen,
        "bearer_token": bearer_token,
        "bearer_user_id": bearer_user_id,
    }
    assert set(options) <= set(OPTIONS)
    try:
        settings = ContractSettings.from_mapping(options)
    except ContractError as exc:
        raise click.UsageError(str(exc)) from None
    options["seed"] = settings.seed  # fixed here, so the header below and the run agree
    target = settings.base_url or "the local sandbox (in-process, demo partners)"
    click.echo(
        f"immigraflow-contract: {target} | profile {settings.profile.value} | seed {settings.seed} | "
        f"layers {', '.join(sorted(layer.value for layer in settings.layers))}"
        + (" | read-only" if settings.read_only else "")
        + (f" | rate limit {settings.rate_limit:g}/s" if settings.rate_limit else ""),
        err=True,
    )
    if settings.base_url:
        problem = unreachable(settings.base_url)
        if problem:
            click.echo(f"immigraflow-contract: cannot reach {settings.base_url}: {problem}", err=True)
            sys.exit(UNREACHABLE)
    extra = (*(("-k", keyword) if keyword else ()), *pytest_args)
    with tempfile.TemporaryDirectory(prefix="immigraflow-contract-") as directory:
        # An empty ini file: the caller's own pytest configuration (addopts, plugins) stays out of the run.
        ini = Path(directory) / "pytest.ini"
        ini.write_text("[pytest]\n", encoding="utf-8")
        args = ["-c", str(ini), "--rootdir", str(SUITES.parent.parent)]
        args += build_pytest_args(options, junit_xml=junit_xml, verbose=verbose, extra=extra)
        code = int(pytest.main(args))
    if code == NO_TESTS_COLLECTED:
        click.echo("immigraflow-contract: no test ran (check --layer and -k): failing the run", err=True)
    sys.exit(code)


if __name__ == "__main__":  # pragma: no cover
    main()
