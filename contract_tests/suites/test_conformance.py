"""Layer 2: every operation, generated from the spec by Schemathesis, under every check that applies."""

from __future__ import annotations

import pytest
from schemathesis import Case

from contract_tests.checks import CUSTOM_CHECKS
from contract_tests.context import RunContext
from contract_tests.loaders import BUILTIN_CHECKS, check_functions, load_schema
from contract_tests.pytest_plugin import contract_settings

pytestmark = pytest.mark.contract_conformance

schema = load_schema(contract_settings())
CHECKS = [*check_functions(BUILTIN_CHECKS), *CUSTOM_CHECKS]


@schema.parametrize()
def test_operation(case: Case, contract_run: RunContext) -> None:
    contract_run.exercise(case, CHECKS)
