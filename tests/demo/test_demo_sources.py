"""The demo's Shopify shop and Square café, read back through the production sources: what the
demo seeds must post (shipping in Shopify's ``shipping_lines``, OSS countries kept; a Square sale's
weighed item charged the generator's cents, so its payment matches)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from core.periods import SalesPeriod
from demo.environment import DEMO_ENV, SHOPIFY_SHOPS, seed_for
from demo.seeding import shopify_app, square_app
from emulators.generator import expected_frames, generate_day
from emulators.server import serve
from resources.sources.shopify.source import ShopifySource
from resources.sources.square.source import SquareSource
from resources.tenants import load_registry

DAY = date(2026, 11, 8)  # 14 past days, two with weighed bread on half a cent


@pytest.fixture
def registry(monkeypatch):
    for name, value in DEMO_ENV.items():
        monkeypatch.setenv(name, value)
    return load_registry()


def _fetch(source_cls, tenant, url, day):
    tenant = tenant.model_copy(update={"source": tenant.source.model_copy(update={"base_url": url})})
    source = source_cls(tenant)
    try:
        return source.fetch(SalesPeriod(tenant, day, day + timedelta(days=1)))
    finally:
        source.close()


def test_shopify_shop_day_reads_back_with_shipping_lines_and_oss_countries(registry):
    tenant = registry["atelier-lin-et-coton"]
    sim = generate_day("ecommerce", DAY, seed=seed_for(tenant.slug), countries=SHOPIFY_SHOPS[tenant.slug]["countries"])
    expected = expected_frames(sim).sales_lines
    with serve(shopify_app(tenant, DAY, DAY)) as srv:
        day = _fetch(ShopifySource, tenant, srv.url, DAY)
    lines = day.sales_lines
    assert day.complete
    # Shipping is booked as shipping (Shopify's shipping_lines), per destination country.
    got_shipping = lines[lines["kind"] == "shipping"].groupby("country")["gross_cents"].sum().to_dict()
    want_shipping = expected[expected["kind"] == "shipping"].groupby("country")["gross_cents"].sum().to_dict()
    assert got_shipping == want_shipping
    assert set(want_shipping) == {"FR", "DE", "IT"}
    # Goods (item lines net of their discount lines) per country, to the cent.
    goods = lines[lines["kind"].isin(["item", "discount"])].groupby("country")["gross_cents"].sum().to_dict()
    assert goods == expected[expected["kind"] == "item"].groupby("country")["gross_cents"].sum().to_dict()
    assert int(lines["gross_cents"].sum()) == int(day.payments["amount_cents"].sum())
    assert not (lines["category"] == "Frais de port").any()


def test_square_cafe_weighed_items_on_half_a_cent_read_back_at_the_generators_cents(registry):
    tenant = registry["cafe-des-arts"]
    days = [DAY + timedelta(days=i) for i in range(14)]
    expected = {d: expected_frames(generate_day("bakery", d, seed=seed_for(tenant.slug), unknown_methods=False))
                for d in days}
    # Weighed bread on half a cent (5.5 % VAT): the generator rounds half up (Square alone would
    # round 310.5 to even, 310).
    halves = {"loc-1-20261109-0188-L2": (date(2026, 11, 9), 311, 16),  # 0.450 kg × 6.90 = 310.5
              "loc-1-20261120-0045-L2": (date(2026, 11, 20), 587, 31)}  # 0.850 kg × 6.90 = 586.5
    for line_id, (d, gross, vat) in halves.items():
        row = expected[d].sales_lines.set_index("line_id").loc[line_id]
        assert (int(row["gross_cents"]), int(row["vat_cents"])) == (gross, vat)
    with serve(square_app(tenant, days[0], days[-1])) as srv:
        for d in days:
            day = _fetch(SquareSource, tenant, srv.url, d)
            assert day.complete, d
            got = day.sales_lines.set_index("line_id")
            for line_id, (when, gross, vat) in halves.items():
                if when == d:
                    assert (int(got.loc[line_id, "gross_cents"]), int(got.loc[line_id, "vat_cents"])) == (gross, vat)
            assert int(day.sales_lines["gross_cents"].sum()) == int(day.payments["amount_cents"].sum()), d
            assert (int(day.payments["amount_cents"].sum())
                    == int(expected[d].payments["amount_cents"].sum())), d
            assert set(day.payments["method"]) <= {"CARD", "CASH", "OTHER"}
