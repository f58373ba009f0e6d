"""Tenant files: a wrong value is a validation error naming the field, never a crash."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from tests.accounting.strategies import tenant


@pytest.mark.parametrize("zone", ["Mars/Olympus", "Europe/Pari", "../etc/passwd"])
def test_an_unknown_time_zone_is_a_validation_error_on_the_timezone_field(zone):
    with pytest.raises(ValidationError) as info:
        tenant(timezone=zone)
    [error] = info.value.errors()
    assert error["loc"] == ("timezone",)
    assert f"{zone!r} is not an IANA time zone" in error["msg"]


def test_a_known_time_zone_is_kept():
    assert tenant(timezone="America/Cayenne").timezone == "America/Cayenne"
