"""The normalized compose configuration, read once for the container checks."""

from pathlib import Path
from typing import Any

import pytest

from tests.containers.compose_cli import COMPOSE_FILE, normalized_config


@pytest.fixture(scope="session")
def empty_env_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An env file with nothing in it: compose's own defaults, whatever `.env` holds."""
    path = tmp_path_factory.mktemp("compose") / "empty.env"
    path.write_text("")
    return path


@pytest.fixture(scope="session")
def compose_config(empty_env_file: Path) -> dict[str, Any]:
    """compose.yaml as Compose v2 normalizes it, with its default settings."""
    return normalized_config(COMPOSE_FILE, env_file=empty_env_file)


@pytest.fixture(scope="session")
def services(compose_config: dict[str, Any]) -> dict[str, Any]:
    services: dict[str, Any] = compose_config["services"]
    return services
