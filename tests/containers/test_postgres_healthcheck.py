"""The postgres service's healthcheck, run natively against a real PostgreSQL."""

import os
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest

from devstack.servers import PostgresServer, pg_bin
from tests.commands import run_command
from tests.containers.compose_cli import shell_command
from tests.containers.native import container_env

# Starts app or server processes, or waits out timeouts: `just test-fast` leaves it out.
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def postgres() -> Iterator[PostgresServer]:
    server = PostgresServer.create(user="syncdesk_owner")
    yield server
    server.remove()


@pytest.fixture(scope="module")
def healthcheck(services: dict[str, Any]) -> str:
    return shell_command(services["postgres"]["healthcheck"])


def run_healthcheck(command: str, server: PostgresServer) -> subprocess.CompletedProcess[str]:
    """The check as the container runs it: its shell, its POSTGRES_* and the local socket."""
    env = container_env(
        POSTGRES_USER=server.user,
        POSTGRES_DB="postgres",
        PGHOST=str(server.home),  # the socket directory; the image's default is compiled in
        PGPORT=str(server.port),
    )
    env["PATH"] = f"{pg_bin('pg_isready').parent}{os.pathsep}{env['PATH']}"
    return run_command(["sh", "-c", command], env=env)


def test_healthcheck_names_the_configured_user_and_database(healthcheck: str) -> None:
    # Without -U, pg_isready asks as `root` and the server logs "role root does not exist".
    assert healthcheck == 'pg_isready -U "${POSTGRES_USER}" -d "${POSTGRES_DB}"'


def test_healthcheck_passes_while_postgres_accepts_connections(
    healthcheck: str, postgres: PostgresServer
) -> None:
    result = run_healthcheck(healthcheck, postgres)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "accepting connections" in result.stdout


def test_healthcheck_fails_when_postgres_is_stopped(
    healthcheck: str, postgres: PostgresServer
) -> None:
    postgres.stop()
    try:
        result = run_healthcheck(healthcheck, postgres)
    finally:
        postgres.start()

    assert result.returncode != 0
    assert "no response" in result.stdout
