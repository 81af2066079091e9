"""The throwaway servers: removing one (no clean shutdown: its data goes) leaves nothing."""

from collections.abc import Iterator

import psutil
import pytest

from devstack.servers import MongoServer, PostgresServer

# Starts server processes: `just test-fast` leaves it out.
pytestmark = pytest.mark.slow


@pytest.fixture(params=[PostgresServer, MongoServer])
def server(request: pytest.FixtureRequest) -> Iterator[PostgresServer | MongoServer]:
    server: PostgresServer | MongoServer = request.param.create()
    yield server
    server.remove()  # safe twice


def test_removing_a_server_ends_all_its_processes_and_deletes_its_home(
    server: PostgresServer | MongoServer,
) -> None:
    parent = psutil.Process(server.pid)
    processes = [parent, *parent.children(recursive=True)]

    server.remove()

    assert not [p for p in processes if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    assert not server.home.exists()
