"""The engine is generic: it must not import an API package, the controls, or the fixtures."""

from __future__ import annotations

import ast
from pathlib import Path

ENGINE = Path(__file__).resolve().parents[2] / "sandbox" / "engine"
FORBIDDEN = ("sandbox.apis", "sandbox.controls", "sandbox.app", "fixtures", "contract_tests")


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_engine_modules_exist() -> None:
    assert len(list(ENGINE.glob("*.py"))) >= 10


def test_engine_imports_no_api_code() -> None:
    offenders = {
        f"{path.name}: {name}"
        for path in ENGINE.glob("*.py")
        for name in imported_modules(path)
        if name.startswith(FORBIDDEN)
    }
    assert not offenders, f"the engine must stay generic, but imports {sorted(offenders)}"
