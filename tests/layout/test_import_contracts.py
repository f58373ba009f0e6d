"""The layer contracts in pyproject.toml are enforced: ``lint-imports`` fails, naming the contract
and the offending import, when a copy of the tree gets a wrong import."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PACKAGES = ("core", "resources", "pipelines", "emulators", "demo", "bench", "tests")
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def lint_copy(tmp_path: Path, edits: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Copy the packages and pyproject.toml to ``tmp_path``, append ``edits`` (relative path →
    lines) and run ``lint-imports`` on the copy."""
    for name in PACKAGES:
        shutil.copytree(REPO / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    for rel, text in edits.items():
        path = tmp_path / rel
        before = path.read_text(encoding="utf-8") if path.exists() else ""
        path.write_text(before + "\n" + text + "\n", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    return subprocess.run([str(LINT_IMPORTS), "--no-cache"], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=120)


def test_the_tree_as_it_is_keeps_every_contract(tmp_path):
    result = lint_copy(tmp_path, {})
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 5 kept, 0 broken." in result.stdout


@pytest.mark.parametrize(
    ("edits", "contract", "offence"),
    [
        ({"core/money.py": "import dagster"},
         "core is pure: no Dagster, httpx, SQLAlchemy", "core.money -> dagster"),
        ({"core/periods.py": "import httpx"},
         "core is pure: no Dagster, httpx, SQLAlchemy", "core.periods -> httpx"),
        ({"core/money.py": "import resources.settings"},
         "Layers: core <- resources <- pipelines", "core.money -> resources.settings"),
        ({"resources/warehouse.py": "import pipelines.definitions"},
         "Layers: core <- resources <- pipelines", "resources.warehouse -> pipelines.definitions"),
        ({"pipelines/inprocess.py": "import emulators.pennylane"},
         "Only demo, bench and tests import the emulators", "pipelines.inprocess -> emulators.pennylane"),
        ({"resources/alerts.py": "import starlette.requests"},
         "Only demo, bench and tests import the emulators", "resources.alerts -> starlette"),
        ({"emulators/chift.py": "import resources.sources.chift.parser"},
         "Emulators speak the vendors' formats on their own",
         "emulators.chift -> resources.sources.chift.parser"),
        ({"core/accounting/entry.py": "import core.accounting.mapping"},
         "No import cycles between sibling modules", "No cycles are allowed in core.accounting"),
    ],
    ids=["core-dagster", "core-httpx", "core-resources", "resources-pipelines", "pipelines-emulators",
         "resources-starlette", "emulator-parser", "cycle"],
)
def test_a_wrong_import_breaks_the_lint_naming_the_contract(tmp_path, edits, contract, offence):
    result = lint_copy(tmp_path, edits)
    assert result.returncode == 1, result.stdout + result.stderr
    broken = result.stdout.split("Broken contracts", 1)[1]
    assert contract in broken
    assert offence in broken
