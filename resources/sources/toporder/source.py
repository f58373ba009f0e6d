"""``ToporderSource``: a tenant-day's sales, read from the accepted files of its inbox."""

from __future__ import annotations

from datetime import date, datetime

from core.errors import MappingError, SourceDataError
from core.frames import SourceDay
from core.periods import SalesPeriod
from core.tenants import TenantConfig
from resources.sources.common import merge_days
from resources.sources.toporder.activation import PROCESSED, Activation, activation_for
from resources.sources.toporder.format import BEFORE_ACTIVATION_NOTICE
from resources.sources.toporder.inbox import InboxFile, accept_file, check_file, pending_files, raw_day_of
from resources.sources.toporder.reports import reject_file
from resources.warehouse import Warehouse, default_url, warehouse_for


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
        result = merge_days(parts)
        methods = result.payment_methods_seen
        if methods:
            self.warehouse.record_payment_methods(self.tenant.slug, period.key, methods)
        return result

    def _accept_pending(self, act: Activation, day: date) -> None:
        """A file still in the inbox (the sensor has not seen it yet) counts for its day."""
        for path in pending_files(act.inbox_path):
            if raw_day_of(path) != day:
                continue
            try:
                check_file(path, self.tenant, act)
            except FileNotFoundError:
                continue
            except SourceDataError as err:
                reject_file(InboxFile(self.tenant.slug, day, path, act.identifier, config=self.tenant), err)
                raise
            try:
                accept_file(path, act, day)
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
