"""The Deployment's container run as its pod runs it: command, args, ConfigMap and example Secret,
read-only but for its emptyDir; its probes through an outage; its drain on SIGTERM."""

import json
import secrets
import signal
import subprocess
import time
from collections.abc import AsyncIterator, Callable, Iterator

import httpx
import pytest

from devstack.manifests import Resource, container, pod_spec
from devstack.servers import MongoServer, PostgresServer, wait_until
from tests.deploy.local_cluster import (
    Addresses,
    StartPod,
    database_on,
    past_startup,
    pods_on,
    run_job,
)
from tests.deploy.pod import Pod, pod_env, sandboxed, writable_paths
from tests.http_clients import http_client
from tests.in_flight import finish_request, open_in_flight

# Starts app or server processes, or waits out timeouts: `just test-fast` leaves it out.
pytestmark = pytest.mark.slow

IN_FLIGHT = 4
# The code and its virtualenv (the working directory), root's home and the image user's.
READ_ONLY = [".", ".venv", "/root", "/home"]
WRITE_PROBE = """
import os, sys
for folder in sys.argv[1:]:
    try:
        with open(os.path.join(folder, "probe"), "w"):
            pass
    except OSError as exc:
        print(folder, exc.strerror)
    else:
        print(folder, "writable")
"""


@pytest.fixture(scope="module")
async def migrated_database(
    addresses: Addresses, web_env: dict[str, str], job: Resource, production: list[Resource],
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[str]:  # fmt: skip
    """A database the migration Job's container migrated, for this module's pods."""
    async with database_on(addresses, web_env) as database:
        with pods_on(addresses, production, tmp_path_factory.mktemp("job")) as start:
            await run_job(start, job, database)
        yield database


@pytest.fixture(scope="module")
def web_pod(
    addresses: Addresses, production: list[Resource], deployment: Resource,
    migrated_database: str, tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Pod]:  # fmt: skip
    """The web container serving the migrated database, past its startup probe."""
    with pods_on(addresses, production, tmp_path_factory.mktemp("web")) as start:
        yield past_startup(start(deployment, migrated_database), deployment)


@pytest.fixture
async def client(web_pod: Pod) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=web_pod.url, timeout=10) as client:
        yield client


async def test_web_pod_serves_items_and_events(client: httpx.AsyncClient) -> None:
    item = await client.post("/items", json={"id": "pod-item", "name": "P"})
    event = await client.post("/events", json={"type": "pod"})

    assert item.status_code == 201, item.text
    assert (await client.get("/items/pod-item")).json() == item.json()
    assert event.status_code == 201, event.text
    assert (await client.get(f"/events/{event.json()['id']}")).json() == event.json()
    ready = await client.get("/health/ready")
    assert ready.json() == {"status": "ok", "checks": {"postgres": "ok", "mongo": "ok"}}


async def test_web_pod_applies_the_configmap(
    client: httpx.AsyncClient, web_env: dict[str, str]
) -> None:
    origin = web_env["CORS_ORIGINS"]
    preflight = {"Origin": origin, "Access-Control-Request-Method": "POST"}

    allowed = await client.options("/items", headers=preflight)
    docs = await client.get("/docs")

    assert allowed.headers["access-control-allow-origin"] == origin
    assert docs.status_code == 404  # API_DOCS=false


def test_pod_file_system_is_read_only_but_its_empty_dir(deployment: Resource) -> None:
    """The sandbox every pod here runs in: code, virtualenv and home refuse writes."""
    code = container(deployment)["command"][0]
    writable = writable_paths(deployment)
    argv = sandboxed([code, "-c", WRITE_PROBE, *READ_ONLY, *writable], writable)

    result = subprocess.run(argv, env=pod_env({}), capture_output=True, text=True, check=True)

    assert result.stdout.splitlines() == [
        *(f"{folder} Read-only file system" for folder in READ_ONLY),
        *(f"{folder} writable" for folder in writable),
    ]


def timed_get(pod: Pod, path: str, timeout: float) -> tuple[int, float]:
    started = time.monotonic()
    response = http_client.get(f"{pod.url}{path}", timeout=timeout)
    return response.status_code, time.monotonic() - started


Server = PostgresServer | MongoServer
OUTAGES: dict[str, tuple[Callable[[Server], None], Callable[[Server], None]]] = {
    "stopped": (lambda server: server.stop(), lambda server: server.start()),
    "frozen": (lambda server: server.pause(), lambda server: server.resume()),
}


@pytest.fixture(params=OUTAGES)
def outage(
    request: pytest.FixtureRequest, pod_servers: tuple[PostgresServer, MongoServer]
) -> Iterator[Callable[[], None]]:
    """PostgreSQL and MongoDB both stopped, or both frozen (SIGSTOP); yields the repair, which
    also runs afterwards if the test did not."""
    inject, repair = OUTAGES[request.param]
    for server in pod_servers:
        inject(server)
    down = True

    def end_outage() -> None:
        nonlocal down
        if down:
            for server in pod_servers:
                repair(server)
            down = False

    yield end_outage
    end_outage()


def test_probes_through_a_database_outage(
    web_pod: Pod, deployment: Resource, outage: Callable[[], None]
) -> None:
    liveness = container(deployment)["livenessProbe"]
    readiness = container(deployment)["readinessProbe"]

    live, live_seconds = timed_get(web_pod, liveness["httpGet"]["path"], 10)
    ready, ready_seconds = timed_get(web_pod, readiness["httpGet"]["path"], 10)
    assert (live, ready) == (200, 503)
    assert live_seconds < liveness["timeoutSeconds"]
    assert ready_seconds < readiness["timeoutSeconds"]

    outage()
    url = f"{web_pod.url}{readiness['httpGet']['path']}"
    # Back in the Service within a few probe periods, without a restart.
    recovery = readiness["periodSeconds"] * readiness["failureThreshold"] * 2
    wait_until(lambda: http_client.get(url, timeout=5).status_code == 200, timeout=recovery,
               what="readiness after the databases came back")  # fmt: skip


def in_flight_body(number: int) -> tuple[str, bytes]:
    """Alternately an item and an event, so both databases are in use at shutdown."""
    if number % 2:
        return "/events", json.dumps({"type": "drain", "payload": {"n": number}}).encode()
    return "/items", json.dumps({"id": f"drain-{secrets.token_hex(4)}", "name": "D"}).encode()


def test_sigterm_finishes_requests_in_flight_and_exits_0_within_the_grace_period(
    start_pod: StartPod, deployment: Resource, migrated_database: str
) -> None:
    web_pod = past_startup(start_pod(deployment, migrated_database), deployment)
    grace = pod_spec(deployment)["terminationGracePeriodSeconds"]
    pause = container(deployment)["lifecycle"]["preStop"]["sleep"]["seconds"]
    assert web_pod.port is not None
    requests = [in_flight_body(number) for number in range(IN_FLIGHT)]
    in_flight = [(open_in_flight(web_pod.port, path, body), body) for path, body in requests]

    # The kubelet runs the preStop pause, then signals; the grace period counts from the pause.
    web_pod.stop(signal.SIGTERM)
    started = time.monotonic()
    responses = [finish_request(sock, body) for sock, body in in_flight]
    status = web_pod.wait_exit(timeout=grace - pause)

    assert time.monotonic() - started < grace - pause
    assert all(r.startswith(b"HTTP/1.1 201 ") for r in responses), responses
    assert status == 0, web_pod.output()
    assert "Traceback" not in web_pod.output()
