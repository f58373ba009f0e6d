"""The installed package needs none of the emulators' packages: starlette, uvicorn and openapi-core
are in the ``emulators`` extra (pulled in by ``dev``), and the Dagster definitions load with them,
and the top-level ``emulators`` package, impossible to import."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

from packaging.requirements import Requirement

REPO = Path(__file__).resolve().parents[2]
EMULATOR_PACKAGES = {"starlette", "uvicorn", "openapi-core"}

BLOCKING_IMPORT = """
import importlib.abc, sys
BLOCKED = {"starlette", "uvicorn", "openapi_core", "emulators"}
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ModuleNotFoundError(f"No module named {name!r} (blocked)", name=name)
        return None
sys.meta_path.insert(0, Block())
import pipelines.definitions
print(sorted(k.to_user_string() for k in pipelines.definitions.defs.resolve_all_asset_keys()))
"""


def project() -> dict:
    with (REPO / "pyproject.toml").open("rb") as f:
        return tomllib.load(f)["project"]


def test_emulator_packages_are_an_extra_not_a_runtime_dependency():
    runtime = {Requirement(r).name for r in project()["dependencies"]}
    extras = project()["optional-dependencies"]
    assert not runtime & EMULATOR_PACKAGES
    assert {Requirement(r).name for r in extras["emulators"]} == EMULATOR_PACKAGES
    assert any(Requirement(r).extras == {"emulators"} for r in extras["dev"])


def test_definitions_load_with_the_emulator_packages_blocked(tmp_path):
    result = subprocess.run([sys.executable, "-c", BLOCKING_IMPORT], cwd=tmp_path, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "'pennylane_entries'" in result.stdout and "'stock_levels'" in result.stdout
