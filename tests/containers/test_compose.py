"""compose.yaml, checked by Compose v2's own parser and on the configuration it normalizes."""

import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.core.config import Settings, get_settings
from devstack.app_process import PROJECT_ROOT
from devstack.servers import pg_bin
from tests.containers.compose_cli import (
    COMPOSE_FILE,
    DEVCONTAINER_OVERRIDE,
    normalized_config,
    run_config,
)

FIXTURES = Path(__file__).parent / "fixtures"
ENV_EXAMPLE = PROJECT_ROOT / ".env.example"


@pytest.mark.parametrize(
    "files",
    [(COMPOSE_FILE,), (COMPOSE_FILE, DEVCONTAINER_OVERRIDE)],
    ids=["compose", "with-devcontainer-override"],
)
def test_compose_config_is_valid(files: tuple[Path, ...], empty_env_file: Path) -> None:
    result = run_config(*files, env_file=empty_env_file)

    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("name", ["broken-schema-compose.yaml", "broken-reference-compose.yaml"])
def test_broken_compose_file_fails_validation(name: str, empty_env_file: Path) -> None:
    result = run_config(FIXTURES / name, env_file=empty_env_file)

    assert result.returncode != 0
    assert result.stderr.strip()


def test_every_service_has_a_healthcheck(services: dict[str, Any]) -> None:
    assert set(services) == {"postgres", "mongo", "app"}
    for service in services.values():
        assert service["healthcheck"]["test"]
        assert not service["healthcheck"].get("disable", False)


def test_app_starts_only_after_both_databases_are_healthy(services: dict[str, Any]) -> None:
    depends_on = services["app"]["depends_on"]

    assert {name: rule["condition"] for name, rule in depends_on.items()} == {
        "postgres": "service_healthy",
        "mongo": "service_healthy",
    }


def test_published_ports_bind_to_localhost_only(services: dict[str, Any]) -> None:
    published = {
        name: [(port["host_ip"], port["published"], port["target"]) for port in service["ports"]]
        for name, service in services.items()
    }

    assert published == {
        "postgres": [("127.0.0.1", "5432", 5432)],
        "mongo": [("127.0.0.1", "27017", 27017)],
        "app": [("127.0.0.1", "8000", 8000)],
    }


def test_published_ports_are_overridable(empty_env_file: Path) -> None:
    env = {
        "POSTGRES_PUBLISHED_PORT": "15432",
        "MONGO_PUBLISHED_PORT": "17017",
        "APP_PUBLISHED_PORT": "18000",
    }
    services = normalized_config(COMPOSE_FILE, env_file=empty_env_file, env=env)["services"]

    assert [services[name]["ports"][0]["published"] for name in ("postgres", "mongo", "app")] == [
        "15432",
        "17017",
        "18000",
    ]


def test_postgres_image_is_the_major_the_tests_run(services: dict[str, Any]) -> None:
    version = subprocess.run(
        [str(pg_bin("postgres")), "--version"], capture_output=True, text=True, check=True
    ).stdout
    match = re.search(r"PostgreSQL\) (\d+)\.", version)
    assert match is not None, version

    assert services["postgres"]["image"] == f"postgres:{match.group(1)}"


def test_mongo_image_is_pinned_to_a_major(services: dict[str, Any]) -> None:
    assert re.fullmatch(r"mongo:\d+", services["mongo"]["image"])


def test_data_lives_in_named_volumes(
    compose_config: dict[str, Any], services: dict[str, Any]
) -> None:
    mounts = {
        name: [
            (volume["type"], volume["source"], volume["target"]) for volume in service["volumes"]
        ]
        for name, service in services.items()
        if name != "app"
    }

    assert mounts == {
        # PostgreSQL 18's image refuses to start with a volume at /var/lib/postgresql/data.
        "postgres": [("volume", "postgres-data", "/var/lib/postgresql")],
        "mongo": [
            ("volume", "mongo-data", "/data/db"),
            ("volume", "mongo-config", "/data/configdb"),
        ],
    }
    assert set(compose_config["volumes"]) == {"postgres-data", "mongo-data", "mongo-config"}


