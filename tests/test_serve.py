"""`python -m app.serve`: several uvicorn workers serve the contract and stop cleanly on SIGTERM."""

import http.client
import json
import os
import secrets
import signal
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.serve import WORKER_HEALTHCHECK_SECONDS
from devstack.servers import wait_until
from tests.budgets import (
    CONDITION_GUARD_SECONDS,
    PROCESS_MARGIN_SECONDS,
    STOP_GRACE_SECONDS,
)
from tests.http_clients import http_client
from tests.in_flight import finish_request, open_in_flight
from tests.log_lines import seconds_between
from tests.serving import WORKERS, Served, serving

# Starts app or server processes, or waits out timeouts: `just test-fast` leaves it out.
pytestmark = pytest.mark.slow

# uvicorn's supervisor looks at its workers every half second.
SUPERVISOR_LOOK_SECONDS = 0.5


@pytest.fixture
def served(scratch_env: dict[str, str], tmp_path: Path) -> Iterator[Served]:
    """The serving command with two workers on databases of its own, tables made at startup."""
    # Databases of its own: what it writes must not show in other tests' listings.
    env = {**scratch_env, "ENVIRONMENT": "development"}
    with serving(env, tmp_path / "serve.log") as server:
        yield server


def request(
    connection: http.client.HTTPConnection, method: str, path: str, body: object = None
) -> tuple[int, object]:
    """One request on a kept-alive connection: status and decoded JSON."""
    headers = {"Content-Type": "application/json"} if body is not None else {}
    connection.request(
        method, path, body=None if body is None else json.dumps(body), headers=headers
    )
    response = connection.getresponse()
    return response.status, json.loads(response.read())


def serve_both_databases(served: Served) -> int | None:
    """Create and read an item and an event on one connection; the worker that served them."""
    connection = http.client.HTTPConnection("127.0.0.1", served.port, timeout=10)
    try:
        item_id = f"worker-{secrets.token_hex(4)}"
        created_item = request(connection, "POST", "/items", {"id": item_id, "name": "W"})
        read_item = request(connection, "GET", f"/items/{item_id}")
        status, event = request(connection, "POST", "/events", {"type": "worker"})
        assert isinstance(event, dict)
        read_event = request(connection, "GET", f"/events/{event['id']}")
        assert (created_item[0], read_item[0], status, read_event[0]) == (201, 200, 201, 200)
        assert read_item[1] == created_item[1]
        assert read_event[1] == event
        assert connection.sock is not None
        return served.worker_holding(connection.sock)
    finally:
        connection.close()


def test_two_workers_serve_items_and_events(served: Served) -> None:
    served_by: list[int | None] = []

    def both_workers_served() -> bool:
        served_by.append(serve_both_databases(served))
        return len(served_by) >= 5 and len(set(served_by)) == WORKERS

    # The kernel hands each new connection to whichever worker accepts first: keep asking.
    wait_until(
        both_workers_served, timeout=CONDITION_GUARD_SECONDS, what="requests served by both workers"
    )

    assert set(served_by) == {worker.pid for worker in served.workers()}


def in_flight_body(number: int) -> tuple[str, bytes]:
    """Alternately an item and an event, so both databases are in use at shutdown."""
    if number % 2:
        return "/events", json.dumps({"type": "shutdown", "payload": {"n": number}}).encode()
    item = {"id": f"shutdown-{secrets.token_hex(4)}", "name": "S"}
    return "/items", json.dumps(item).encode()


def refuses_connections(served: Served) -> bool:
    try:
        socket.create_connection(("127.0.0.1", served.port), timeout=1).close()
    except ConnectionRefusedError:
        return True
    return False


def test_sigterm_refuses_new_connections_while_every_worker_finishes_its_requests(
    served: Served,
) -> None:
    in_flight: list[tuple[socket.socket, bytes]] = []
    holders: set[int | None] = set()

    def both_workers_busy() -> bool:
        path, body = in_flight_body(len(in_flight))
        sock = open_in_flight(served.port, path, body)
        in_flight.append((sock, body))
        holders.add(served.worker_holding(sock))
        return len(in_flight) >= 4 and holders == {w.pid for w in served.workers()}

    wait_until(
        both_workers_busy,
        timeout=CONDITION_GUARD_SECONDS,
        what="requests in flight on both workers",
    )
    workers = served.workers()
    assert len(workers) == WORKERS
    assert served.process is not None
    served.process.send_signal(signal.SIGTERM)  # to the parent only, as `docker stop` does
    started = time.monotonic()

    # While those requests are still open, a new client is refused, not left hanging.
    wait_until(lambda: refuses_connections(served), timeout=PROCESS_MARGIN_SECONDS,
               what="new connections refused")  # fmt: skip
    responses = [finish_request(sock, body) for sock, body in in_flight]
    status = served.wait_exit(timeout=STOP_GRACE_SECONDS)

    assert time.monotonic() - started < STOP_GRACE_SECONDS
    assert all(r.startswith(b"HTTP/1.1 201 ") for r in responses), responses
    # The parent exits 0 once its workers are joined; a lone worker re-raises the signal.
    assert status in (0, -signal.SIGTERM), served.output()
    output = served.output()
    for worker in workers:
        assert not worker.is_running()
        assert f"Finished server process [{worker.pid}]" in output, output
    assert output.count("Application shutdown complete.") == WORKERS, output
    for noise in ("Traceback", "Task was destroyed", "nclosed", "ERROR", "Exception"):
        assert noise not in output, output


