"""VAT rates as dated data (DESIGN.md §5): France and the EU-27 for OSS distance sales.

Why data with dates and not literals: rates change (EE 22 → 24 on 2025-07-01, RO 19 → 21 on
2025-08-01, SK 20 → 23 on 2025-01-01, FI 24 → 25.5 on 2024-09-01, LT 9 → 12 on 2026-01-01…), and
a re-run of an old day must be judged with the rates of *that* day. A source sending a rate that
is not in force for the taxation country on the business day is a **source error** (the till
must fix it), so the table decides what "known" means.

Sources (see ``reference/accounting-fr.md`` §3): CGI articles 278 to 281 for France; the EU rates
are the European Commission TEDB as published by vatnode (version 2026-03-27), cross-checked with
ibericode/vat-rates. Dates of past changes are the official ones where known (DE's 2020 cut, IE's
2020-21 cut, LU's 2023 cut, CZ's 2024 merge, the 2024-26 changes above). Rows whose start date
is unknown are open-ended backwards (``valid_from=None``): "in force as far back as this table
goes". Only CY's 3 % has an uncertain start; it is accepted for any date.

Scope choices:

- ``0`` is known for every country: zero-rated and exempt supplies (exports, intra-EU B2B, books
  in IE, …) exist everywhere, and Pennylane books them as ``exempt``.
- Regional rates (Corsica, DOM, Greek islands, Azores/Madeira, Jungholz) are listed with
  ``kind="regional"`` but are NOT accepted unless asked (``include_regional=True``): a mainland
  business charging 8.5 % is a till misconfiguration, not a DOM sale.
- A country's rate list never says which rate an item takes (the product decides); we only
  check that the rate exists.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from core.frames import normalize_rate


def canonical_rate(rate: object) -> str:
    """A rate already in percent → its shortest exact text (``"5.50"`` → ``"5.5"``): this is
    :func:`core.frames.normalize_rate`, which never reads 0.9 % as a fraction."""
    if type(rate) is str:  # the canonical frames' case: a few distinct texts, parsed once each
        return _canonical_text(rate)
    return normalize_rate(rate)


@functools.lru_cache(maxsize=4096)
def _canonical_text(rate: str) -> str:
    return normalize_rate(rate)


@dataclass(frozen=True)
class RatePeriod:
    """One VAT rate of one country, in force from ``valid_from`` to ``valid_to`` (inclusive)."""

    country: str
    rate: str  # normalised percent, e.g. "5.5"
    kind: str  # standard | reduced | super_reduced | parking | zero | regional
    valid_from: date | None = None  # None: since before this table's horizon
    valid_to: date | None = None  # None: still in force

    def in_force(self, start: date, end: date | None = None) -> bool:
        """Is the rate in force on ``start`` (or on any day of ``[start, end]``)?"""
        end = end or start
        if self.valid_from is not None and end < self.valid_from:
            return False
        return not (self.valid_to is not None and start > self.valid_to)


def _d(text: str) -> date:
    return date.fromisoformat(text)


def _rows(country: str, kind: str, *rates: str, frm: str | None = None, to: str | None = None):
    return [
        RatePeriod(country, canonical_rate(r), kind, _d(frm) if frm else None, _d(to) if to else None)
        for r in rates
    ]


EU_COUNTRIES = frozenset(
    ["AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE", "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK"]
)

_TABLE: list[RatePeriod] = [
    # --- France (CGI 278, 279, 278-0 bis, 281 quater) ---------------------------------------
    *_rows("FR", "standard", "19.6", frm="2000-04-01", to="2013-12-31"),
    *_rows("FR", "standard", "20", frm="2014-01-01"),
    *_rows("FR", "reduced", "7", frm="2012-01-01", to="2013-12-31"),
    *_rows("FR", "reduced", "10", frm="2014-01-01"),
    *_rows("FR", "reduced", "5.5"),
    *_rows("FR", "super_reduced", "2.1"),
    *_rows("FR", "regional", "0.9", "1.05", "8.5", "13"),  # Corsica, DOM
    # --- EU-27 (TEDB via vatnode 2026-03-27) -------------------------------------------------
    *_rows("AT", "standard", "20"),
    *_rows("AT", "reduced", "10", "13"),
    *_rows("AT", "reduced", "5", frm="2020-07-01", to="2021-12-31"),  # COVID hospitality rate
    *_rows("AT", "regional", "19"),
    *_rows("BE", "standard", "21"),
    *_rows("BE", "reduced", "6", "12"),
    *_rows("BG", "standard", "20"),
    *_rows("BG", "reduced", "9"),
    *_rows("CY", "standard", "19"),
    *_rows("CY", "reduced", "5", "9"),
    *_rows("CY", "super_reduced", "3"),  # new in TEDB; start date not established
    *_rows("CZ", "standard", "21"),
    *_rows("CZ", "reduced", "10", "15", to="2023-12-31"),
    *_rows("CZ", "reduced", "12", frm="2024-01-01"),
    *_rows("DE", "standard", "19", to="2020-06-30"),
    *_rows("DE", "standard", "16", frm="2020-07-01", to="2020-12-31"),
    *_rows("DE", "standard", "19", frm="2021-01-01"),
    *_rows("DE", "reduced", "7", to="2020-06-30"),
    *_rows("DE", "reduced", "5", frm="2020-07-01", to="2020-12-31"),
    *_rows("DE", "reduced", "7", frm="2021-01-01"),
    *_rows("DK", "standard", "25"),
    *_rows("EE", "standard", "20", to="2023-12-31"),
    *_rows("EE", "standard", "22", frm="2024-01-01", to="2025-06-30"),
    *_rows("EE", "standard", "24", frm="2025-07-01"),
    *_rows("EE", "reduced", "9"),
    *_rows("EE", "reduced", "13", frm="2025-01-01"),
    *_rows("ES", "standard", "21"),
    *_rows("ES", "reduced", "10"),
    *_rows("ES", "super_reduced", "4"),
    *_rows("FI", "standard", "24", to="2024-08-31"),
    *_rows("FI", "standard", "25.5", frm="2024-09-01"),
    *_rows("FI", "reduced", "10"),
    *_rows("FI", "reduced", "14", to="2024-12-31"),
    *_rows("FI", "reduced", "13.5", frm="2025-01-01"),
    *_rows("GR", "standard", "24"),
    *_rows("GR", "reduced", "6", "13"),
    *_rows("GR", "regional", "17", "4"),  # islands
    *_rows("HR", "standard", "25"),
    *_rows("HR", "reduced", "5", "13"),
    *_rows("HU", "standard", "27"),
    *_rows("HU", "reduced", "5", "18"),
    *_rows("IE", "standard", "23", to="2020-08-31"),
    *_rows("IE", "standard", "21", frm="2020-09-01", to="2021-02-28"),
    *_rows("IE", "standard", "23", frm="2021-03-01"),
    *_rows("IE", "reduced", "9", "13.5"),
    *_rows("IE", "super_reduced", "4.8"),
    *_rows("IT", "standard", "22"),
    *_rows("IT", "reduced", "5", "10"),
    *_rows("IT", "super_reduced", "4"),
    *_rows("LT", "standard", "21"),
    *_rows("LT", "reduced", "5"),
    *_rows("LT", "reduced", "9", to="2025-12-31"),
    *_rows("LT", "reduced", "12", frm="2026-01-01"),
    *_rows("LU", "standard", "17", to="2022-12-31"),
    *_rows("LU", "standard", "16", frm="2023-01-01", to="2023-12-31"),
    *_rows("LU", "standard", "17", frm="2024-01-01"),
    *_rows("LU", "reduced", "8", "14", to="2022-12-31"),
    *_rows("LU", "reduced", "7", "13", frm="2023-01-01", to="2023-12-31"),
    *_rows("LU", "reduced", "8", "14", frm="2024-01-01"),
    *_rows("LU", "super_reduced", "3"),
    *_rows("LV", "standard", "21"),
    *_rows("LV", "reduced", "5", "12"),
    *_rows("MT", "standard", "18"),
    *_rows("MT", "reduced", "5", "7"),
    *_rows("MT", "parking", "12"),
    *_rows("NL", "standard", "21"),
    *_rows("NL", "reduced", "9"),
    *_rows("PL", "standard", "23"),
    *_rows("PL", "reduced", "5", "8"),
    *_rows("PT", "standard", "23"),
    *_rows("PT", "reduced", "6", "13"),
    *_rows("PT", "regional", "16", "22"),  # Azores, Madeira
    *_rows("RO", "standard", "19", to="2025-07-31"),
    *_rows("RO", "standard", "21", frm="2025-08-01"),
    *_rows("RO", "reduced", "5", "9", to="2025-07-31"),
    *_rows("RO", "reduced", "11", frm="2025-08-01"),
    *_rows("SE", "standard", "25"),
    *_rows("SE", "reduced", "6", "12"),
    *_rows("SI", "standard", "22"),
    *_rows("SI", "reduced", "5", "9.5"),
    *_rows("SK", "standard", "20", to="2024-12-31"),
    *_rows("SK", "standard", "23", frm="2025-01-01"),
    *_rows("SK", "reduced", "10", to="2024-12-31"),
    *_rows("SK", "reduced", "5", "19", frm="2025-01-01"),
    # Zero-rated / exempt supplies exist in every member state.
    *[RatePeriod(cc, "0", "zero") for cc in sorted(EU_COUNTRIES)],
]

VAT_RATES: tuple[RatePeriod, ...] = tuple(_TABLE)


def _norm(rate: object) -> str | None:
    try:
        return canonical_rate(rate)
    except ValueError:
        return None


def rates_for(
    country: str, on: date, until: date | None = None, *, include_regional: bool = False
) -> set[str]:
    """Rates (normalised percent strings) in force in ``country`` on ``on`` (or on any day up to
    ``until`` inclusive, for a monthly period). Empty for a country the table does not hold."""
    return set(_rates_in_force(country, on, until, include_regional))


@functools.lru_cache(maxsize=1024)
def _rates_in_force(country: str, on: date, until: date | None, include_regional: bool) -> frozenset[str]:
    """:func:`rates_for`, computed once per (country, period): the table is scanned, not indexed."""
    return frozenset(
        p.rate
        for p in VAT_RATES
        if p.country == country
        and p.in_force(on, until)
        and (include_regional or p.kind != "regional")
    )


def is_known_rate(
    country: str, rate: str, on: date, until: date | None = None, *, include_regional: bool = False
) -> bool:
    """Is ``rate`` (``"20"``, ``"5.50"``, ``"0.055"``…) a rate of ``country`` on that day?"""
    normalised = _norm(rate)
    return normalised is not None and normalised in rates_for(
        country, on, until, include_regional=include_regional
    )


def has_vat_table(country: str) -> bool:
    return any(p.country == country for p in VAT_RATES)


def pennylane_vat_code(country: str, rate: str) -> str:
    """The Pennylane VAT code of a (country, rate) pair: ``<CC>_<rate × 10>``.

    Follows the enum of ``vat_rate`` in the Pennylane Company API v2 spec: ``FR_200`` (20 %),
    ``FR_55`` (5.5 %), ``FR_21`` (2.1 %), ``FR_09`` (0.9 %, two digits at least), ``DE_190``;
    when rate × 10 is not whole the decimal point becomes ``_`` (``FR_1_05``, ``FR_15_385``);
    a 0 % rate is ``exempt``. Not every pair exists in Pennylane (e.g. EE 13 % has no code in
    the spec as of this writing); callers that post the code should expect a rejection then.
    """
    normalised = canonical_rate(rate)
    if Decimal(normalised) == 0:
        return "exempt"
    tenths = Decimal(normalised) * 10
    if tenths == tenths.to_integral_value():
        return f"{country}_{int(tenths):02d}"
    return f"{country}_{normalised.replace('.', '_')}"


@functools.lru_cache(maxsize=1024, typed=True)
def format_rate_fr(rate: str) -> str:
    """``"5.5"`` → ``"5,5 %"``: rates in labels are written the French way."""
    return f"{canonical_rate(rate).replace('.', ',')} %"


@dataclass(frozen=True)
class Taxation:
    """Which country's VAT applies to one sales line, and what is wrong with its rate, if anything.

    ``problem_kind`` is ``None`` when the rate is fine, ``"unknown_rate"`` (a source error: the
    till sent a rate not in force) or ``"no_oss_accounts"`` (a mapping error: a rate of the
    destination country, but the tenant has no OSS accounts for it).
    """

    country: str
    oss: bool
    rate: str
    problem_kind: str | None = None
    problem: str | None = None


def _when(on: date, until: date | None) -> str:
    return f"on {on.isoformat()}" if until is None or until == on else (
        f"between {on.isoformat()} and {until.isoformat()}"
    )


def _known_text(rates: set[str] | frozenset[str]) -> str:
    return ", ".join(sorted(rates, key=Decimal)) or "none: no VAT table for this country"


def taxation_for(
    home: str, destination: str, rate: str, oss_countries: set[str] | frozenset[str],
    on: date, until: date | None = None,
) -> Taxation:
    """Decide the taxation country of a line and check its rate (DESIGN.md §5, OSS).

    - Same country as the tenant, or outside the EU (exports): the tenant's own rates.
    - Another EU country the tenant has OSS accounts for: that country's rates (OSS).
    - Another EU country without OSS accounts: the tenant is taxing at home (below the
      €10,000 OSS threshold), so the home rates apply. If the rate is not a home rate but is
      one of the destination's, the accountant forgot the OSS accounts: a mapping problem.

    The decision is a pure function of its arguments and is cached: callers may ask once per
    sales line without rebuilding the rate sets each time.
    """
    oss = oss_countries if isinstance(oss_countries, frozenset) else frozenset(oss_countries)
    return _taxation(home, destination, canonical_rate(rate), oss, on, until)


@functools.lru_cache(maxsize=4096)
def _taxation(
    home: str, destination: str, rate: str, oss_countries: frozenset[str], on: date, until: date | None
) -> Taxation:
    destination = destination or home
    if destination != home and destination in EU_COUNTRIES and destination in oss_countries:
        known = _rates_in_force(destination, on, until, False)
        if rate in known:
            return Taxation(destination, True, rate)
        return Taxation(
            destination, True, rate, "unknown_rate",
            f"unknown VAT rate {rate} % for {destination} {_when(on, until)} "
            f"(known rates: {_known_text(known)})",
        )
    home_known = _rates_in_force(home, on, until, False)
    if rate in home_known:
        return Taxation(home, False, rate)
    if destination != home and destination in EU_COUNTRIES and rate in _rates_in_force(destination, on, until, False):
        return Taxation(
            destination, True, rate, "no_oss_accounts",
            f"sale delivered to {destination} at its VAT rate {rate} % (OSS) but "
            f"accounting.oss has no accounts for {destination}",
        )
    return Taxation(
        home, False, rate, "unknown_rate",
        f"unknown VAT rate {rate} % for {home} {_when(on, until)} (known rates: {_known_text(home_known)})",
    )
