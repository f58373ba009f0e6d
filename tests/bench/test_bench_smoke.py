"""The benchmark scripts still run and print plausible figures (small sizes; no timing asserted).

Figures are read from the ``FIGURE bench | name | value unit | note`` lines the scripts print,
which is also what ``python -m bench`` collects for its table."""

from __future__ import annotations

import re

from bench import large_day, mapping_throughput, pennylane_requests

FIGURE = re.compile(r"^FIGURE (\w+) \| ([^|]+?) \| ([-\d,.]+)(?: ([^|]*?))? \|", re.MULTILINE)


def figures(output: str) -> dict[str, tuple[float, str]]:
    return {name: (float(value.replace(",", "")), (unit or "").strip())
            for _bench, name, value, unit in FIGURE.findall(output)}


def test_mapping_throughput_prints_source_lines_per_second(capsys):
    assert mapping_throughput.main(["--tenants", "4", "--days", "2"]) == 0
    figs = figures(capsys.readouterr().out)

    assert figs["tenant-days mapped"] == (8.0, "tenant-days")
    lines, unit = figs["source lines"]
    assert unit == "lines" and lines > 8 * 30  # every generated day has dozens of orders
    rate, unit = figs["mapping throughput"]
    assert unit == "source lines/s" and rate > 0
    assert figs["map_period per tenant-day (median)"][0] > 0
    assert figs["unbalanced entries"] == (0.0, "entries")


def test_large_day_of_10k_lines_is_built_consistently_mapped_balanced_and_measured(capsys):
    assert large_day.main(["--lines", "10000"]) == 0
    out = capsys.readouterr().out
    figs = figures(out)

    assert figs["sales lines"] == (10_000.0, "lines")
    assert figs["entry balanced"][0] == 1.0
    assert "entry_balanced passed" in out and "vat_rates_known passed" in out
    # restaurant catalogue, one location, by VAT rate: 5 payment methods + tips + 3 sales + 3 VAT
    assert figs["journal lines"] == (12.0, "lines")
    rate, unit = figs["map_period throughput"]
    assert unit == "lines/s" and rate > 0
    assert figs["map_period wall time"][0] > 0
    assert 0 < figs["process peak RSS"][0] < 4096  # MiB
    assert figs["input frames size"][1] == "MiB"


def test_the_vectorised_large_day_keeps_the_frames_invariants():
    day = large_day.build_large_day(5_000, seed=3)
    lines, pays = day.sales_lines, day.payments

    assert len(lines) == 5_000
    assert (lines["gross_cents"] == lines["net_cents"] + lines["vat_cents"]).all()
    assert int(pays["amount_cents"].sum()) == int(lines["gross_cents"].sum()) + int(pays["tip_cents"].sum())
    assert lines["line_id"].is_unique and pays["payment_id"].is_unique
    refunds = lines[lines["is_refund"]]
    assert len(refunds) and (refunds["gross_cents"] < 0).all()
    # VAT extracted from the VAT-included price, half up: 10 % of 14.50 € TTC is 1.32 €
    plat = lines[(lines["sku"] == "PLAT-JOUR") & (lines["quantity"] == 1.0)].iloc[0]
    assert (int(plat["gross_cents"]), int(plat["vat_cents"])) == (1450, 132)
    large_day.check_invariants(day)


def test_daily_runs_post_each_entry_in_one_request_besides_the_two_checks(capsys):
    assert pennylane_requests.main(["--days", "3"]) == 0
    figs = figures(capsys.readouterr().out)

    assert figs["posting requests per entry, 3 daily runs"] == (1.0, "requests")
    assert figs["company check per daily run (GET /me)"] == (1.0, "requests")
    assert figs["other-tool check per daily run (journal read)"] == (1.0, "requests")
    assert figs["unchanged re-run of a posted day"] == (0.0, "requests")
