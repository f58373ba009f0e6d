"""A clone without ``../shared/specs`` runs the end-to-end tests with the OpenAPI validation layer
off, says so in one line, and still fails under ``CI=true``; ``make specs`` pins each spec by SHA-256."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import spec_path

REPO = Path(__file__).resolve().parents[2]
END_TO_END = [
    "tests/pennylane/test_posting.py::test_tenant_entries_only_go_to_the_tenants_company",
    "tests/sources/test_chift_source.py::test_refunds_and_unknown_methods_come_through_as_the_till_names_them",
]


def run_without_specs(tmp_path: Path, *, ci: bool) -> subprocess.CompletedProcess[str]:
    empty = tmp_path / "no-specs"
    empty.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env["SHARED_SPECS_DIR"] = str(empty)
    if ci:
        env["CI"] = "true"
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:randomly", "-p", "no:cacheprovider",
                           "-rs", *END_TO_END], cwd=REPO, env=env, capture_output=True, text=True, timeout=600)


def test_end_to_end_tests_run_without_specs_and_say_which_layer_is_off(tmp_path):
    result = run_without_specs(tmp_path, ci=False)
    assert result.returncode == 0, result.stdout[-3000:]
    assert "2 passed" in result.stdout and "skipped" not in result.stdout
    header = [line for line in result.stdout.splitlines() if "OpenAPI request validation OFF" in line]
    assert len(header) == 1
    assert "make specs" in header[0] and str(tmp_path / "no-specs") in header[0]


def test_with_ci_a_missing_spec_is_a_failure(tmp_path):
    result = run_without_specs(tmp_path, ci=True)
    assert result.returncode == 1
    assert "CI=true: a missing spec is a failure" in result.stdout


def test_the_pinned_sha256_are_those_of_the_shared_specs():
    for line in (REPO / "tests" / "specs.sha256").read_text().splitlines():
        if line.startswith("#") or not line.strip():
            continue
        digest, name, url = line.split()
        assert url.startswith("https://") and len(digest) == 64
        path = spec_path(name)
        assert hashlib.sha256(path.read_bytes()).hexdigest() == digest, name
