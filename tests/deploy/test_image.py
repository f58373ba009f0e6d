"""The image is built from pinned, hashed dependencies and runs as a non-root user."""

from __future__ import annotations

import re
import tomllib

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.conftest import REPO

DOCKERFILE = (REPO / "Dockerfile").read_text()


def locked() -> dict[str, tuple[str, int]]:
    """name -> (version, number of hashes) from requirements.lock."""
    pins: dict[str, tuple[str, int]] = {}
    for block in re.split(r"\n(?=[a-z0-9])", (REPO / "requirements.lock").read_text(), flags=re.I):
        match = re.match(r"([A-Za-z0-9_.\-\[\]]+)==(\S+)", block)
        if match:
            name = canonicalize_name(match.group(1).split("[")[0])
            pins[name] = (match.group(2), block.count("--hash=sha256:"))
    return pins


def test_every_runtime_dependency_is_pinned_with_hashes_and_satisfies_pyproject():
    pins = locked()
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    for spec in project["dependencies"]:
        req = Requirement(spec)
        name = canonicalize_name(req.name)
        assert name in pins, f"{req.name} is in pyproject.toml but not in requirements.lock: run `make lock`"
        version, hashes = pins[name]
        assert req.specifier.contains(version, prereleases=True), f"{req.name}=={version} violates {req.specifier}"
        assert hashes >= 1, f"{req.name} has no hash"
    # the project builds offline with --no-build-isolation: its build backend is locked too
    for tool in ("setuptools", "wheel"):
        assert tool in pins


def test_every_locked_line_carries_a_hash():
    assert all(hashes >= 1 for _, hashes in locked().values())


def test_dockerfile_pins_the_base_image_installs_by_hash_and_drops_root():
    base = re.search(r"^ARG PYTHON_IMAGE=(\S+)$", DOCKERFILE, re.M).group(1)
    assert re.fullmatch(r"python:3\.11\.\d+-slim-\w+", base), base  # a patch release, not a moving tag
    assert "--require-hashes" in DOCKERFILE
    users = re.findall(r"^USER (\S+)$", DOCKERFILE, re.M)
    assert users and users[-1] == "10001:10001"  # the last USER wins: the running container
    assert not re.search(r"^ENV .*(TOKEN|PASSWORD|SECRET)", DOCKERFILE, re.M | re.I)


def test_image_command_names_a_real_definitions_object():
    cmd = re.search(r'"--module-name", "([\w.]+)", "--attribute", "(\w+)"', DOCKERFILE)
    module, attribute = cmd.groups()
    path = REPO / (module.replace(".", "/") + ".py")
    assert re.search(rf"^{attribute}\s*=", path.read_text(), re.M)


def test_build_context_leaves_out_fakes_tests_and_local_state():
    ignored = set((REPO / ".dockerignore").read_text().split())
    assert {".git", ".venv", ".dagster_home", "emulators", "tests", "tenants"} <= ignored
