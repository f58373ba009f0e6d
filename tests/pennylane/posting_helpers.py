"""Builders shared by the posting tests (tenants, drafts, what the emulator holds)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from resources.posting import EntryDraft, EntryLine, deterministic_piece_number
from resources.tenants import TenantConfig
from resources.warehouse import Warehouse

SIRETS = ["73282932000074", "55210055400013", "44306184100047", "35600000000048", "73282932000074"]


def tenant(slug: str, env: str, i: int = 0) -> TenantConfig:
    return TenantConfig.model_validate({
        "slug": slug, "name": slug.replace("-", " ").title(), "siret": SIRETS[i % len(SIRETS)],
        "start_date": "2026-01-01", "source": {"type": "square", "credentials": {"access_token": "SQUARE_TOKEN"}}, "pennylane": {"token_env": env},
    })


def warehouse(tmp_path: Path) -> Warehouse:
    wh = Warehouse(f"sqlite:///{tmp_path / 'warehouse.db'}")
    return wh


def draft(slug: str, day: date, cash: int, card: int, tips: int = 0) -> EntryDraft:
    """A POS day: cash + card takings, 20 % VAT on sales net of tips, tips to 4286."""
    gross = cash + card - tips
    net = (gross * 100 + 60) // 120  # integer cents, half up
    vat = gross - net
    lines = [
        EntryLine("530", "Espèces", cash, 0),
        EntryLine("5115", "Cartes bancaires", card, 0),
        EntryLine("707", "Ventes 20 %", 0, net),
        EntryLine("44571", "TVA collectée 20 %", 0, vat),
    ]
    if tips:
        lines.append(EntryLine("4286", "Pourboires", 0, tips))
    key = day.isoformat()
    return EntryDraft("VT", "Ventes", day, f"Ventes {key} — {slug}", deterministic_piece_number(slug, key), "EUR",
                      lines)


def days(start: date, n: int) -> list[date]:
    return [start + timedelta(days=i) for i in range(n)]


def entries_of(emu, company_name: str) -> list[dict]:
    for company in emu.summary()["companies"]:
        if company["company"]["name"] == company_name:
            return company["entries"]
    raise AssertionError(f"no company {company_name}")
