"""Clients writing and reading while PostgreSQL restarts, as in a deploy or a failover: no
500, no reset connection, every acknowledged write readable, writes back soon after."""

import itertools
import signal
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

import httpx
import pytest

from devstack.servers import wait_until
from tests.budgets import CONDITION_GUARD_SECONDS
from tests.http_clients import http_client
from tests.reliability.stack import Stack

# Starts app or server processes, or waits out timeouts: `just test-fast` leaves it out.
pytestmark = pytest.mark.slow

CLIENTS = 16
DOWN_SECONDS = 3.0  # how long the server stays stopped: the scenario, not a readiness wait
EXPECTED_STATUSES = {200, 201, 503}


@dataclass
class Load:
    """What the clients saw; the lists and counter are appended to from client threads."""

    statuses: Counter[int] = field(default_factory=Counter)
    transport_errors: list[str] = field(default_factory=list)
    created: list[tuple[float, str]] = field(default_factory=list)  # (monotonic time, id)
    stop: threading.Event = field(default_factory=threading.Event)

    def created_since(self, moment: float) -> bool:
        return any(at > moment for at, _ in self.created)


def write_and_read(url: str, client_number: int, load: Load) -> None:
    with httpx.Client(base_url=url, timeout=10) as client:
        for n in itertools.count():
            if load.stop.is_set():
                return
            item_id = f"load-{client_number}-{n}"
            try:
                created = client.post("/items", json={"id": item_id, "name": "n"})
                load.statuses[created.status_code] += 1
                if created.status_code == 201:
                    load.created.append((time.monotonic(), item_id))
                    load.statuses[client.get(f"/items/{item_id}").status_code] += 1
            except httpx.TransportError as exc:
                load.transport_errors.append(f"{type(exc).__name__}: {exc}")


def restart(stack: Stack, how: signal.Signals, load: Load) -> float:
    """Stop PostgreSQL with `how`, start it again; seconds until the next write succeeded."""
    stack.postgres.stop(how)
    time.sleep(DOWN_SECONDS)
    stack.postgres.start()
    back = time.monotonic()
    wait_until(
        lambda: load.created_since(back),
        timeout=CONDITION_GUARD_SECONDS,
        what=f"a write after the restart ({how.name})",
    )
    return time.monotonic() - back


def all_item_ids(url: str) -> set[str]:
    ids: set[str] = set()
    after = ""
    while True:
        params: dict[str, str | int] = {"limit": 100}
        if after:
            params["after"] = after
        page = http_client.get(f"{url}/items", params=params, timeout=10).json()
        if not page:
            return ids
        ids |= {item["id"] for item in page}
        after = page[-1]["id"]


@pytest.mark.long
def test_writes_through_fast_and_immediate_restarts_lose_nothing(stack: Stack) -> None:
    load = Load()
    clients = [
        threading.Thread(target=write_and_read, args=(stack.app.url, number, load))
        for number in range(CLIENTS)
    ]
    for client in clients:
        client.start()
    try:
        wait_until(
            lambda: len(load.created) >= 100, timeout=CONDITION_GUARD_SECONDS, what="100 writes"
        )
        fast = restart(stack, signal.SIGINT, load)
        immediate = restart(stack, signal.SIGQUIT, load)
        after = len(load.created)
        wait_until(
            lambda: len(load.created) >= after + 100,
            timeout=CONDITION_GUARD_SECONDS,
            what="100 writes after the restarts",
        )
    finally:
        load.stop.set()
        for client in clients:
            client.join()
        if stack.postgres.process is None:
            stack.postgres.start()
    print(f"writes back {fast:.2f} s after a fast restart, {immediate:.2f} s after an immediate")
    print(f"statuses {dict(load.statuses)}, {len(load.created)} items created")

    assert load.transport_errors == []
    assert set(load.statuses) <= EXPECTED_STATUSES, load.statuses
    assert load.statuses[503] > 0  # the outage was seen
    assert {item_id for _, item_id in load.created} <= all_item_ids(stack.app.url)
    assert "Traceback" not in stack.app.output()
