"""The deployment files agree with each other and with the services' settings (no Docker needed).

docker-compose.yml, deploy/local/stack.env, deploy/gateway/nginx.conf (the gateway template of
both stacks), deploy/postgres/init.sql and shop_runtime.settings.ServiceSettings describe one
topology; these tests fail when one of them drifts. The last one renders the gateway template with
the local stack's values and runs `nginx -t` on it (deploy/local/infra.sh up installs nginx).
"""

from __future__ import annotations

import getpass
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from shop_runtime.settings import ServiceSettings
from shop_runtime.testing.stack_env import local_stack_env

REPO = Path(__file__).resolve().parents[2]
COMPOSE_FILE = REPO / "docker-compose.yml"
STACK_ENV = REPO / "deploy" / "local" / "stack.env"
GATEWAY_TEMPLATE = REPO / "deploy" / "gateway" / "nginx.conf"
INIT_SQL = REPO / "deploy" / "postgres" / "init.sql"
SERVICE_DOCKERFILE = "deploy/docker/service.Dockerfile"

INFRASTRUCTURE = ("postgres", "redis", "kafka", "opensearch", "clickhouse", "gateway")
# Without these a service cannot reach its stores: the defaults in ServiceSettings point at
# 127.0.0.1, which inside a container is the container itself.
REQUIRED_CONNECTION_ENV = (
    "POSTGRES_HOST",
    "POSTGRES_PORT",
    "POSTGRES_USER",
    "POSTGRES_PASSWORD",
    "POSTGRES_OWNER_USER",
    "POSTGRES_OWNER_PASSWORD",
    "KAFKA_BOOTSTRAP_SERVERS",
    "REDIS_URL",
    "OPENSEARCH_URL",
)
PLACEHOLDER = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def read_stack_env() -> dict[str, str]:
    """The values stack.env defines (STACK_DIR, computed from the checkout's path, is left out)."""
    values = local_stack_env()
    values.pop("STACK_DIR", None)
    return values


STACK = read_stack_env()
SERVICES = STACK["SERVICES"].split()


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE_FILE.read_text())
    assert isinstance(data, dict) and isinstance(data.get("services"), dict)
    return data


def environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {str(k): "" if v is None else str(v) for k, v in env.items()}


def app_services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Containers built from the platform's own image (the seven services, the one-shot jobs)."""
    return {
        name: svc
        for name, svc in compose["services"].items()
        if isinstance(svc.get("build"), dict)
        and svc["build"].get("dockerfile") == SERVICE_DOCKERFILE
    }


def test_stack_env_names_seven_services_with_ports() -> None:
    assert set(SERVICES) == {
        *("tenancy", "catalog", "inventory", "orders", "payments", "shipping", "analytics")
    }
    for name in SERVICES:
        assert STACK[f"{name.upper()}_PORT"].isdigit(), name


def test_every_service_has_an_image_or_an_existing_build_context(compose: dict[str, Any]) -> None:
    for name, svc in compose["services"].items():
        build = svc.get("build")
        if build is None:
            assert isinstance(svc.get("image"), str) and svc["image"], f"{name}: no image, no build"
            assert ":" in svc["image"], f"{name}: pin an image tag, not latest: {svc['image']}"
            continue
        if isinstance(build, str):
            build = {"context": build}
        context = REPO / build.get("context", ".")
        assert context.is_dir(), f"{name}: build context {context} does not exist"
        dockerfile = context / build.get("dockerfile", "Dockerfile")
        assert dockerfile.is_file(), f"{name}: {dockerfile} does not exist"


def test_every_infrastructure_service_has_a_healthcheck(compose: dict[str, Any]) -> None:
    services = compose["services"]
    for name in INFRASTRUCTURE:
        assert name in services, f"docker-compose.yml has no {name}"
        check = services[name].get("healthcheck") or {}
        assert check.get("test") and not check.get("disable"), f"{name}: no healthcheck"


def test_every_platform_service_is_built_from_the_shared_image(compose: dict[str, Any]) -> None:
    apps = app_services(compose)
    for name in SERVICES:
        assert name in apps, f"{name} is not built from {SERVICE_DOCKERFILE}"
        assert apps[name]["build"].get("args", {}).get("SERVICE") == name
        assert environment(apps[name]).get("SERVICE_NAME") == name


def test_app_environment_names_are_settings_fields(compose: dict[str, Any]) -> None:
    fields = {name.upper() for name in ServiceSettings.model_fields}
    for name, svc in app_services(compose).items():
        unknown = sorted(set(environment(svc)) - fields)
        assert not unknown, f"{name}: not fields of ServiceSettings (typo or stale name): {unknown}"


def test_app_services_get_every_connection_setting(compose: dict[str, Any]) -> None:
    for name, svc in app_services(compose).items():
        env = environment(svc)
        missing = [key for key in REQUIRED_CONNECTION_ENV if not env.get(key)]
        assert not missing, f"{name}: missing {missing}"
        # The values parse as settings (e.g. POSTGRES_PORT is an int).
        ServiceSettings(**{k.lower(): v for k, v in env.items()})


def test_app_services_wait_for_healthy_infrastructure(compose: dict[str, Any]) -> None:
    for name in SERVICES:
        depends = compose["services"][name].get("depends_on") or {}
        assert isinstance(depends, dict), f"{name}: depends_on needs conditions"
        for infra in ("postgres", "redis", "kafka", "opensearch"):
            condition = depends.get(infra, {}).get("condition")
            assert condition == "service_healthy", f"{name} -> {infra}: {condition}"


