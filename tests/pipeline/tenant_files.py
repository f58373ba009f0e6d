"""Tenant files for tests: a valid tenant document with overrides."""

from __future__ import annotations

SIRETS = ["51234567900108", "81234567600108", "90123456700104", "38012986600105", "44306184100104"]


def tenant_doc(slug: str, **over) -> dict:
    doc = {
        "slug": slug,
        "name": f"{slug.replace('-', ' ').title()} SAS",
        "siret": SIRETS[hash(slug) % len(SIRETS)],
        "start_date": "2026-11-01",
        "source": {"type": "chift", "base_url": "http://127.0.0.1:9",
                   "credentials": {"client_id": "CHIFT_CLIENT_ID", "client_secret": "CHIFT_CLIENT_SECRET",
                                   "account_id": "CHIFT_ACCOUNT_ID"},
                   "settings": {"consumer_id": "3f0c2a4e-8d1b-4e57-9c3a-1b2d4e6f8a01"}},
        "pennylane": {"base_url": "http://127.0.0.1:9/api/external/v2",
                      "token_env": f"PL_TOKEN_{slug.upper().replace('-', '_')}"},
    }
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(doc.get(key), dict):
            doc[key] = {**doc[key], **value}
        else:
            doc[key] = value
    return doc