def test_app_runs_the_dev_target_with_the_source_mounted(services: dict[str, Any]) -> None:
    app = services["app"]

    assert app["build"]["dockerfile"] == "docker/Dockerfile"
    assert app["build"]["target"] == "dev"
    assert [(v["type"], v["source"], v["target"]) for v in app["volumes"]] == [
        ("bind", str(PROJECT_ROOT), "/app")
    ]


def test_app_reaches_the_databases_by_service_name(services: dict[str, Any]) -> None:
    env = services["app"]["environment"]

    assert env["ENVIRONMENT"] == "development"
    assert (env["POSTGRES_HOST"], env["POSTGRES_PORT"]) == ("postgres", "5432")
    assert (env["MONGO_HOST"], env["MONGO_PORT"]) == ("mongo", "27017")
    assert env["MONGO_AUTH_SOURCE"] == "admin"


def test_compose_file_has_no_literal_password() -> None:
    """Every password is `${VARIABLE:-development default}`, never a bare value."""
    values = re.findall(r"^\s*\w*PASSWORD\w*:\s*(.+?)\s*$", COMPOSE_FILE.read_text(), re.M)

    assert len(values) == 3
    for value in values:
        assert re.fullmatch(r"\$\{[A-Z_]+:-[^}]*\}", value), value


def test_app_and_databases_share_credentials_from_the_environment(empty_env_file: Path) -> None:
    env = {
        "POSTGRES_USER": "u1",
        "POSTGRES_PASSWORD": "secret-1",
        "POSTGRES_DB": "d1",
        "MONGO_USER": "u2",
        "MONGO_PASSWORD": "secret-2",
        "MONGO_DB": "d2",
    }
    services = normalized_config(COMPOSE_FILE, env_file=empty_env_file, env=env)["services"]
    app, postgres, mongo = (services[name]["environment"] for name in ("app", "postgres", "mongo"))

    assert {name: app[name] for name in env} == env
    assert postgres == {
        name: env[name] for name in ("POSTGRES_USER", "POSTGRES_PASSWORD", "POSTGRES_DB")
    }
    assert mongo == {
        "MONGO_INITDB_ROOT_USERNAME": "u2",
        "MONGO_INITDB_ROOT_PASSWORD": "secret-2",
        "MONGO_INITDB_DATABASE": "d2",
    }


def test_env_example_holds_the_compose_defaults(
    compose_config: dict[str, Any], empty_env_file: Path
) -> None:
    variables = set(re.findall(r"\$\{(\w+)", COMPOSE_FILE.read_text()))
    listed = set(re.findall(r"^(\w+)=", ENV_EXAMPLE.read_text(), re.M))

    assert variables <= listed
    assert normalized_config(COMPOSE_FILE, env_file=ENV_EXAMPLE) == compose_config


@pytest.fixture
def settings_in_the_app_container(
    services: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Settings]:
    """The app's settings as it reads them in compose's `app` service, from a working
    directory whose `.env` names managed databases."""
    (tmp_path / ".env").write_text(
        "POSTGRES_URL=postgresql://admin:secret@db.example.com:5432/production\n"
        "MONGO_URL=mongodb://admin:secret@mongo.example.com:27017/production\n"
    )
    monkeypatch.chdir(tmp_path)
    for name in os.environ:
        if name.startswith(("POSTGRES_", "MONGO_", "ENV")):
            monkeypatch.delenv(name)
    for name, value in services["app"]["environment"].items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    yield get_settings()
    get_settings.cache_clear()


def test_app_under_compose_uses_the_compose_databases_whatever_dotenv_names(
    settings_in_the_app_container: Settings,
) -> None:
    assert settings_in_the_app_container.postgres_location == "postgres:5432/syncdesk_db"
    assert settings_in_the_app_container.mongo_location == "mongo:27017/syncdesk_db"