@pytest.mark.parametrize(("allowed", "scheme"), [("127.0.0.1", "https"), ("192.0.2.1", "http")])
def test_forwarded_proto_is_trusted_only_from_forwarded_allow_ips(
    test_env: dict[str, str], tmp_path: Path, allowed: str, scheme: str
) -> None:
    env = {**test_env, "FORWARDED_ALLOW_IPS": allowed}
    with serving(env, tmp_path / "serve.log", workers=1) as server:
        # The trailing-slash redirect builds its Location from the scheme the app believes.
        response = http_client.get(f"{server.url}/items/", headers={"X-Forwarded-Proto": "https"})

    assert response.status_code == 307
    assert response.headers["location"] == f"{scheme}://127.0.0.1:{server.port}/items"


# uvicorn closes a connection idle this long unless told otherwise.
UVICORN_KEEP_ALIVE_SECONDS = 5


@pytest.mark.long
def test_an_idle_connection_outlives_uvicorns_default_keep_alive(
    test_env: dict[str, str], tmp_path: Path
) -> None:
    # Behind a proxy that reuses idle connections (ingress-nginx: up to 60 s) a close at 5 s
    # races the proxy's next request on that connection, which its client gets as a 502.
    with serving(test_env, tmp_path / "serve.log", workers=1) as server:
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        try:
            first = request(connection, "GET", "/health")
            assert connection.sock is not None
            local_address = connection.sock.getsockname()
            time.sleep(UVICORN_KEEP_ALIVE_SECONDS + 1)  # the idle time is what is under test
            second = request(connection, "GET", "/health")
            assert connection.sock is not None
            assert connection.sock.getsockname() == local_address  # the same connection
        finally:
            connection.close()

    assert first == second == (200, {"status": "ok"})


def test_a_worker_that_cannot_start_stops_the_server_with_status_3(
    test_env: dict[str, str], tmp_path: Path, refused_port: int
) -> None:
    env = {**test_env, "MONGO_PORT": str(refused_port), "LOG_FORMAT": "json"}
    server = Served(env, tmp_path / "serve.log")
    server.start()

    status = server.wait_exit(timeout=CONDITION_GUARD_SECONDS)

    assert status == 3, server.output()  # uvicorn's startup-failure status
    assert "Startup failed: MongoDB at" in server.output()
    assert "Traceback" not in server.output()
    # Seen at the supervisor's next look, not after its healthcheck's timeout (30 s); then it
    # stops the other worker, a process exiting (2.6 s once, with 4 test workers on 2 cores).
    seconds = seconds_between(server.output(), "Application startup failed", "Stopping parent")
    print(f"the parent stopped {seconds:.2f} s after the worker's failed start")
    assert seconds < SUPERVISOR_LOOK_SECONDS + PROCESS_MARGIN_SECONDS < WORKER_HEALTHCHECK_SECONDS


def test_invalid_settings_stop_the_command_with_one_clear_message(tmp_path: Path) -> None:
    server = Served({"PATH": os.environ.get("PATH", "")}, tmp_path / "serve.log", workers=0)
    server.start()

    status = server.wait_exit(timeout=CONDITION_GUARD_SECONDS)

    assert status == 1
    assert "Invalid settings" in server.output()
    assert "WEB_CONCURRENCY" in server.output()
    assert "Traceback" not in server.output()


SLOW_START = """
import os, time
if os.environ.get("SLOW_START_SECONDS"):
    time.sleep(float(os.environ["SLOW_START_SECONDS"]))
"""


@pytest.mark.long
def test_workers_slower_to_start_than_uvicorns_5_s_ping_are_not_killed(
    scratch_env: dict[str, str], tmp_path: Path
) -> None:
    # Every process (the parent, each worker) waits before its first import, as on a machine
    # too busy to answer uvicorn's 5 s healthcheck ping while a worker starts.
    (tmp_path / "sitecustomize.py").write_text(SLOW_START)
    env = {**scratch_env, "ENVIRONMENT": "development", "PYTHONPATH": str(tmp_path),
           "SLOW_START_SECONDS": "7"}  # fmt: skip

    with serving(env, tmp_path / "serve.log") as server:
        assert http_client.get(f"{server.url}/health").status_code == 200
        output = server.output()

    assert "died" not in output, output
