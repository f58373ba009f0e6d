"""Each source's ``source:`` block is a typed model, validated when the tenant file is loaded
(what ``pennylane-sync tenants validate`` runs): a wrong setting names the file and the field."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from core import tenants as core_tenants
from core.errors import MappingError
from resources.sources.common import source_config
from resources.sources.shopify.settings import ShopifyConfig
from resources.sources.zelty.settings import ZeltyConfig
from resources.tenants import TenantRegistryError, load_tenant_file

BASE = {"name": "Boutique SAS", "siret": "73282932000074", "start_date": "2026-01-01",
        "pennylane": {"token_env": "PENNYLANE_TOKEN"}}
SHOPIFY = {"type": "shopify", "base_url": "https://atelier.myshopify.com",
           "credentials": {"access_token": "SHOPIFY_TOKEN"}}


def write(tmp_path: Path, slug: str, source: dict) -> Path:
    path = tmp_path / f"{slug}.yaml"
    path.write_text(yaml.safe_dump({"slug": slug, **BASE, "source": source}), encoding="utf-8")
    return path


def refusal(tmp_path: Path, slug: str, source: dict) -> str:
    with pytest.raises(TenantRegistryError) as err:
        load_tenant_file(write(tmp_path, slug, source))
    return str(err.value)


def test_a_valid_file_gives_each_source_its_own_typed_settings(tmp_path):
    shop = load_tenant_file(write(tmp_path, "atelier", {**SHOPIFY, "settings": {"page_limit": "50"}}))
    assert isinstance(shop.source, ShopifyConfig) and isinstance(shop.source, core_tenants.SourceConfig)
    assert (shop.source.settings.page_limit, shop.source.settings.leak_rate, shop.source.credentials.access_token) \
        == (50, 2.0, "SHOPIFY_TOKEN")
    zelty = load_tenant_file(write(tmp_path, "brasserie", {"type": "zelty", "credentials": {"api_key": "ZELTY_KEY"},
                                                           "settings": {"restaurant_ids": 5146}}))
    assert zelty.source.settings.restaurant_ids == ["5146"]  # one id, a number: a list of strings
    assert zelty.source.base_url == "https://api.zelty.fr/2.10"


def test_a_shopify_page_limit_over_the_maximum_names_the_file_and_the_field(tmp_path):
    assert refusal(tmp_path, "atelier", {**SHOPIFY, "settings": {"page_limit": 500}}) == (
        "atelier.yaml: source.shopify.settings.page_limit: Input should be less than or equal to 250")


def test_a_misspelled_setting_is_refused_not_ignored(tmp_path):
    assert refusal(tmp_path, "atelier", {**SHOPIFY, "settings": {"leakrate": 4}}) == (
        "atelier.yaml: source.shopify.settings.leakrate: Extra inputs are not permitted")


def test_a_secret_pasted_as_a_credential_is_refused_without_being_repeated(tmp_path):
    message = refusal(tmp_path, "cafe", {"type": "square", "credentials": {"access_token": "EAAAl-very-secret"}})
    assert message == ("cafe.yaml: source.square.credentials.access_token: Value error, must be the NAME of an "
                       "environment variable (e.g. SHOP_TOKEN), not a secret value")
    assert "very-secret" not in message


def test_a_missing_credential_and_a_bad_chift_consumer_id_are_both_named(tmp_path):
    message = refusal(tmp_path, "bistrot", {"type": "chift", "settings": {"consumer_id": "bistrot-42"},
                                            "credentials": {"client_id": "CHIFT_ID", "client_secret": "CHIFT_SECRET"}})
    assert message == ("bistrot.yaml: source.chift.credentials.account_id: Field required; "
                       "source.chift.settings.consumer_id: Value error, badly formed hexadecimal UUID string")


def test_lightspeed_needs_a_location_and_hiboutik_a_base_url_or_an_account(tmp_path):
    assert refusal(tmp_path, "ls", {"type": "lightspeed", "credentials": {"access_token": "LSK_TOKEN"},
                                    "settings": {"business_location_ids": []}}) == (
        "ls.yaml: source.lightspeed.settings.business_location_ids: List should have at least 1 item after "
        "validation, not 0")
    assert refusal(tmp_path, "hb", {"type": "hiboutik", "credentials": {"user": "HB_USER", "api_key": "HB_KEY"}}) == (
        "hb.yaml: source.hiboutik: Value error, Hiboutik needs source.base_url or source.settings.account")


def test_a_zettle_page_limit_that_is_not_a_number_and_an_unknown_source_type(tmp_path):
    assert refusal(tmp_path, "zt", {"type": "zettle", "credentials": {"client_id": "ZT_ID", "api_key": "ZT_KEY"},
                                    "settings": {"page_limit": "lots"}}) == (
        "zt.yaml: source.zettle.settings.page_limit: Input should be a valid integer, unable to parse string as "
        "an integer")
    assert refusal(tmp_path, "su", {"type": "sumup"}).startswith(
        "su.yaml: source: Input tag 'sumup' found using 'type' does not match any of the expected tags: ")


def test_a_tenant_built_with_the_bare_core_model_is_checked_when_its_source_is_built():
    bare = core_tenants.TenantConfig.model_validate({"slug": "brasserie", **BASE, "source": {
        "type": "zelty", "credentials": {"api_key": "ZELTY_KEY"}, "settings": {"restaurants": [1]}}})
    with pytest.raises(MappingError) as err:
        source_config(bare, ZeltyConfig)
    assert str(err.value) == "[mapping] tenant brasserie, field source: settings.restaurants: Extra inputs are not permitted"
    ok = core_tenants.TenantConfig.model_validate({"slug": "brasserie", **BASE, "source": {
        "type": "zelty", "credentials": {"api_key": "ZELTY_KEY"}, "settings": {"restaurant_ids": [1]}}})
    assert source_config(ok, ZeltyConfig).settings.restaurant_ids == ["1"]
