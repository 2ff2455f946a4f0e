"""pytest plugin of the contract suite, loaded in every pytest run through the ``pytest11`` entry point.

It only registers options, markers and fixtures, and watches contract tests when they run; it
collects nothing and touches no network until a test asks for the ``contract_run`` fixture.
"""

from __future__ import annotations

import time
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pytest

from contract_tests.config import OPTIONS, ContractSettings, Layer
from contract_tests.errors import ContractError

if TYPE_CHECKING:
    from contract_tests.context import RunContext
    from contract_tests.transport import Exchange


@dataclass
class Outcome:
    nodeid: str
    layer: str | None
    outcome: str  # passed | failed | skipped | error
    duration: float
    reason: str = ""


@dataclass
class FailureRecord:
    nodeid: str
    layer: str | None
    rule: str
    title: str
    message: str
    severity: str = ""
    exchange: Exchange | None = None


@dataclass
class PluginState:
    config: pytest.Config | None = None
    settings: ContractSettings | None = None
    run: RunContext | None = None
    started: float = field(default_factory=time.monotonic)
    outcomes: list[Outcome] = field(default_factory=list)
    failures: list[FailureRecord] = field(default_factory=list)


STATE = PluginState()


def option_flag(name: str) -> str:
    return "--contract-" + name.replace("_", "-")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("immigraflow-contract", "ImmigraFlow contract suite (contract_tests)")
    for name, help_text in OPTIONS.items():
        if name == "read_only":
            group.addoption(option_flag(name), action="store_true", default=False, help=help_text)
        else:
            group.addoption(option_flag(name), default=None, help=help_text)


def pytest_configure(config: pytest.Config) -> None:
    for layer in Layer:
        config.addinivalue_line("markers", f"{layer.marker}: contract suite layer: {layer.description}")
    STATE.config = config
    STATE.settings = None


def contract_settings() -> ContractSettings:
    """The run's settings, parsed once from the pytest options and the environment."""
    if STATE.settings is None:
        options: dict[str, object] = {}
        if STATE.config is not None:
            options = {name: STATE.config.getoption(option_flag(name)) for name in OPTIONS}
        try:
            STATE.settings = ContractSettings.from_mapping(options)
        except ContractError as exc:
            raise pytest.UsageError(str(exc)) from None
    return STATE.settings


def layer_of(item: pytest.Item) -> str | None:
    for layer in Layer:
        if item.get_closest_marker(layer.marker) is not None:
            return layer.value
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    contract_items = [item for item in items if layer_of(item) is not None]
    if not contract_items:
        return
    wanted = {layer.value for layer in contract_settings().layers}
    deselected = [item for item in contract_items if layer_of(item) not in wanted]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = [item for item in items if item not in deselected]


@pytest.fixture(scope="session")
def contract_config() -> ContractSettings:
    """The contract run's settings (options, environment, defaults)."""
    return contract_settings()


@pytest.fixture(scope="session")
def contract_run(contract_config: ContractSettings) -> Iterator[RunContext]:
    """The contract run: target started or reached, identities set up; cleans up at the end."""
    from contract_tests import context
    from contract_tests.loaders import bind_base_url
    from contract_tests.target import Target

    target = Target.open(contract_config)
    run = context.RunContext(contract_config, target)
    STATE.run = run
    bind_base_url(target.base_url)
    context.activate(run)
    try:
        run.setup()
        yield run
    finally:
        try:
            if run.writes:
                run.cleanup()
        finally:
            context.activate(None)
            target.close()


def pytest_runtest_setup(item: pytest.Item) -> None:
    if STATE.run is not None:
        STATE.run.recorder.current_test = item.nodeid


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, Any]:
    report = yield
    layer = layer_of(item)
    if layer is None:
        return report
    if report.when == "call" or (report.when == "setup" and (report.failed or report.skipped)):
        outcome = "error" if report.when == "setup" and report.failed else report.outcome
        reason = ""
        if report.skipped and isinstance(report.longrepr, tuple):
            reason = str(report.longrepr[2]).removeprefix("Skipped: ")
        STATE.outcomes.append(Outcome(item.nodeid, layer, outcome, report.duration, reason))
    if report.failed and call.excinfo is not None:
        _record_failures(item.nodeid, layer, call.excinfo.value)
    return report


def _record_failures(nodeid: str, layer: str | None, exc: BaseException) -> None:
    from schemathesis.core.failures import Failure

    last = STATE.run.recorder.last if STATE.run is not None else None
    for leaf in _leaves(exc):
        if isinstance(leaf, Failure):
            STATE.failures.append(
                FailureRecord(
                    nodeid,
                    layer,
                    type(leaf).__name__,
                    leaf.title,
                    leaf.message,
                    str(leaf.severity.value),
                    getattr(leaf, "exchange", None) or last,
                )
            )
        else:
            message = str(leaf).strip() or repr(leaf)
            STATE.failures.append(
                FailureRecord(
                    nodeid, layer, type(leaf).__name__, type(leaf).__name__, message[:4000], "", last
                )
            )


def _leaves(exc: BaseException) -> Iterator[BaseException]:
    if isinstance(exc, BaseExceptionGroup):
        for inner in exc.exceptions:
            yield from _leaves(inner)
    else:
        yield exc


def pytest_terminal_summary(terminalreporter: Any) -> None:
    run = STATE.run
    if run is None:
        return
    from contract_tests.reporting import summary_lines

    terminalreporter.section("ImmigraFlow contract run")
    for line in summary_lines(run, STATE.outcomes, STATE.failures):
        terminalreporter.write_line(line)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if STATE.settings is None or not STATE.outcomes:
        return
    from contract_tests.reporting import write_log, write_report

    if STATE.settings.log_path is not None and STATE.run is not None:
        write_log(STATE.settings.log_path, STATE.run.recorder.exchanges)
    if STATE.settings.report_path is None:
        return
    write_report(
        STATE.settings.report_path,
        STATE.settings,
        STATE.run,
        STATE.outcomes,
        STATE.failures,
        duration=time.monotonic() - STATE.started,
        exitstatus=int(exitstatus),
    )
