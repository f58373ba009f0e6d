"""The error taxonomy: four classes, who fixes each, and how any exception is classified."""

from __future__ import annotations

import pytest

from core.errors import ErrorClass, MappingError, SourceDataError, TransientError, error_class_of


def test_an_error_names_its_class_tenant_day_record_and_field():
    err = SourceDataError("VAT rate 7 % unknown", tenant="acme", day="2026-11-20", record="order 12 line 3",
                          field_name="vat_rate")
    assert str(err) == "[source] tenant acme, day 2026-11-20, record order 12 line 3, field vat_rate: " \
                       "VAT rate 7 % unknown"


@pytest.mark.parametrize(("exc", "expected"), [
    (SourceDataError("x"), ErrorClass.SOURCE),
    (MappingError("x"), ErrorClass.MAPPING),
    (TransientError("x"), ErrorClass.TRANSIENT),
    (TimeoutError("read timed out"), ErrorClass.TRANSIENT),
    (ConnectionResetError("reset by peer"), ErrorClass.TRANSIENT),
    (KeyError("oops"), ErrorClass.BUG),
])
def test_any_exception_has_one_of_the_four_classes(exc, expected):
    assert error_class_of(exc) is expected


def test_an_unknown_class_read_back_from_metadata_is_a_bug_for_the_data_team():
    assert ErrorClass.of("mapping") is ErrorClass.MAPPING
    assert ErrorClass.of("mixed") is ErrorClass.BUG
    assert ErrorClass.of(None) is ErrorClass.BUG
    assert ErrorClass.BUG.owner == "the data team (unexpected error)"
    assert ErrorClass.SOURCE.owner.startswith("the source system (till / shop) must fix its data")
