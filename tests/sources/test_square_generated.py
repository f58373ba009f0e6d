"""Square emulator seeded from the vendor-neutral generator: a generated restaurant day read back
through the Square source gives the generator's ground truth per VAT rate and in total takings.

Refunds are off here: Square spreads a refund over the refunded order's VAT rates (it does not
say which line went back), while the generator refunds given lines; the hand-computed tests
cover refunds. Method names differ by design (Square names tender types: CARD, CASH, OTHER).
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from core.periods import SalesPeriod
from emulators.generator import expected_frames, generate_day
from emulators.server import serve
from emulators.square import SquareState, create_app, seed_from_simday
from resources.http import RetryPolicy
from resources.sources.square.source import SquareSource
from resources.tenants import TenantConfig


def test_generated_restaurant_day_round_trips(monkeypatch):
    sim = generate_day("restaurant", date(2026, 3, 10), seed=7, refunds=False, unknown_methods=False, locations=2)
    st = SquareState(page_size_cap=25)
    seed_from_simday(st, sim)
    monkeypatch.setenv("SQUARE_TEST_TOKEN", st.token)
    tenant = TenantConfig.model_validate({
        "slug": "bistrot", "name": "Bistrot", "siret": "73282932000074", "start_date": "2026-01-01",
        "source": {"type": "square", "base_url": "http://unused", "credentials": {"access_token": "SQUARE_TEST_TOKEN"}},
        "pennylane": {"token_env": "PENNYLANE_TEST_TOKEN"},
    })
    with serve(create_app(st)) as srv:
        tenant = tenant.model_copy(update={"source": tenant.source.model_copy(update={"base_url": srv.url})})
        source = SquareSource(tenant, policy=RetryPolicy(base_delay=0.01, max_delay=0.05),
                              clock=lambda: datetime(2026, 6, 1, tzinfo=UTC))
        day = source.fetch(SalesPeriod(tenant, date(2026, 3, 10), date(2026, 3, 11)))
        source.close()
    expected = expected_frames(sim)
    by_rate = ["gross_cents", "net_cents", "vat_cents"]
    assert (day.sales_lines.groupby("vat_rate")[by_rate].sum().to_dict()
            == expected.sales_lines.groupby("vat_rate")[by_rate].sum().to_dict())
    assert sorted(day.sales_lines["line_id"]) == sorted(expected.sales_lines["line_id"])
    assert day.payments["amount_cents"].sum() == expected.payments["amount_cents"].sum()
    assert day.payments["tip_cents"].sum() == expected.payments["tip_cents"].sum() > 0
    assert set(day.payments["method"]) <= {"CARD", "CASH", "OTHER"}
