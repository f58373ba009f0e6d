"""The tenant-period being mapped, and the errors that name it (tenant, day, record, field)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from core.errors import MappingError, SourceDataError
from core.tenants import TenantConfig


@dataclass(frozen=True)
class MappingContext:
    tenant: TenantConfig
    day: str  # the partition key, for errors
    on: date  # first day of the period
    until: date  # inclusive last day

    def source_error(self, message: str, *, record: str | None = None, field_name: str | None = None,
                     **details) -> SourceDataError:
        return SourceDataError(message, tenant=self.tenant.slug, day=self.day, record=record,
                               field_name=field_name, details=details)

    def mapping_error(self, message: str, *, record: str | None = None, field_name: str | None = None,
                      **details) -> MappingError:
        return MappingError(message, tenant=self.tenant.slug, day=self.day, record=record,
                            field_name=field_name, details=details)
