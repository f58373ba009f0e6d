"""Tenant registry: one YAML file per tenant under ``tenants/`` (or ``$TENANTS_DIR``).

The models are in :mod:`core.tenants`; this module completes them with each source's own model
(:class:`TenantConfig`), reads the files, resolves secrets from the environment, and offers the
registry as a Dagster resource.
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import yaml
from pydantic import ValidationError

from core import tenants as core_tenants
from resources.settings import Settings, resolved
from resources.sources.common import validation_errors
from resources.sources.settings import VendorSourceConfig

__all__ = ["TenantConfig", "TenantRegistryError", "TenantRegistryResource", "get_tenant", "load_registry",
           "load_tenant_file", "tenants_dir"]


class TenantConfig(core_tenants.TenantConfig):
    """A tenant as the registry validates it: :class:`core.tenants.TenantConfig` whose ``source``
    is the model of its ``type`` (typed credentials and settings, see
    :mod:`resources.sources.settings`). Everything in ``core`` sees a plain ``TenantConfig``."""

    source: VendorSourceConfig


class TenantRegistryError(ValueError):
    pass


def tenants_dir() -> Path:
    return Settings().tenants_dir or Path(__file__).resolve().parent.parent / "tenants"


def load_tenant_file(path: Path) -> TenantConfig:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        cfg = TenantConfig.model_validate(raw)
    except ValidationError as exc:
        raise TenantRegistryError(f"{path.name}: {validation_errors(exc)}") from exc
    except (OSError, yaml.YAMLError) as exc:
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


class TenantRegistryResource(dg.ConfigurableResource):
    """The tenant registry (``directory`` defaults to ``$TENANTS_DIR`` or ``tenants/``)."""

    directory: str = ""

    def path(self) -> Path:
        directory = resolved(self.directory)
        return Path(directory) if directory else tenants_dir()

    def all(self) -> dict[str, TenantConfig]:
        return load_registry(self.path())

    def get(self, slug: str) -> TenantConfig:
        return get_tenant(slug, self.path())
