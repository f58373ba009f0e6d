"""Toporder: a *push* source. The till sends one JSON file per closure into a per-tenant inbox.

Pennylane's own Toporder integration works like this (help article "Connecter Toporder"): the
accountant activates the integration, gets a unique identifier, gives it to Toporder, and from
then on receives one file of sales per day. Sales dated before the activation cannot be received.
Payment-method names must match the till's names *exactly*; they can be typed in by hand or
learned from the first file. Errors the till must fix (debit ≠ credit, a wrong VAT rate) are
reported back to Toporder automatically. This module reproduces that contract:

- **Activation** (:func:`activate`): a random, unguessable identifier per tenant, stored in the
  ``toporder_activations`` table with the activation date. Re-activating returns the same one.
- **Inbox** (:func:`inbox_root`): ``$TOPORDER_INBOX_DIR`` (a directory, or a bucket mounted as
  one), default ``$DAGSTER_HOME/toporder-inbox``. The till drops ``<root>/<identifier>/*.json``
  (write to a dot-file or ``*.tmp``/``*.part`` name, then rename: those are never read).
  Accepted files move to ``<identifier>/processed/<business date>/``; rejected ones to
  ``<identifier>/rejected/`` with ``<name>.report.json`` beside them, and the same report is
  POSTed to ``source.settings.callback_url`` when the tenant has one.
- **Sensor** (:func:`scan_inbox`): validates every new file, accepts or rejects it, and returns
  the accepted ones (tenant, business day) so that a run is launched for that tenant-day.
- **Source** (:class:`ToporderSource`): ``fetch`` reads the accepted (or still pending) files of
  the tenant-day and parses them with the pure :func:`parse_closure`. No file yet → the day is
  *waiting*, not failed.
- **Feedback**: :func:`reject_file` (a file) and :func:`report_source_error` (a tenant-day whose
  mapping step later found a source error) write the report and call Toporder back.

The file format is documented in ``docs/toporder-format.md`` (there is no public Toporder
specification; this is our contract with the till, versioned by ``schema_version``). Its models,
checks and the pure parser live in :mod:`resources.sources.toporder_format`; writing files (demo,
emulated till, tests) in :mod:`resources.sources.toporder_files`. Both are re-exported here.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import re
import secrets as _secrets
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

import httpx
import pandas as pd
import sqlalchemy as sa

from core.errors import ErrorClass, MappingError, SourceDataError, SyncError, TransientError
from core.frames import CLOSURE_COLUMNS, PAYMENT_COLUMNS, SALES_LINE_COLUMNS, SourceDay, make_frame
from core.periods import SalesPeriod
from resources.http import RetryPolicy, send_with_retries
from resources.sources.toporder_files import (
    _write_json_atomic,
    closure_from_sales,
    closure_from_simday,
    write_closure_file,
)
from resources.sources.toporder_format import (
    BEFORE_ACTIVATION_NOTICE,
    ISSUE_CODES,
    SCHEMA_VERSION,
    ClosureIn,
    Issue,
    closure_frames,
    consistency_issues,
    error_from_issues,
    french_vat_rates,
    parse_closure,
    validate_closure,
)
from resources.tenants import TenantConfig, secret
from resources.warehouse import METADATA, Warehouse, default_url, warehouse_for

__all__ = [
    "BEFORE_ACTIVATION_NOTICE", "ISSUE_CODES", "SCHEMA_VERSION", "Activation", "ClosureIn", "InboxFile",
    "InboxNotice", "Issue", "ToporderSource", "activate", "activation_for", "activations", "call_back",
    "check_file", "closure_frames", "closure_from_sales", "closure_from_simday", "consistency_issues",
    "french_vat_rates", "inbox_root", "new_identifier", "parse_closure", "reject_file",
    "report_source_error", "scan_inbox", "validate_closure", "write_closure_file",
]

log = logging.getLogger(__name__)

REPORT_VERSION = 1
# Generated identifiers: 32 chars of lowercase base32 (160 random bits). Lowercase only, so that
# a case-insensitive file system or bucket can never merge two tenants' inboxes.
IDENTIFIER_RE = re.compile(r"^[a-z0-9][a-z0-9-]{15,63}$")
PROCESSED = "processed"
REJECTED = "rejected"
_IGNORED_SUFFIXES = (".tmp", ".part", ".partial")
# The callback runs inside the sensor tick (60 s budget): a few quick attempts, then log and move on.
CALLBACK_RETRY = RetryPolicy(max_attempts=4, base_delay=0.2, max_delay=5.0)
CALLBACK_TIMEOUT = httpx.Timeout(5.0)

# --------------------------------------------------------------------------- state table

toporder_activations = sa.Table(
    "toporder_activations",
    METADATA,
    sa.Column("tenant", sa.String(64), primary_key=True),
    sa.Column("identifier", sa.String(64), nullable=False, unique=True),
    sa.Column("activated_on", sa.Date, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

_TABLES_READY: set[int] = set()


def _ensure_tables(warehouse: Warehouse) -> None:
    """Create the activation table if this warehouse was set up before this module was imported."""
    key = id(warehouse.engine)
    if key not in _TABLES_READY:
        toporder_activations.create(warehouse.engine, checkfirst=True)
        _TABLES_READY.add(key)


# --------------------------------------------------------------------------- activation


@dataclass(frozen=True)
class Activation:
    identifier: str
    activated_on: date
    inbox_path: Path
    tenant: str = ""


def inbox_root() -> Path:
    """``$TOPORDER_INBOX_DIR``, else ``$DAGSTER_HOME/toporder-inbox`` (read at call time)."""
    configured = os.environ.get("TOPORDER_INBOX_DIR")
    if configured:
        return Path(configured)
    home = Path(os.environ.get("DAGSTER_HOME") or Path.cwd() / ".dagster_home")
    return home / "toporder-inbox"


def new_identifier() -> str:
    """A random, unguessable, slug-safe identifier (160 bits, lowercase base32)."""
    return base64.b32encode(_secrets.token_bytes(20)).decode("ascii").lower()


def _activation_from_row(row: Any) -> Activation:
    activated_on = row["activated_on"]
    if isinstance(activated_on, str):  # some drivers hand dates back as text
        activated_on = date.fromisoformat(activated_on)
    return Activation(
        identifier=row["identifier"], activated_on=activated_on,
        inbox_path=inbox_root() / row["identifier"], tenant=row["tenant"],
    )


def activation_for(warehouse: Warehouse, tenant_slug: str) -> Activation | None:
    _ensure_tables(warehouse)
    with warehouse.engine.connect() as conn:
        row = conn.execute(sa.select(toporder_activations).where(
            toporder_activations.c.tenant == tenant_slug)).mappings().first()
    return _activation_from_row(row) if row else None


def activations(warehouse: Warehouse) -> dict[str, Activation]:
    """Every activation, by identifier."""
    _ensure_tables(warehouse)
    with warehouse.engine.connect() as conn:
        rows = conn.execute(sa.select(toporder_activations)).mappings().all()
    return {r["identifier"]: _activation_from_row(r) for r in rows}


def activate(warehouse: Warehouse, tenant: TenantConfig, activated_on: date | None = None) -> Activation:
    """Activate the Toporder integration for ``tenant``; idempotent (returns the existing one).

    The identifier is ``source.settings.identifier`` when the tenant config pins one (moving a
    tenant between deployments), else a new random token. The activation date defaults to
    ``source.settings.activated_on``, else today in the tenant's time zone.
    """
    if tenant.source.type != "toporder":
        raise MappingError(f"source type is {tenant.source.type!r}, not 'toporder'", tenant=tenant.slug)
    existing = activation_for(warehouse, tenant.slug)
    if existing is not None:
        _make_inbox_dirs(existing.inbox_path)
        return existing
    identifier = str(tenant.source.settings.get("identifier") or new_identifier())
    if not IDENTIFIER_RE.match(identifier):
        raise MappingError(
            f"source.settings.identifier {identifier!r} must be 16 to 64 lowercase letters, digits "
            "and dashes", tenant=tenant.slug, field_name="source.settings.identifier",
        )
    if activated_on is None:
        configured = tenant.source.settings.get("activated_on")
        activated_on = (
            date.fromisoformat(str(configured)) if configured
            else datetime.now(ZoneInfo(tenant.timezone)).date()
        )
    try:
        with warehouse.begin() as conn:
            conn.execute(toporder_activations.insert().values(
                tenant=tenant.slug, identifier=identifier, activated_on=activated_on,
                created_at=datetime.now(UTC),
            ))
    except sa.exc.IntegrityError as exc:
        existing = activation_for(warehouse, tenant.slug)
        if existing is not None:  # activated concurrently: same answer
            return existing
        raise MappingError(f"identifier {identifier!r} is already used by another tenant",
                           tenant=tenant.slug) from exc
    act = Activation(identifier, activated_on, inbox_root() / identifier, tenant.slug)
    _make_inbox_dirs(act.inbox_path)
    log.info("Toporder activated for %s on %s (inbox %s)", tenant.slug, activated_on, act.inbox_path)
    return act


def _make_inbox_dirs(path: Path) -> None:
    (path / PROCESSED).mkdir(parents=True, exist_ok=True)
    (path / REJECTED).mkdir(parents=True, exist_ok=True)


# --------------------------------------------------------------------------- inbox files


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


def _pending_files(directory: Path) -> list[Path]:
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


def _move(src: Path, dest_dir: Path) -> Path:
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


def _accept(path: Path, activation: Activation, day: date) -> Path | None:
    """Move into ``processed/<day>/``; ``None`` when an identical file is already there."""
    dest_dir = activation.inbox_path / PROCESSED / day.isoformat()
    same = dest_dir / path.name
    if same.exists() and same.read_bytes() == path.read_bytes():
        path.unlink(missing_ok=True)
        return None
    return _move(path, dest_dir)


def scan_inbox(
    warehouse: Warehouse,
    tenants: dict[str, TenantConfig],
    *,
    notices: list[InboxNotice] | None = None,
) -> list[InboxFile]:
    """New files of every active Toporder tenant: check, accept or reject; return the accepted.

    - a directory whose name is no activation of an active tenant in ``tenants``: its files are
      left where they are and reported (a notice, and a warning in the log);
    - a file dated before the activation, malformed, or inconsistent: moved to ``rejected/`` with
      its report (and a callback);
    - a valid file: moved to ``processed/<business date>/`` and returned; its payment-method
      names are recorded so that the accountant can map them before the first run.

    Accepting at scan time makes "new" simply "still in the inbox". If the sensor tick dies after
    this returns, the file is not lost: a scheduled or manual run of that day reads ``processed/``.
    """
    root = inbox_root()
    notes = notices if notices is not None else []
    if not root.is_dir():
        return []
    by_identifier = activations(warehouse)
    accepted: list[InboxFile] = []
    for directory in sorted(p for p in root.iterdir() if p.is_dir()):
        pending = _pending_files(directory)
        if not pending:
            continue
        act = by_identifier.get(directory.name)
        tenant = tenants.get(act.tenant) if act else None
        if act is None or tenant is None or not tenant.active or tenant.source.type != "toporder":
            why = ("no activation has this identifier" if act is None
                   else f"tenant {act.tenant} is not an active Toporder tenant")
            msg = f"{len(pending)} file(s) left in {directory}: {why}"
            log.warning("Toporder inbox: %s", msg)
            notes.append(InboxNotice("unknown_identifier", directory.name, directory, msg,
                                     act.tenant if act else None))
            continue
        for path in pending:
            result = _take_pending(warehouse, tenant, act, path, notes)
            if result is not None:
                accepted.append(result)
    return accepted


def _take_pending(
    warehouse: Warehouse, tenant: TenantConfig, act: Activation, path: Path, notes: list[InboxNotice]
) -> InboxFile | None:
    try:
        closure, parsed = check_file(path, tenant, act)
    except FileNotFoundError:  # taken by a concurrent run
        return None
    except SourceDataError as err:
        candidate = InboxFile(tenant.slug, _raw_day_of(path) or date.min, path, act.identifier,
                              config=tenant)
        report = reject_file(candidate, err)
        notes.append(InboxNotice("rejected", act.identifier, report, str(err), tenant.slug))
        return None
    day = closure.business_date
    try:
        dest = _accept(path, act, day)
    except FileNotFoundError:
        return None
    if dest is None:
        notes.append(InboxNotice("duplicate", act.identifier, path,
                                 f"{path.name}: identical to a file already received", tenant.slug))
        return None
    warehouse.record_payment_methods(tenant.slug, day.isoformat(), parsed.payment_methods_seen)
    log.info("Toporder inbox: accepted %s for %s %s", dest.name, tenant.slug, day)
    return InboxFile(tenant.slug, day, dest, act.identifier, closure.closure_id, tenant)


def _raw_day_of(path: Path) -> date | None:
    try:
        doc = json.loads(path.read_bytes().decode("utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    return _raw_day(doc) if isinstance(doc, dict) else None


# --------------------------------------------------------------------------- reports and callbacks


def build_report(inbox_file: InboxFile, error: SyncError, *, file_name: str) -> dict[str, Any]:
    """The machine-readable rejection report (written beside the file and POSTed back)."""
    details = error.details or {}
    issues = details.get("issues") or [
        Issue(details.get("code", error.error_class), error.message, error.record,
              error.field_name).as_dict()
    ]
    day = error.day or (inbox_file.day.isoformat() if inbox_file.day != date.min else None)
    return {
        "report_version": REPORT_VERSION,
        "kind": "notice" if details.get("notice") else "error",
        "status": "rejected",
        "identifier": inbox_file.identifier,
        "tenant": error.tenant or inbox_file.tenant,
        "day": day,
        "file": file_name,
        "error_class": error.error_class,
        "error_type": type(error).__name__,
        "code": details.get("code", error.error_class),
        "message": str(error),
        "record": error.record,
        "fields": sorted({i["field"] for i in issues if i.get("field")}),
        "issues": issues,
        "action": ("Nothing to fix: " + BEFORE_ACTIVATION_NOTICE + "." if details.get("notice")
                   else "The till must correct this closure and send the file again."),
        "rejected_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def reject_file(inbox_file: InboxFile, error: SyncError) -> Path:
    """Move the file to ``rejected/`` with ``<name>.report.json`` beside it; call back if configured.

    Returns the report's path. The report is written before the callback, so a callback failure
    (logged) never loses it.
    """
    inbox = inbox_root() / inbox_file.identifier
    src = inbox_file.path
    dest = _move(src, inbox / REJECTED) if src.exists() else inbox / REJECTED / src.name
    report = build_report(inbox_file, error, file_name=dest.name)
    report_path = dest.with_name(dest.name + ".report.json")
    _write_json_atomic(report_path, report)
    log.warning("Toporder: rejected %s for %s: %s", dest.name, inbox_file.tenant, error)
    # So that report_source_error, called by the pipeline on the same error, does not report twice.
    error.details["reported_to_source"] = str(report_path)
    if inbox_file.config is not None:
        outcome = call_back(inbox_file.config, report)
        if outcome is not None:
            _write_json_atomic(report_path, {**report, "callback": outcome})
    return report_path


def report_source_error(
    warehouse: Warehouse, tenant: TenantConfig, day: date | str, error: SyncError
) -> list[Path]:
    """The pipeline found a source error in a Toporder tenant-day (e.g. the mapping's balance step).

    Moves that day's accepted files to ``rejected/`` with their report and calls Toporder back.
    Returns the report paths (none if the day has no file, e.g. already rejected).
    """
    if error.error_class != ErrorClass.SOURCE:  # mapping errors are the accountant's, not the till's
        log.info("Toporder: %s is not a source error; nothing is reported to the till", error)
        return []
    if error.details.get("reported_to_source"):  # fetch already rejected the file it came from
        return [Path(error.details["reported_to_source"])]
    act = activation_for(warehouse, tenant.slug)
    if act is None:
        log.warning("Toporder: cannot report %s for %s: tenant not activated", error, tenant.slug)
        return []
    day = date.fromisoformat(day) if isinstance(day, str) else day
    error.with_context(tenant=tenant.slug, day=day.isoformat())
    reports = []
    for path in sorted((act.inbox_path / PROCESSED / day.isoformat()).glob("*.json")):
        reports.append(reject_file(InboxFile(tenant.slug, day, path, act.identifier, config=tenant), error))
    if not reports:
        log.warning("Toporder: no accepted file for %s %s to reject (%s)", tenant.slug, day, error)
    return reports


def call_back(tenant: TenantConfig, report: dict[str, Any]) -> dict[str, Any] | None:
    """POST ``report`` to ``source.settings.callback_url`` (retrying 429/5xx); never raises.

    Returns the outcome recorded in the report file, or ``None`` without a callback URL. An
    optional bearer token comes from the env var named by ``source.credentials.callback_token``.
    """
    url = tenant.source.settings.get("callback_url")
    if not url:
        return None
    headers = {"content-type": "application/json", "user-agent": "pennylane-sync/toporder"}
    try:
        token_env = tenant.source.credentials.get("callback_token")
        if token_env:
            headers["authorization"] = f"Bearer {secret(token_env, tenant=tenant.slug, what='callback token')}"
        body = json.dumps(report, ensure_ascii=False).encode("utf-8")
        with httpx.Client(timeout=CALLBACK_TIMEOUT) as client:
            request = client.build_request("POST", url, content=body, headers=headers)
            response = send_with_retries(client, request, policy=CALLBACK_RETRY,
                                         what=f"Toporder callback for {tenant.slug}")
        if response.is_success:
            return {"url": url, "delivered": True, "status_code": response.status_code}
        log.error("Toporder callback for %s to %s failed: HTTP %s", tenant.slug, url, response.status_code)
        return {"url": url, "delivered": False, "status_code": response.status_code}
    except (TransientError, MappingError, httpx.HTTPError) as exc:
        log.error("Toporder callback for %s to %s failed: %s", tenant.slug, url, exc)
        return {"url": url, "delivered": False, "error": str(exc)}




# --------------------------------------------------------------------------- the source


class ToporderSource:
    """Sales of one Toporder tenant, read from its inbox (implements ``SalesSource``)."""

    def __init__(self, tenant: TenantConfig, warehouse: Warehouse | None = None):
        self.tenant = tenant
        # The activation lives in the warehouse; without one given, the process-wide default.
        self.warehouse = warehouse or warehouse_for(default_url())

    def close(self) -> None:
        pass

    def _activation(self) -> Activation:
        act = activation_for(self.warehouse, self.tenant.slug)
        if act is None:
            raise MappingError("Toporder is not activated for this tenant: activate it and send the "
                               "identifier to Toporder", tenant=self.tenant.slug)
        return act

    def fetch(self, period: SalesPeriod) -> SourceDay:
        act = self._activation()
        parts: list[SourceDay] = []
        missing: list[date] = []
        for day in period.days():
            if day < act.activated_on:
                raise MappingError(
                    f"the tenant's dates start before the Toporder activation on {act.activated_on}: "
                    f"{BEFORE_ACTIVATION_NOTICE}; set start_date to the activation date",
                    tenant=self.tenant.slug, day=day.isoformat(), field_name="start_date")
            self._accept_pending(act, day)
            day_parts = self._read_day(act, day)
            if day_parts:
                parts.extend(day_parts)
            else:
                missing.append(day)
        if missing:
            days = "" if len(period.days()) == 1 else " for " + ", ".join(d.isoformat() for d in missing)
            return SourceDay(complete=False, waiting_reason=f"no closure file received yet{days}",
                             origin=str(act.inbox_path))
        result = SourceDay(
            sales_lines=_concat([p.sales_lines for p in parts], SALES_LINE_COLUMNS),
            payments=_concat([p.payments for p in parts], PAYMENT_COLUMNS),
            closure_totals=_concat([p.closure_totals for p in parts], CLOSURE_COLUMNS),
            notes=[n for p in parts for n in p.notes],
            origin=", ".join(p.origin for p in parts),
        )
        methods = result.payment_methods_seen
        if methods:
            self.warehouse.record_payment_methods(self.tenant.slug, period.key, methods)
        return result

    def _accept_pending(self, act: Activation, day: date) -> None:
        """A file still in the inbox (the sensor has not seen it yet) counts for its day."""
        for path in _pending_files(act.inbox_path):
            if _raw_day_of(path) != day:
                continue
            try:
                check_file(path, self.tenant, act)
            except FileNotFoundError:
                continue
            except SourceDataError as err:
                reject_file(InboxFile(self.tenant.slug, day, path, act.identifier, config=self.tenant), err)
                raise
            try:
                _accept(path, act, day)
            except FileNotFoundError:
                continue

    def _read_day(self, act: Activation, day: date) -> list[SourceDay]:
        """Parse the day's accepted files; a re-sent closure (same ``closure_id``) replaces the
        earlier one (latest ``generated_at`` wins), distinct closures (registers, locations) add up."""
        latest: dict[str, tuple[datetime, str, SourceDay]] = {}
        for path in sorted((act.inbox_path / PROCESSED / day.isoformat()).glob("*.json")):
            try:
                closure, parsed = check_file(path, self.tenant, act)
            except FileNotFoundError:
                continue
            except SourceDataError as err:
                reject_file(InboxFile(self.tenant.slug, day, path, act.identifier, config=self.tenant), err)
                raise
            key, stamp = closure.closure_id, closure.generated_at
            if key not in latest or (stamp, path.name) >= latest[key][:2]:
                latest[key] = (stamp, path.name, parsed)
        return [latest[k][2] for k in sorted(latest)]


def _concat(frames: list[pd.DataFrame], columns: dict[str, str]) -> pd.DataFrame:
    frames = [f for f in frames if len(f)]
    if not frames:
        return make_frame([], columns)
    return pd.concat(frames, ignore_index=True)


