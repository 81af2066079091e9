"""Concurrent requests through the real pool: exact outcomes, nothing acknowledged lost."""

import asyncio
import secrets
from collections import Counter
from collections.abc import AsyncIterator, Awaitable

import httpx
import pytest

from tests.budgets import CONDITION_GUARD_SECONDS
from tests.http_clients import load_limits
from tests.reliability.stack import Stack

# Starts app or server processes, or waits out timeouts: `just test-fast` leaves it out.
pytestmark = pytest.mark.slow

# Far more than the app's pool holds, so requests wait for it: that is the load under test.
CLIENT_CONNECTIONS = 100


@pytest.fixture
async def client(stack: Stack) -> AsyncIterator[httpx.AsyncClient]:
    limits = load_limits(CLIENT_CONNECTIONS)
    # Requests may queue for the client's connections, longer the busier the CPU: no limit
    # on that wait, which is the test's own; the guard bounds each exchange.
    timeout = httpx.Timeout(CONDITION_GUARD_SECONDS, pool=None)
    async with httpx.AsyncClient(base_url=stack.app.url, limits=limits, timeout=timeout) as client:
        yield client


async def at_most(limit: int, requests: list[Awaitable[httpx.Response]]) -> list[httpx.Response]:
    """The responses, in order, with at most `limit` requests in the client's pool at once:
    httpcore scans every queued request on each change, so 700 queued cost 20 s of its CPU."""
    semaphore = asyncio.Semaphore(limit)

    async def bounded(request: Awaitable[httpx.Response]) -> httpx.Response:
        async with semaphore:
            return await request

    return await asyncio.gather(*(bounded(request) for request in requests))


def new_id() -> str:
    return f"race-{secrets.token_hex(6)}"


async def test_fifty_concurrent_creates_of_one_id_give_one_201_and_49_409(
    client: httpx.AsyncClient,
) -> None:
    item_id = new_id()

    responses = await asyncio.gather(
        *(client.post("/items", json={"id": item_id, "name": f"n{n}"}) for n in range(50))
    )

    assert Counter(r.status_code for r in responses) == {201: 1, 409: 49}


async def test_concurrent_deletes_of_one_id_give_exactly_one_204(
    client: httpx.AsyncClient,
) -> None:
    item_id = new_id()
    created = await client.post("/items", json={"id": item_id, "name": "n"})
    assert created.status_code == 201, created.text

    responses = await asyncio.gather(*(client.delete(f"/items/{item_id}") for _ in range(30)))

    assert Counter(r.status_code for r in responses) == {204: 1, 404: 29}


async def test_concurrent_patches_and_deletes_stay_consistent(
    client: httpx.AsyncClient,
) -> None:
    item_id = new_id()
    created = await client.post("/items", json={"id": item_id, "name": "n"})
    assert created.status_code == 201, created.text
    requests = [client.patch(f"/items/{item_id}", json={"name": f"p{n}"}) for n in range(20)]
    requests += [client.delete(f"/items/{item_id}") for _ in range(10)]

    responses = await asyncio.gather(*requests)

    statuses = Counter(r.status_code for r in responses)
    assert set(statuses) <= {200, 204, 404}
    assert statuses[204] == 1
    assert (await client.get(f"/items/{item_id}")).status_code == 404


@pytest.mark.long
async def test_every_acknowledged_write_under_load_is_readable(
    client: httpx.AsyncClient,
) -> None:
    prefix = new_id()
    item_ids = [f"{prefix}-{n:04}" for n in range(500)]
    creates = [client.post("/items", json={"id": i, "name": "n"}) for i in item_ids]
    events = [
        client.post("/events", json={"type": prefix, "payload": {"n": n}}) for n in range(200)
    ]

    responses = await at_most(CLIENT_CONNECTIONS, [*creates, *events])

    assert Counter(r.status_code for r in responses) == {201: 700}
    stored = [item["id"] for item in await read_all_items(client, after=prefix)]
    assert [i for i in stored if i.startswith(prefix)] == item_ids
    event_ids = {r.json()["id"] for r in responses[500:]}
    for event_id in event_ids:
        assert (await client.get(f"/events/{event_id}")).status_code == 200
    listed = await client.get("/events", params={"type": prefix, "limit": 100})
    assert len(listed.json()) == 100


async def read_all_items(client: httpx.AsyncClient, after: str) -> list[dict[str, str]]:
    items: list[dict[str, str]] = []
    while page := (await client.get("/items", params={"limit": 100, "after": after})).json():
        items += page
        after = page[-1]["id"]
    return items
