"""The sensor's scan of every Toporder inbox: check each new file, accept or reject it."""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path

from core.errors import SourceDataError
from core.tenants import TenantConfig
from resources.sources.toporder.activation import Activation, activations, inbox_root
from resources.sources.toporder.inbox import (
    InboxFile,
    InboxNotice,
    accept_file,
    check_file,
    pending_files,
    raw_day_of,
)
from resources.sources.toporder.reports import reject_file
from resources.warehouse import Warehouse

log = logging.getLogger(__name__)


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
        pending = pending_files(directory)
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
        candidate = InboxFile(tenant.slug, raw_day_of(path) or date.min, path, act.identifier,
                              config=tenant)
        report = reject_file(candidate, err)
        notes.append(InboxNotice("rejected", act.identifier, report, str(err), tenant.slug))
        return None
    day = closure.business_date
    try:
        dest = accept_file(path, act, day)
    except FileNotFoundError:
        return None
    if dest is None:
        notes.append(InboxNotice("duplicate", act.identifier, path,
                                 f"{path.name}: identical to a file already received", tenant.slug))
        return None
    warehouse.record_payment_methods(tenant.slug, day.isoformat(), parsed.payment_methods_seen)
    log.info("Toporder inbox: accepted %s for %s %s", dest.name, tenant.slug, day)
    return InboxFile(tenant.slug, day, dest, act.identifier, closure.closure_id, tenant)
