"""The Kubernetes objects beside the Helm release and the one-machine compose file."""

from __future__ import annotations

import pytest
import yaml
from kubernetes_validate import validate
from kubernetes_validate.utils import ValidationError

from deploy.k8s import render
from tests.conftest import REPO

TENANTS = REPO / "tenants"
K8S_VERSION = "1.33.0"


def test_rendered_objects_validate_against_kubernetes_and_carry_every_tenant_file():
    docs = list(yaml.safe_load_all(render.render(TENANTS, "dagster", storage_class="efs")))
    for doc in docs:
        validate(doc, K8S_VERSION, strict=True)
    configmap, claim = docs
    files = sorted(p.name for p in TENANTS.glob("*.yaml"))
    assert sorted(configmap["data"]) == files
    for name in files:
        assert configmap["data"][name] == (TENANTS / name).read_text()
    assert claim["spec"]["accessModes"] == ["ReadWriteMany"]
    assert claim["spec"]["storageClassName"] == "efs"


def test_the_validation_catches_a_wrong_object():
    claim = render.inbox_claim("dagster", "5Gi", None)
    claim["spec"]["accessModes"] = "ReadWriteMany"  # a string where Kubernetes wants a list
    with pytest.raises(ValidationError):
        validate(claim, K8S_VERSION, strict=True)


def test_list_env_prints_names_never_values(monkeypatch, capsys):
    monkeypatch.setenv("PENNYLANE_TOKEN_CAFE", "sk_live_never_printed_4f9a")
    assert render.main(["--tenants", str(TENANTS), "--list-env"]) == 0
    out = capsys.readouterr().out
    names = out.split()
    assert {"PENNYLANE_TOKEN_CAFE", "SQUARE_TOKEN_CAFE", "WAREHOUSE_URL"} <= set(names)
    assert "sk_live_never_printed_4f9a" not in out


def test_an_invalid_tenant_file_stops_the_render(tmp_path):
    (tmp_path / "ok.yaml").write_text((TENANTS / "cafe-des-arts.yaml").read_text().replace(
        "slug: cafe-des-arts", "slug: ok"))
    (tmp_path / "broken.yaml").write_text("slug: broken\nname: x\n")
    with pytest.raises(ValueError, match=r"broken\.yaml"):
        render.render(tmp_path, "dagster")


def test_compose_runs_the_image_as_code_server_webserver_and_daemon():
    compose = yaml.safe_load((REPO / "deploy" / "compose.yaml").read_text())
    services = compose["services"]
    assert set(services) == {"postgres", "code-server", "webserver", "daemon"}
    app = ("code-server", "webserver", "daemon")
    assert len({services[s]["image"] for s in app}) == 1
    workspace = yaml.safe_load((REPO / "deploy" / "compose-workspace.yaml").read_text())
    server = workspace["load_from"][0]["grpc_server"]
    command = services["code-server"]["command"]
    assert server["host"] == "code-server"
    assert str(server["port"]) == command[command.index("--port") + 1]
    for name in app:
        env = services[name]["environment"]
        assert env["DAGSTER_DEPLOYMENT"] == "prod"
        assert f"../tenants:{env['TENANTS_DIR']}:ro" in services[name]["volumes"]
        # the password comes from deploy/.env, never a literal
        assert "${POSTGRES_PASSWORD:?" in env["DAGSTER_PG_URL"]
    assert services["webserver"]["ports"] == ["127.0.0.1:3000:3000"]


def test_env_example_lists_the_platform_variables():
    example = (REPO / "deploy" / ".env.example").read_text()
    for name in (*render.PLATFORM_ENV, "POSTGRES_PASSWORD"):
        assert f"\n{name}=" in example
