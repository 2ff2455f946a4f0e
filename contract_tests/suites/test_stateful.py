"""Layer 3a: workflows through the spec's links (and inferred ones), run by Schemathesis' state machine.

Each step's ids come from earlier responses; writes still pass the safety guard, so a link from a
list of pre-existing objects never lets the fuzzer change them.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, seed, settings
from schemathesis import Case, Response

from contract_tests import context
from contract_tests.checks import CUSTOM_CHECKS
from contract_tests.config import Profile
from contract_tests.loaders import BUILTIN_CHECKS, STATEFUL_CHECKS, check_functions, load_schema
from contract_tests.pytest_plugin import contract_settings

pytestmark = pytest.mark.contract_stateful

SETTINGS = contract_settings()
PROFILE = SETTINGS.profile.settings
schema = load_schema(SETTINGS)
CHECKS = [*check_functions(BUILTIN_CHECKS + STATEFUL_CHECKS), *CUSTOM_CHECKS]


class Workflows(schema.as_state_machine()):  # type: ignore[misc]
    """The link-driven state machine, sending through the run's session and safety guard."""

    rule_order_seed = SETTINGS.seed

    def setup(self) -> None:
        run = context.current()
        if run is None:
            raise RuntimeError("the contract_run fixture is not active")
        self.run = run

    def before_call(self, case: Case) -> None:
        self.run.prepare(case)

    def get_call_kwargs(self, case: Case) -> dict[str, Any]:
        return self.run.call_kwargs()

    def validate_response(
        self, response: Response, case: Case, additional_checks: Any = None, **kwargs: Any
    ) -> None:
        from schemathesis.core.failures import FailureGroup

        exchange = self.run.recorder.last
        try:
            case.validate_response(response, checks=CHECKS, transport_kwargs=kwargs, recorder=self.recorder)
        except FailureGroup as group:
            for failure in group.exceptions:
                if getattr(failure, "exchange", None) is None:
                    failure.exchange = exchange  # type: ignore[attr-defined]
            raise


seed(SETTINGS.seed)(Workflows)


@pytest.mark.usefixtures("contract_run")
class TestWorkflows(Workflows.TestCase):  # type: ignore[name-defined,misc]
    settings = settings(
        max_examples=max(1, PROFILE.stateful_examples),
        stateful_step_count=max(2, PROFILE.stateful_steps),
        deadline=None,
        database=None,
        derandomize=False,
        suppress_health_check=list(HealthCheck),
        # Shrinking a failing scenario replays it hundreds of times: only the deep profile affords it.
        phases=[Phase.explicit, Phase.reuse, Phase.generate]
        + ([Phase.shrink] if SETTINGS.profile is Profile.DEEP else []),
    )

    def setUp(self) -> None:
        if not PROFILE.state_machine:
            pytest.skip(f"the {SETTINGS.profile.value} profile runs no state machine")
        if SETTINGS.read_only:
            pytest.skip("read-only mode: workflows create and delete objects")
        super().setUp()
