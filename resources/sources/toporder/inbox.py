"""The files of a tenant's inbox: pending, accepted into ``processed/<day>/``, checked against the
activation and the file format."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from core.errors import SourceDataError
from core.frames import SourceDay
from core.tenants import TenantConfig
from resources.sources.toporder.activation import PROCESSED, Activation
from resources.sources.toporder.format import (
    BEFORE_ACTIVATION_NOTICE,
    ClosureIn,
    Issue,
    error_from_issues,
    validate_closure,
)
from resources.sources.toporder.parser import closure_frames, consistency_issues

_IGNORED_SUFFIXES = (".tmp", ".part", ".partial")


@dataclass(frozen=True)
class InboxFile:
    """An accepted (or candidate) closure file of one tenant-day."""

    tenant: str
    day: date
    path: Path
    identifier: str
    closure_id: str = ""
    config: TenantConfig | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class InboxNotice:
    """Something the sensor should log: a file left (unknown identifier) or rejected."""

    kind: Literal["unknown_identifier", "rejected", "duplicate"]
    identifier: str
    path: Path
    message: str
    tenant: str | None = None


def pending_files(directory: Path) -> list[Path]:
    if not directory.is_dir():
        return []
    return sorted(
        p for p in directory.iterdir()
        if p.is_file() and p.suffix.lower() == ".json" and not p.name.startswith(".")
        and not p.name.endswith(".report.json") and not p.name.lower().endswith(_IGNORED_SUFFIXES)
    )


def _load_json(path: Path, tenant: TenantConfig) -> Any:
    """Decode a file; decimals stay exact (``parse_float=Decimal``)."""
    try:
        return json.loads(path.read_bytes().decode("utf-8"), parse_float=Decimal)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SourceDataError(
            f"{path.name}: not valid UTF-8 JSON: {exc}", tenant=tenant.slug,
            details={"code": "invalid_json", "file": path.name,
                     "issues": [Issue("invalid_json", str(exc)).as_dict()]},
        ) from None


def _raw_day(doc: Any) -> date | None:
    """The business date before validation (to route notices and reports), or ``None``."""
    try:
        return date.fromisoformat(str(doc["business_date"])[:10])
    except (KeyError, TypeError, ValueError):
        return None


def _before_activation(path: Path, tenant: TenantConfig, activation: Activation, day: date) -> SourceDataError:
    return SourceDataError(
        f"{path.name}: closure of {day} is dated before the Toporder activation on "
        f"{activation.activated_on}: {BEFORE_ACTIVATION_NOTICE}",
        tenant=tenant.slug, day=day.isoformat(), field_name="business_date",
        details={"code": "before_activation", "file": path.name, "notice": True,
                 "issues": [Issue("before_activation", BEFORE_ACTIVATION_NOTICE, None,
                                  "business_date").as_dict()]},
    )


def check_file(path: Path, tenant: TenantConfig, activation: Activation) -> tuple[ClosureIn, SourceDay]:
    """Read and check one file for ``tenant``: JSON, activation date, identifier, schema, totals.

    The activation date is checked first: a file the integration can never receive gets a notice,
    not a list of things to fix.
    """
    doc = _load_json(path, tenant)
    day = _raw_day(doc) if isinstance(doc, dict) else None
    if day is not None and day < activation.activated_on:
        raise _before_activation(path, tenant, activation, day)
    if isinstance(doc, dict) and "identifier" in doc and doc["identifier"] != activation.identifier:
        raise SourceDataError(
            f"{path.name}: identifier {doc['identifier']!r} is not this inbox's identifier",
            tenant=tenant.slug, day=day.isoformat() if day else None, field_name="identifier",
            details={"code": "identifier_mismatch", "file": path.name,
                     "issues": [Issue("identifier_mismatch", "identifier does not match the inbox",
                                      None, "identifier").as_dict()]},
        )
    closure = validate_closure(doc, tenant, file_name=path.name)
    if closure.business_date < activation.activated_on:
        raise _before_activation(path, tenant, activation, closure.business_date)
    issues = consistency_issues(closure, tenant)
    if issues:
        raise error_from_issues(issues, tenant=tenant.slug, day=closure.business_date.isoformat(),
                                 file_name=path.name)
    return closure, closure_frames(closure, tenant, origin=str(path))


def move_file(src: Path, dest_dir: Path) -> Path:
    """Move ``src`` into ``dest_dir`` without overwriting a different file of the same name."""
    dest_dir.mkdir(parents=True, exist_ok=True)
    dest = dest_dir / src.name
    if dest.exists():
        digest = hashlib.sha256(src.read_bytes()).hexdigest()[:10]
        dest = dest_dir / f"{src.stem}.{digest}{src.suffix}"
        n = 1
        while dest.exists():
            n += 1
            dest = dest_dir / f"{src.stem}.{digest}-{n}{src.suffix}"
    os.replace(src, dest)
    return dest


def accept_file(path: Path, activation: Activation, day: date) -> Path | None:
    """Move into ``processed/<day>/``; ``None`` when an identical file is already there."""
    dest_dir = activation.inbox_path / PROCESSED / day.isoformat()
    same = dest_dir / path.name
    if same.exists() and same.read_bytes() == path.read_bytes():
        path.unlink(missing_ok=True)
        return None
    return move_file(path, dest_dir)


def raw_day_of(path: Path) -> date | None:
    try:
        doc = json.loads(path.read_bytes().decode("utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    return _raw_day(doc) if isinstance(doc, dict) else None


def write_json_atomic(path: Path, doc: Any) -> None:
    """Write a dot-file, then rename: a reader never sees half a file."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(doc, ensure_ascii=False, indent=2, default=str) + "\n", encoding="utf-8")
    os.replace(tmp, path)
