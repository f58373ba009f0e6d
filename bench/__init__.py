"""Benchmarks that print figures (``make bench`` = ``python -m bench``).

Speed and memory targets are *measured* here, never asserted by timed tests. Each module runs
standalone (``python -m bench.large_day``) and exposes ``run(...) -> Figures`` for
:mod:`bench.__main__`, which prints every figure in one table.

This module holds what the benchmarks share: a peak-RSS sampler, the figure record, and the
tenant configurations the benchmarks map with (one per generator profile).
"""

from __future__ import annotations

import os
import resource
import threading
import time
import uuid
from dataclasses import dataclass, field

# --------------------------------------------------------------------------- figures


@dataclass
class Figure:
    """One measured figure, as printed in the table: ``name  value unit  (note)``."""

    name: str
    value: float
    unit: str
    note: str = ""

    def text(self) -> str:
        return f"{format_number(self.value)} {self.unit}".strip()


@dataclass
class Figures:
    """The figures of one benchmark, in print order."""

    bench: str
    items: list[Figure] = field(default_factory=list)

    def add(self, name: str, value: float, unit: str, note: str = "") -> Figure:
        fig = Figure(name, value, unit, note)
        self.items.append(fig)
        return fig

    def get(self, name: str) -> float:
        for fig in self.items:
            if fig.name == name:
                return fig.value
        raise KeyError(f"{self.bench}: no figure {name!r}")

    def print(self) -> None:
        """``FIGURE <bench> | <name> | <value unit> | <note>``: one greppable line per figure."""
        for fig in self.items:
            print(f"FIGURE {self.bench} | {fig.name} | {fig.text()} | {fig.note}", flush=True)


def format_number(value: float) -> str:
    if isinstance(value, int) or (value == int(value) and abs(value) >= 100):
        return f"{int(value):,}"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.3g}"


# --------------------------------------------------------------------------- memory


_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def current_rss_bytes() -> int:
    """Resident set size now (Linux ``/proc/self/statm``; falls back to the peak elsewhere)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as f:
            return int(f.read().split()[1]) * _PAGE
    except OSError:
        return peak_rss_bytes()


def peak_rss_bytes() -> int:
    """Peak RSS of the process so far (``getrusage``: KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


class RssSampler:
    """Peak RSS *during* a block, sampled every few milliseconds by a thread.

    ``getrusage`` only gives the process's high-water mark since it started, which a bigger
    earlier phase (building the input) would hide; sampling costs nothing measurable and needs
    no tracemalloc (which slows pandas code down several times)."""

    def __init__(self, interval: float = 0.005):
        self.interval = interval
        self.start_bytes = 0
        self.peak_bytes = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> RssSampler:
        self.start_bytes = self.peak_bytes = current_rss_bytes()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.peak_bytes = max(self.peak_bytes, current_rss_bytes())

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self.peak_bytes = max(self.peak_bytes, current_rss_bytes())

    @property
    def growth_bytes(self) -> int:
        return self.peak_bytes - self.start_bytes


MIB = 1024 * 1024


class Stopwatch:
    """``with Stopwatch() as sw: ...; sw.seconds``."""

    def __enter__(self) -> Stopwatch:
        self._t0 = time.perf_counter()
        self.seconds = 0.0
        return self

    def __exit__(self, *exc) -> None:
        self.seconds = time.perf_counter() - self._t0


# --------------------------------------------------------------------------- tenants


# Accounting of one benchmark tenant per generator profile, the way the demo tenants map them:
# the ecommerce tenant sells to DE and IT under OSS, the shop maps sales by category.
PROFILE_ACCOUNTING: dict[str, dict] = {
    "restaurant": {
        "sales_by": "vat_rate",
        "payment_methods": {"Carte bancaire": "511500", "American Express": "511510", "Espèces": "530000",
                            "Titre-restaurant": "511210", "Chèque": "511200"},
        "tips_account": "428600",
        "sales_accounts_by_rate": {"20": "707120", "10": "707110", "5.5": "707105"},
        "vat_accounts_by_rate": {"20": "445712", "10": "445711", "5.5": "445710"},
    },
    "shop": {
        "sales_by": "category",
        "payment_methods": {"CB": "511500", "Espèces": "530000", "Chèque": "511200", "Carte cadeau": "419100"},
        "sales_accounts_by_category": {"Épicerie": "707100", "Art de la table": "707200",
                                       "Cadeaux": "707300", "Cave": "707400"},
        "sales_accounts_by_rate": {"20": "707000", "5.5": "707000"},
    },
    "bakery": {
        "sales_by": "vat_rate",
        "payment_methods": {"Espèces": "530000", "CB": "511500", "Ticket Resto": "511210"},
        "sales_accounts_by_rate": {"20": "707120", "10": "707110", "5.5": "707105"},
    },
    "ecommerce": {
        "sales_by": "vat_rate",
        "payment_methods": {"Carte bancaire": "511500", "PayPal": "512100", "Virement": "512000",
                            "Carte cadeau": "419100"},
        "shipping_account": "708500",
        "oss": {"registered": True, "accounts": {
            "DE": {"sales_account": "707210", "vat_account": "445720"},
            "IT": {"sales_account": "707220", "vat_account": "445721"}}},
    },
}
PROFILES = tuple(PROFILE_ACCOUNTING)
OSS_COUNTRIES = {"ecommerce": ["DE", "IT"]}
BENCH_SIRETS = ("51234567900108", "81234567600108", "90123456700104", "38012986600105", "44306184100104")


def bench_tenant_doc(slug: str, profile: str, *, index: int = 0, start_date: str = "2026-01-01") -> dict:
    """A valid tenant document for ``profile`` (source and Pennylane URLs to be filled in)."""
    return {
        "slug": slug,
        "name": f"{slug.replace('-', ' ').title()} SAS",
        "siret": BENCH_SIRETS[index % len(BENCH_SIRETS)],
        "start_date": start_date,
        "source": {"type": "chift",
                   "credentials": {"client_id": "CHIFT_CLIENT_ID", "client_secret": "CHIFT_CLIENT_SECRET",
                                   "account_id": "CHIFT_ACCOUNT_ID"},
                   "settings": {"consumer_id": str(uuid.uuid5(uuid.NAMESPACE_DNS, slug))}},
        "pennylane": {"token_env": f"PL_TOKEN_{slug.upper().replace('-', '_')}"},
        "accounting": PROFILE_ACCOUNTING[profile],
    }


def bench_tenant(slug: str, profile: str, *, index: int = 0):
    from resources.tenants import TenantConfig

    return TenantConfig.model_validate(bench_tenant_doc(slug, profile, index=index))
