"""The emulator also runs in-process (no socket), with the same app and the same client code."""

from datetime import date

from emulators.pennylane import create_app
from emulators.server import InProcessTransport
from resources.pennylane import PennylaneClient
from resources.posting import EntryDraft, EntryLine, post_entry_exactly_once
from resources.tenants import TenantConfig
from resources.warehouse import Warehouse
from tests.pipeline.tenant_files import tenant_doc


def test_the_client_talks_to_the_emulator_in_process(tmp_path, pennylane_spec):
    app = create_app(tmp_path / "pl.db", validate_spec=pennylane_spec)
    app.store.register_company("tok-inproc", "In Process SAS", reg_no="512345679")
    transport = InProcessTransport(app)
    client = PennylaneClient("tok-inproc", "http://pennylane.local/api/external/v2", tenant="inproc",
                             transport=transport)
    warehouse = Warehouse(url=f"sqlite:///{tmp_path / 'wh.db'}")
    tenant = TenantConfig.model_validate(tenant_doc("inproc"))
    try:
        assert client.me()["company"]["name"] == "In Process SAS"
        draft = EntryDraft("VT", "Ventes", date(2026, 11, 20), "Ventes 2026-11-20", "S20261120-test", "EUR",
                           [EntryLine("530", "Espèces", 1200, 0), EntryLine("707", "Ventes", 0, 1200)])
        result = post_entry_exactly_once(client, warehouse, tenant, "2026-11-20", "inproc-2026-11-20", draft,
                                         create_missing_accounts=True)
        assert result.action == "created"
        [listed] = list(client.list_ledger_entries(journal_id=client.journal_id("VT", "Ventes"), date="2026-11-20"))
        assert listed["id"] == result.pennylane_id and listed["piece_number"] == "S20261120-test"
    finally:
        client.close()
        transport.close()
    assert app.spec_violations == []
