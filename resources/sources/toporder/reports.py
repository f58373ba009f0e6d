"""Telling the till what is wrong: the rejection report beside the file, and the callback."""

from __future__ import annotations

import json
import logging
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx

from core.errors import ErrorClass, MappingError, SyncError, TransientError
from core.tenants import TenantConfig
from resources.http import HeaderToken, RetryPolicy, VendorClient
from resources.settings import secret
from resources.sources.common import source_config
from resources.sources.toporder.activation import PROCESSED, REJECTED, activation_for, inbox_root
from resources.sources.toporder.format import BEFORE_ACTIVATION_NOTICE, Issue
from resources.sources.toporder.inbox import InboxFile, move_file, write_json_atomic
from resources.sources.toporder.settings import ToporderConfig
from resources.warehouse import Warehouse

log = logging.getLogger(__name__)

REPORT_VERSION = 1
# The callback runs inside the sensor tick (60 s budget): a few quick attempts, then log and move on.
CALLBACK_RETRY = RetryPolicy(max_attempts=4, base_delay=0.2, max_delay=5.0)
CALLBACK_TIMEOUT = httpx.Timeout(5.0)


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
    dest = move_file(src, inbox / REJECTED) if src.exists() else inbox / REJECTED / src.name
    report = build_report(inbox_file, error, file_name=dest.name)
    report_path = dest.with_name(dest.name + ".report.json")
    write_json_atomic(report_path, report)
    log.warning("Toporder: rejected %s for %s: %s", dest.name, inbox_file.tenant, error)
    # So that report_source_error, called by the pipeline on the same error, does not report twice.
    error.details["reported_to_source"] = str(report_path)
    if inbox_file.config is not None:
        outcome = call_back(inbox_file.config, report)
        if outcome is not None:
            write_json_atomic(report_path, {**report, "callback": outcome})
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
    config = source_config(tenant, ToporderConfig)
    url = config.settings.callback_url
    if not url:
        return None
    headers = {"content-type": "application/json", "user-agent": "pennylane-sync/toporder"}
    try:
        token_env = config.credentials.callback_token
        auth = HeaderToken(secret(token_env, tenant=tenant.slug, what="callback token")) if token_env else None
        body = json.dumps(report, ensure_ascii=False).encode("utf-8")
        # Sending the same report twice is harmless: the callback is retried like a read.
        with VendorClient("Toporder callback", "", tenant=tenant.slug, auth=auth, policy=CALLBACK_RETRY,
                          timeout=CALLBACK_TIMEOUT) as client:
            request = client.http.build_request("POST", url, content=body, headers=headers)
            response = client.send(request, what=f"Toporder callback for {tenant.slug}", idempotent=True)
        if response.is_success:
            return {"url": url, "delivered": True, "status_code": response.status_code}
        log.error("Toporder callback for %s to %s failed: HTTP %s", tenant.slug, url, response.status_code)
        return {"url": url, "delivered": False, "status_code": response.status_code}
    except (TransientError, MappingError, httpx.HTTPError) as exc:
        log.error("Toporder callback for %s to %s failed: %s", tenant.slug, url, exc)
        return {"url": url, "delivered": False, "error": str(exc)}
