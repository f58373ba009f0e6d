"""Products, services, customers, cursors and connection, against the emulator over a socket."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

from pipelines.stock import operations as ops


def names(env):
    return {(p["name"], p["sku"], p["kind"], p["tracked"]) for p in env.store.products(env.tenant.slug)}


def test_new_pennylane_products_imported_by_default_and_services_only_with_the_option(stock_env):
    for import_services in (False, True):
        env = stock_env(import_services=import_services)
        svc_account = env.pl.client.create_ledger_account("706100", "Prestations de services")
        env.pl.product("Gel douche", "GEL-1")
        env.pl.product("Atelier massage", "ATL-1", ledger_account_id=svc_account["id"])
        env.sync()
        expected = {("Gel douche", "GEL-1", "goods", True)}
        if import_services:
            expected.add(("Atelier massage", "ATL-1", "service", True))
        assert names(env) == expected
        # Created after the first sync: arrives through the products changelog.
        env.pl.product("Shampoing", "SHA-1")
        env.sync()
        assert ("Shampoing", "SHA-1", "goods", True) in names(env)


def test_products_not_imported_when_off_but_created_when_met_on_an_invoice(stock_env):
    env = stock_env(import_products=False)
    p = env.pl.product("Gel douche", "GEL-1")
    env.pl.product("Jamais vendu", "JV-1")
    c = env.pl.customer("Spa", "spa@spa.fr")
    env.sync()
    assert names(env) == set()
    env.pl.invoice(c["id"], (p["id"], 2))
    env.sync()
    assert names(env) == {("Gel douche", "GEL-1", "goods", True)}
    assert env.level(p["id"]) == (D(-2), D(0), D(-2))


def test_service_lines_do_not_move_stock_unless_imported(stock_env):
    env = stock_env()
    svc_account = env.pl.client.create_ledger_account("706200", "Prestations")
    s = env.pl.product("Installation", "INST", ledger_account_id=svc_account["id"])
    p = env.pl.product("Lampe", "LAMP")
    c = env.pl.customer("Bureau", "b@b.fr")
    env.sync()
    env.pl.invoice(c["id"], (p["id"], 1), (s["id"], 1))
    env.sync()
    assert env.level(p["id"]) == (D(-1), D(0), D(-1))
    assert {m.product for m in env.store.movements(env.tenant.slug)} == {env.product_id(p["id"])}


def test_rename_in_pennylane_and_sku_change_locally_in_the_same_window_both_win(stock_env):
    env = stock_env()
    p = env.pl.product("Savon", "SAV-1")
    env.sync()
    pid = int(env.product_id(p["id"]))
    env.pl.client.update_product(p["id"], {"label": "Savon au lait d'ânesse"})
    ops.edit_product(env.store, env.tenant.slug, pid, sku="SAV-LAIT")
    report = env.sync()
    local = env.store.product(env.tenant.slug, pid)
    remote = env.pl.client.get_product(p["id"])
    assert (local["name"], local["sku"]) == ("Savon au lait d'ânesse", "SAV-LAIT")
    assert (remote["label"], remote["reference"]) == ("Savon au lait d'ânesse", "SAV-LAIT")
    assert report.conflicts == []
    # The push itself comes back through the changelog and changes nothing.
    assert env.sync().pushed == []


def test_conflicting_edits_most_recent_wins_and_is_logged(stock_env):
    env = stock_env()
    p = env.pl.product("Savon", "SAV-1")
    env.sync()
    pid = int(env.product_id(p["id"]))
    # Local rename an hour ago, Pennylane rename now: Pennylane wins.
    ops.edit_product(env.store, env.tenant.slug, pid, name="Savon (local)",
                     at=datetime.now(UTC) - timedelta(hours=1))
    env.pl.client.update_product(p["id"], {"label": "Savon (Pennylane)"})
    env.sync()
    assert env.store.product(env.tenant.slug, pid)["name"] == "Savon (Pennylane)"
    # Local rename "later" than Pennylane's: local wins and is pushed.
    env.pl.client.update_product(p["id"], {"label": "Savon v2 (Pennylane)"})
    ops.edit_product(env.store, env.tenant.slug, pid, name="Savon v2 (local)",
                     at=datetime.now(UTC) + timedelta(hours=1))
    env.sync()
    assert env.store.product(env.tenant.slug, pid)["name"] == "Savon v2 (local)"
    assert env.pl.client.get_product(p["id"])["label"] == "Savon v2 (local)"
    logged = [e["message"] for e in env.store.log_entries(env.tenant.slug, "conflict")]
    assert len(logged) == 2
    assert "local 'Savon (local)'" in logged[0] and "kept 'Savon (Pennylane)' (pennylane is more recent)" in logged[0]
    assert "kept 'Savon v2 (local)' (local is more recent)" in logged[1]


def test_local_delete_and_deactivate_never_touch_pennylane(stock_env):
    env = stock_env()
    a = env.pl.product("A", "A-1")
    b = env.pl.product("B", "B-1")
    env.sync()
    ops.edit_product(env.store, env.tenant.slug, int(env.product_id(a["id"])), name="A renamed")
    ops.deactivate_product(env.store, env.tenant.slug, int(env.product_id(a["id"])))
    ops.delete_product(env.store, env.tenant.slug, int(env.product_id(b["id"])))
    before = env.pl.client.requests_sent
    report = env.sync()
    assert report.pushed == []
    assert env.pl.client.requests_sent - before == 4  # the idle reads only
    assert env.pl.client.get_product(a["id"])["label"] == "A"
    assert env.pl.client.get_product(b["id"])["archived_at"] is None


def test_product_whose_pennylane_id_changed_is_flagged_for_merge_not_silently_duplicated(stock_env):
    env = stock_env()
    old = env.pl.product("Bougie", "BOU-9")
    c = env.pl.customer("Client", "c@c.fr")
    env.sync()
    env.pl.invoice(c["id"], (old["id"], 2))
    env.sync()
    new = env.pl.product("Bougie", "BOU-9")  # re-created in Pennylane: same SKU, new id
    env.pl.invoice(c["id"], (new["id"], 3))
    env.sync()
    flags = ops.merge_flags(env.store, env.tenant.slug)
    original = int(env.product_id(old["id"]))
    assert [(f["pennylane_id"], f["merge_of"]) for f in flags] == [(new["id"], original)]
    assert any("flagged for merge" in e["message"] for e in env.store.log_entries(env.tenant.slug, "merge_flag"))
    ops.merge_products(env.store, env.tenant.slug, flags[0]["id"], original)
    assert env.level(str(original)) == (D(-5), D(0), D(-5))
    assert ops.merge_flags(env.store, env.tenant.slug) == []


def test_customers_created_on_each_side_and_synced_both_ways(stock_env):
    env = stock_env()
    p = env.pl.product("Vase", "VAS")
    in_pennylane = env.pl.customer("Fleurs & Co", "contact@fleurs.fr")
    env.sync()
    assert env.store.customers(env.tenant.slug) == []  # only created when met on an order
    env.pl.commercial("purchasing_order", in_pennylane["id"], (p["id"], 1))
    env.sync()
    [local] = env.store.customers(env.tenant.slug)
    assert (local["name"], local["email"], local["pennylane_id"]) == ("Fleurs & Co", "contact@fleurs.fr",
                                                                      in_pennylane["id"])
    # Created locally → created in Pennylane with its name and e-mail.
    mine = ops.create_customer(env.store, env.tenant.slug, name="Maison Bleue", email="hello@bleue.fr",
                               address="3 quai Est", postal_code="69002", city="Lyon")
    env.sync()
    pl_id = env.store.customer(env.tenant.slug, mine["id"])["pennylane_id"]
    remote = env.pl.client.get_customer(pl_id)
    assert (remote["name"], remote["emails"]) == ("Maison Bleue", ["hello@bleue.fr"])
    # E-mail changed in Pennylane, name changed locally: both sides end equal.
    env.pl.client.update_company_customer(in_pennylane["id"], {"emails": ["new@fleurs.fr"]})
    ops.edit_customer(env.store, env.tenant.slug, local["id"], name="Fleurs and Co")
    env.sync()
    local = env.store.customer(env.tenant.slug, local["id"])
    remote = env.pl.client.get_customer(in_pennylane["id"])
    assert (local["name"], local["email"]) == ("Fleurs and Co", "new@fleurs.fr")
    assert (remote["name"], remote["emails"]) == ("Fleurs and Co", ["new@fleurs.fr"])


def test_idle_sync_is_one_call_per_resource(stock_env):
    env = stock_env()
    env.pl.product("A", "A-1")
    env.sync()
    report = env.sync()
    assert report.changelog_calls == {"products": 1, "customers": 1, "customer_invoices": 1}
    assert report.requests == 4  # + one commercial_documents "id > last seen" listing


def test_cursor_older_than_the_retention_falls_back_to_a_date_filter(stock_env):
    env = stock_env()
    p = env.pl.product("Savon", "SAV")
    c = env.pl.customer("Client", "c@c.fr")
    env.sync()
    env.pl.invoice(c["id"], (p["id"], 2))
    later = datetime.now(UTC) + timedelta(weeks=5)
    env.pl.set_clock(later.isoformat())
    try:
        report = env.sync(now=lambda: later)
    finally:
        env.pl.set_clock(None)
    assert [f.split(":")[0] for f in report.fallbacks] == ["products", "customers", "customer_invoices"]
    assert env.level(p["id"]) == (D(-2), D(0), D(-2))
    assert any(e["event"] == "cursor_fallback" for e in env.store.log_entries(env.tenant.slug))


def test_disconnect_stops_and_reconnect_resumes_from_the_stored_cursor(stock_env):
    env = stock_env()
    p = env.pl.product("Savon", "SAV")
    c = env.pl.customer("Client", "c@c.fr")
    env.sync()
    cursor = env.store.cursor(env.tenant.slug, "customer_invoices").cursor
    ops.disconnect(env.store, env.tenant.slug)
    env.pl.invoice(c["id"], (p["id"], 2))
    before = env.pl.client.requests_sent
    report = env.sync()
    assert report.skipped and env.pl.client.requests_sent == before
    assert env.level(p["id"]) == (D(0), D(0), D(0))
    ops.reconnect(env.store, env.tenant.slug)
    report = env.sync()
    assert report.fallbacks == [] and report.changelog_calls["customer_invoices"] == 1
    assert env.level(p["id"]) == (D(-2), D(0), D(-2))
    assert env.store.cursor(env.tenant.slug, "customer_invoices").cursor != cursor
