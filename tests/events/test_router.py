"""`/events` over HTTP against a real MongoDB-wire server, each test in its own database."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from bson import ObjectId
from httpx import AsyncClient, Response

from tests.databases import uses_mongo
from tests.timestamps import parse_utc

pytestmark = uses_mongo


async def create(client: AsyncClient, event_type: str = "signup") -> dict[str, object]:
    response = await client.post("/events", json={"type": event_type, "payload": {"n": 1}})
    assert response.status_code == 201, response.text
    body: dict[str, object] = response.json()
    return body


async def test_create_event_returns_id_and_utc_timestamp(client: AsyncClient) -> None:
    payload = {"user": "ann", "tags": ["a", "b"], "nested": {"ok": True, "n": 1.5, "none": None}}

    response = await client.post("/events", json={"type": "signup", "payload": payload})

    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"id", "type", "payload", "created_at"}
    assert ObjectId.is_valid(body["id"])
    assert len(body["id"]) == 24
    assert (body["type"], body["payload"]) == ("signup", payload)
    assert abs(datetime.now(UTC) - parse_utc(body["created_at"])) < timedelta(minutes=1)


async def test_create_event_without_payload_stores_empty_object(client: AsyncClient) -> None:
    response = await client.post("/events", json={"type": "ping"})

    assert response.status_code == 201
    assert response.json()["payload"] == {}


async def test_read_event_returns_what_was_created(client: AsyncClient) -> None:
    created = await create(client)

    response = await client.get(f"/events/{created['id']}")

    assert response.status_code == 200
    assert response.json() == created


async def test_read_event_not_found_is_404_with_the_error_message(client: AsyncClient) -> None:
    missing = str(ObjectId())

    response = await client.get(f"/events/{missing}")

    assert response.status_code == 404
    assert response.json() == {"detail": f"Event with identifier {missing} does not exists"}


async def test_read_event_with_malformed_id_is_404(client: AsyncClient) -> None:
    response = await client.get("/events/not-an-object-id")

    assert response.status_code == 404
    assert response.json() == {"detail": "Event with identifier not-an-object-id does not exists"}


async def test_list_events_is_newest_first(client: AsyncClient) -> None:
    ids = [(await create(client))["id"] for _ in range(3)]

    response = await client.get("/events")

    assert response.status_code == 200
    assert [event["id"] for event in response.json()] == ids[::-1]


async def test_list_events_filters_by_type(client: AsyncClient) -> None:
    await create(client, "signup")
    login = await create(client, "login")

    response = await client.get("/events", params={"type": "login"})

    assert response.json() == [login]


async def test_list_events_defaults_to_100_and_honours_limit(client: AsyncClient) -> None:
    newest_first = [(await create(client))["id"] for _ in range(101)][::-1]

    default = await client.get("/events")
    limited = await client.get("/events", params={"limit": 2})

    assert [event["id"] for event in default.json()] == newest_first[:100]
    assert [event["id"] for event in limited.json()] == newest_first[:2]


async def test_list_events_limit_out_of_range_is_422(client: AsyncClient) -> None:
    for limit in ("0", "101", "x"):
        response = await client.get("/events", params={"limit": limit})
        assert response.status_code == 422, limit


async def test_delete_event_is_204_then_404(client: AsyncClient) -> None:
    created = await create(client)

    first = await client.delete(f"/events/{created['id']}")
    second = await client.delete(f"/events/{created['id']}")

    assert (first.status_code, first.content) == (204, b"")
    assert "content-type" not in first.headers
    assert second.status_code == 404
    assert (await client.get(f"/events/{created['id']}")).status_code == 404


async def test_delete_event_with_malformed_id_is_404(client: AsyncClient) -> None:
    assert (await client.delete("/events/xyz")).status_code == 404


async def test_create_event_with_bad_type_or_payload_is_422(client: AsyncClient) -> None:
    bad_bodies = [
        {"type": ""},
        {"type": "t" * 101},
        {"payload": {}},
        {"type": "t", "payload": [1, 2]},
        {"type": "t", "payload": "text"},
        {"type": "t", "payload": None},
        {"type": 3},
    ]
    for body in bad_bodies:
        response = await client.post("/events", json=body)
        assert response.status_code == 422, body


def refuse(constant: str) -> None:
    raise AssertionError(f"not JSON: {constant}")


async def post_raw(client: AsyncClient, body: str) -> Response:
    """POST a JSON text as is: Python's encoder would refuse or rewrite some of these values."""
    headers = {"content-type": "application/json"}
    return await client.post("/events", content=body.encode(), headers=headers)


@pytest.mark.parametrize(
    ("payload", "where"),
    [
        ('{"n": 9223372036854775808}', "payload.n"),
        ('{"n": -9223372036854775809}', "payload.n"),
        ('{"a": [1, {"b": 100000000000000000000000}]}', "payload.a[1].b"),
    ],
)
async def test_create_event_with_integer_past_64_bits_is_422_naming_it(
    client: AsyncClient, payload: str, where: str
) -> None:
    response = await post_raw(client, f'{{"type": "t", "payload": {payload}}}')

    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert f"{where} must be an integer that fits in 64 bits" in error["msg"]


async def test_create_event_keeps_the_64_bit_extremes(client: AsyncClient) -> None:
    payload = {"max": 2**63 - 1, "min": -(2**63), "deep": [[{"max": 2**63 - 1}]]}

    created = await client.post("/events", json={"type": "t", "payload": payload})
    read = await client.get(f"/events/{created.json()['id']}")

    assert created.status_code == 201
    assert read.json()["payload"] == payload


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e400"])
async def test_create_event_with_a_non_finite_number_is_422(
    client: AsyncClient, number: str
) -> None:
    response = await post_raw(client, f'{{"type": "t", "payload": {{"x": [{number}]}}}}')

    assert response.status_code == 422
    [error] = json.loads(response.text, parse_constant=refuse)["detail"]  # strict JSON
    assert "payload.x[0] must be a finite number" in error["msg"]