def test_published_ports_match_the_local_stack(compose: dict[str, Any]) -> None:
    services = compose["services"]
    expected = {
        "postgres": STACK["POSTGRES_PORT"],
        "redis": STACK["REDIS_URL"].rsplit(":", 1)[1].split("/")[0],
        "kafka": STACK["KAFKA_BOOTSTRAP_SERVERS"].rsplit(":", 1)[1],
        "opensearch": STACK["OPENSEARCH_URL"].rsplit(":", 1)[1],
        "gateway": STACK["GATEWAY_PORT"],
        **{name: STACK[f"{name.upper()}_PORT"] for name in SERVICES},
    }
    for name, port in expected.items():
        published = [str(p).split(":") for p in services[name].get("ports", [])]
        assert [f"127.0.0.1:{port}"] in [[":".join(p[:2])] for p in published], (
            f"{name}: publish 127.0.0.1:{port}, got {services[name].get('ports')}"
        )


def test_gateway_template_routes_every_service() -> None:
    template = GATEWAY_TEMPLATE.read_text()
    for name in SERVICES:
        upstream = rf"upstream\s+{name}\s*\{{\s*server\s+\$\{{{name.upper()}_UPSTREAM\}}"
        assert re.search(upstream, template), f"no upstream for {name}"
        # The prefix is stripped: the URI part of proxy_pass replaces /api/<service>/.
        assert re.search(
            rf"location\s+/api/{name}/\s*\{{[^}}]*proxy_pass\s+http://{name}/;", template
        ), f"no /api/{name}/ route"


def test_gateway_template_placeholders_are_all_set_by_compose(compose: dict[str, Any]) -> None:
    gateway = compose["services"]["gateway"]
    env = environment(gateway)
    needed = set(PLACEHOLDER.findall(GATEWAY_TEMPLATE.read_text()))
    assert needed, "the template has no ${...} placeholders"
    missing = sorted(needed - set(env))
    assert not missing, f"gateway environment lacks {missing}"
    assert env.get("NGINX_ENVSUBST_OUTPUT_DIR") == "/etc/nginx"
    mounts = [str(v) for v in gateway.get("volumes", [])]
    template_mount = "./deploy/gateway/nginx.conf:/etc/nginx/templates/nginx.conf.template"
    assert any(m.startswith(template_mount) for m in mounts), mounts
    for name in SERVICES:
        host = env[f"{name.upper()}_UPSTREAM"].split(":")[0]
        assert host == name and name in compose["services"], f"{name}: upstream {host}"


def test_postgres_init_sql_is_shared_and_creates_every_database(compose: dict[str, Any]) -> None:
    sql = INIT_SQL.read_text()
    mounts = [str(v) for v in compose["services"]["postgres"].get("volumes", [])]
    init_mount = "./deploy/postgres/init.sql:/docker-entrypoint-initdb.d/"
    assert any(m.startswith(init_mount) for m in mounts), mounts
    for db in [f"shop_{name}" for name in SERVICES] + ["shop_test"]:
        assert f"'{db}'" in sql, f"init.sql does not create {db}"
        assert re.search(rf"^\\connect {db}$", sql, re.M), f"init.sql sets no privileges in {db}"
    blocks = [b.strip() for b in re.split(r"^\\connect \w+$", sql, flags=re.M)[1:]]
    assert len(set(blocks)) == 1, "the per-database privilege blocks of init.sql differ"
    assert "REVOKE CREATE ON SCHEMA public FROM PUBLIC" in blocks[0]
    assert "NOBYPASSRLS" in sql and "NOSUPERUSER" in sql


def render_gateway(values: dict[str, str]) -> str:
    """envsubst with an explicit list: only ${NAME} placeholders; nginx's own $variables stay."""
    text = GATEWAY_TEMPLATE.read_text()
    missing = sorted(set(PLACEHOLDER.findall(text)) - set(values))
    assert not missing, f"no local value for {missing}"
    return PLACEHOLDER.sub(lambda m: values[m.group(1)], text)


def test_gateway_config_rendered_for_the_local_stack_passes_nginx_t(tmp_path: Path) -> None:
    nginx = shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx",) if Path(p).exists()), None
    )
    if nginx is None:
        pytest.fail("nginx is not installed: `bash deploy/local/infra.sh up` installs it")
    (tmp_path / "logs").mkdir()
    values = {
        "GATEWAY_LISTEN": f"127.0.0.1:{STACK['GATEWAY_PORT']}",
        "GATEWAY_WORKER_USER": getpass.getuser(),
        "GATEWAY_RUNTIME_DIR": str(tmp_path),
        "GATEWAY_ERROR_LOG": str(tmp_path / "logs" / "error.log"),
        "GATEWAY_ACCESS_LOG": str(tmp_path / "logs" / "access.log"),
        **{f"{s.upper()}_UPSTREAM": f"127.0.0.1:{STACK[f'{s.upper()}_PORT']}" for s in SERVICES},
    }
    conf = tmp_path / "nginx.conf"
    conf.write_text(render_gateway(values))
    result = subprocess.run(
        [
            nginx,
            "-t",
            "-q",
            "-c",
            str(conf),
            "-p",
            f"{tmp_path}/",
            "-e",
            values["GATEWAY_ERROR_LOG"],
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
