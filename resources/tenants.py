"""Tenant registry: one YAML file per tenant under ``tenants/`` (or ``$TENANTS_DIR``).

The models are in :mod:`core.tenants`; this module reads the files, resolves secrets from the
environment, and offers the registry as a Dagster resource.
"""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg
import yaml

from core.errors import MappingError
from core.tenants import TenantConfig

__all__ = ["TenantConfig", "TenantRegistryError", "TenantRegistryResource", "get_tenant", "load_registry",
           "load_tenant_file", "secret", "tenants_dir"]


class TenantRegistryError(ValueError):
    pass


def tenants_dir() -> Path:
    return Path(os.environ.get("TENANTS_DIR", Path(__file__).resolve().parent.parent / "tenants"))


def load_tenant_file(path: Path) -> TenantConfig:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        cfg = TenantConfig.model_validate(raw)
    except Exception as exc:  # pydantic.ValidationError, yaml.YAMLError
        raise TenantRegistryError(f"{path.name}: {exc}") from exc
    if cfg.slug != path.stem:
        raise TenantRegistryError(f"{path.name}: slug {cfg.slug!r} must match the file name {path.stem!r}")
    return cfg


def load_registry(directory: Path | None = None) -> dict[str, TenantConfig]:
    """All tenants, by slug. Raises on the first invalid file, naming it."""
    directory = directory or tenants_dir()
    tenants: dict[str, TenantConfig] = {}
    for path in sorted(directory.glob("*.y*ml")):
        cfg = load_tenant_file(path)
        tenants[cfg.slug] = cfg
    return tenants


def get_tenant(slug: str, directory: Path | None = None) -> TenantConfig:
    directory = directory or tenants_dir()
    for ext in (".yaml", ".yml"):
        path = directory / f"{slug}{ext}"
        if path.exists():
            return load_tenant_file(path)
    raise TenantRegistryError(f"unknown tenant {slug!r} (no {slug}.yaml in {directory})")


def secret(env_name: str, *, tenant: str | None = None, what: str = "credential") -> str:
    """Resolve a secret from the environment. The value is never logged or put in errors."""
    value = os.environ.get(env_name)
    if not value:
        raise MappingError(f"{what}: environment variable {env_name} is not set", tenant=tenant)
    return value


class TenantRegistryResource(dg.ConfigurableResource):
    """The tenant registry (``directory`` defaults to ``$TENANTS_DIR`` or ``tenants/``)."""

    directory: str = ""

    def path(self) -> Path:
        return Path(self.directory) if self.directory else tenants_dir()

    def all(self) -> dict[str, TenantConfig]:
        return load_registry(self.path())

    def get(self, slug: str) -> TenantConfig:
        return get_tenant(slug, self.path())
