""".devcontainer/devcontainer.json: valid against the spec's schema and wired to compose.yaml."""

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from devstack.app_process import PROJECT_ROOT
from tests.commands import run_command
from tests.containers.compose_cli import (
    COMPOSE_FILE,
    DEVCONTAINER_OVERRIDE,
    normalized_config,
)
from tests.containers.tools import tool

DEVCONTAINER = PROJECT_ROOT / ".devcontainer" / "devcontainer.json"
SCHEMA = Path(__file__).parent / "schemas" / "devContainer.base.schema.json"
FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="module")
def devcontainer() -> dict[str, Any]:
    config: dict[str, Any] = json.loads(DEVCONTAINER.read_text())
    return config


def validate(path: Path) -> subprocess.CompletedProcess[str]:
    return run_command([tool("check-jsonschema"), "--schemafile", SCHEMA, path])


def test_devcontainer_json_matches_the_schema() -> None:
    result = validate(DEVCONTAINER)

    assert result.returncode == 0, result.stdout + result.stderr


def test_schema_rejects_a_misspelled_property() -> None:
    result = validate(FIXTURES / "misspelled-devcontainer.json")

    assert result.returncode != 0
    assert "postCreatCommand" in result.stdout


def test_devcontainer_uses_compose_and_its_override(devcontainer: dict[str, Any]) -> None:
    files = [DEVCONTAINER.parent / name for name in devcontainer["dockerComposeFile"]]

    assert [path.resolve() for path in files] == [COMPOSE_FILE, DEVCONTAINER_OVERRIDE]
    assert devcontainer["service"] == "app"


def test_devcontainer_opens_the_mounted_source(
    devcontainer: dict[str, Any], empty_env_file: Path
) -> None:
    config = normalized_config(COMPOSE_FILE, DEVCONTAINER_OVERRIDE, env_file=empty_env_file)
    (mount,) = config["services"]["app"]["volumes"]

    assert (mount["source"], mount["target"]) == (
        str(PROJECT_ROOT),
        devcontainer["workspaceFolder"],
    )


def test_devcontainer_app_idles_without_a_healthcheck(empty_env_file: Path) -> None:
    config = normalized_config(COMPOSE_FILE, DEVCONTAINER_OVERRIDE, env_file=empty_env_file)
    app = config["services"]["app"]

    assert app["command"] == ["sleep", "infinity"]
    assert app["environment"]["DEV_HOST"] == "0.0.0.0"  # noqa: S104 - for the published port
    assert app["healthcheck"]["disable"] is True
    assert app["depends_on"]["postgres"]["condition"] == "service_healthy"


def test_devcontainer_installs_every_dependency_group_and_forwards_the_app(
    devcontainer: dict[str, Any],
) -> None:
    assert devcontainer["postCreateCommand"] == "uv sync --frozen --all-groups"
    assert devcontainer["forwardPorts"] == [8000]
    assert set(devcontainer["customizations"]["vscode"]["extensions"]) == {
        "ms-python.python",
        "charliermarsh.ruff",
        "ms-python.mypy-type-checker",
    }
