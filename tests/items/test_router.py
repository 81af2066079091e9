"""`/items` over HTTP against a real PostgreSQL, through the app's own sessions; the tables are
emptied after each test."""

from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import pytest
from httpx import AsyncClient

from tests.timestamps import parse_utc


async def create(client: AsyncClient, item_id: str, name: str = "Widget") -> dict[str, object]:
    response = await client.post("/items", json={"id": item_id, "name": name})
    assert response.status_code == 201, response.text
    body: dict[str, object] = response.json()
    return body


async def test_create_item_returns_it_with_a_utc_timestamp(client: AsyncClient) -> None:
    response = await client.post(
        "/items", json={"id": "a-1", "name": "Widget", "description": "Blue"}
    )

    assert response.status_code == 201
    body = response.json()
    assert {k: body[k] for k in ("id", "name", "description")} == {
        "id": "a-1",
        "name": "Widget",
        "description": "Blue",
    }
    assert set(body) == {"id", "name", "description", "created_at"}
    created_at = parse_utc(body["created_at"])
    assert abs(datetime.now(UTC) - created_at) < timedelta(minutes=1)


async def test_create_item_without_description_stores_null(client: AsyncClient) -> None:
    body = await create(client, "a-1")

    assert body["description"] is None


async def test_create_item_with_taken_id_is_409_with_the_error_message(client: AsyncClient) -> None:
    await create(client, "a-1")

    response = await client.post("/items", json={"id": "a-1", "name": "Other"})

    assert response.status_code == 409
    assert response.json() == {"detail": "Item with identifier a-1 already exists"}


async def test_read_item_returns_what_was_created(client: AsyncClient) -> None:
    created = await create(client, "a-1")

    response = await client.get("/items/a-1")

    assert response.status_code == 200
    assert response.json() == created


async def test_read_item_not_found_is_404_with_the_error_message(client: AsyncClient) -> None:
    response = await client.get("/items/missing")

    assert response.status_code == 404
    assert response.json() == {"detail": "Item with identifier missing does not exists"}


async def test_list_items_is_ordered_by_id(client: AsyncClient) -> None:
    for item_id in ("b", "c", "a"):
        await create(client, item_id)

    response = await client.get("/items")

    assert response.status_code == 200
    assert [item["id"] for item in response.json()] == ["a", "b", "c"]


async def test_list_items_of_empty_table_is_empty_list(client: AsyncClient) -> None:
    response = await client.get("/items")

    assert response.status_code == 200
    assert response.json() == []


async def test_list_items_defaults_to_50(client: AsyncClient) -> None:
    for n in range(51):
        await create(client, f"i{n:03}")

    response = await client.get("/items")

    assert [item["id"] for item in response.json()] == [f"i{n:03}" for n in range(50)]


async def test_list_items_pages_with_an_exclusive_after_cursor(client: AsyncClient) -> None:
    for item_id in ("a", "b", "c", "d", "e"):
        await create(client, item_id)

    first = (await client.get("/items", params={"limit": 2})).json()
    second = (await client.get("/items", params={"limit": 2, "after": first[-1]["id"]})).json()
    last = (await client.get("/items", params={"limit": 2, "after": second[-1]["id"]})).json()
    beyond = (await client.get("/items", params={"limit": 2, "after": "e"})).json()

    assert [[item["id"] for item in page] for page in (first, second, last, beyond)] == [
        ["a", "b"],
        ["c", "d"],
        ["e"],
        [],
    ]


async def test_list_items_accepts_limits_1_and_100(client: AsyncClient) -> None:
    ids = [f"i{n:03}" for n in range(101)]
    for item_id in ids:
        await create(client, item_id)

    one = await client.get("/items", params={"limit": 1})
    hundred = await client.get("/items", params={"limit": 100})

    assert [item["id"] for item in one.json()] == ids[:1]
    assert [item["id"] for item in hundred.json()] == ids[:100]


async def test_list_items_orders_ids_by_their_bytes(client: AsyncClient) -> None:
    # "C" collation: upper case, then "_", then lower case, then non-ASCII, on every server.
    for item_id in ("é", "a", "_", "B"):
        await create(client, item_id)

    response = await client.get("/items")

    assert [item["id"] for item in response.json()] == ["B", "_", "a", "é"]


async def test_list_items_limit_out_of_range_is_422(client: AsyncClient) -> None:
    for limit in ("0", "101", "-1", "ten"):
        response = await client.get("/items", params={"limit": limit})
        assert response.status_code == 422, limit
        assert response.json()["detail"][0]["loc"] == ["query", "limit"]


async def test_update_item_changes_only_the_fields_sent(client: AsyncClient) -> None:
    created = await client.post("/items", json={"id": "a", "name": "Old", "description": "D"})

    response = await client.patch("/items/a", json={"name": "New"})

    assert response.status_code == 200
    assert response.json() == {**created.json(), "name": "New"}
    assert (await client.get("/items/a")).json() == response.json()


async def test_update_item_with_null_description_clears_it(client: AsyncClient) -> None:
    await client.post("/items", json={"id": "a", "name": "N", "description": "D"})

    response = await client.patch("/items/a", json={"description": None})

    assert response.status_code == 200
    assert response.json()["description"] is None


async def test_update_item_not_found_is_404(client: AsyncClient) -> None:
    response = await client.patch("/items/missing", json={"name": "New"})

    assert response.status_code == 404
    assert response.json() == {"detail": "Item with identifier missing does not exists"}


async def test_update_item_without_fields_or_with_null_name_is_422(client: AsyncClient) -> None:
    await create(client, "a")

    for body in ({}, {"name": None}, {"name": ""}, {"name": "x" * 201}):
        assert (await client.patch("/items/a", json=body)).status_code == 422, body


async def test_delete_item_is_204_then_404(client: AsyncClient) -> None:
    await create(client, "a")

    first = await client.delete("/items/a")
    second = await client.delete("/items/a")

    assert (first.status_code, first.content) == (204, b"")
    assert "content-type" not in first.headers
    assert second.status_code == 404
    assert second.json() == {"detail": "Item with identifier a does not exists"}
    assert (await client.get("/items/a")).status_code == 404


async def test_create_item_accepts_fields_at_their_limits(client: AsyncClient) -> None:
    body = {"id": "i" * 64, "name": "n" * 200, "description": "d" * 2000}

    response = await client.post("/items", json=body)

    assert response.status_code == 201
    assert {k: response.json()[k] for k in body} == body


async def test_create_item_past_its_limits_is_422(client: AsyncClient) -> None:
    bad_bodies = [
        {"id": "", "name": "n"},
        {"id": "i" * 65, "name": "n"},
        {"id": "a", "name": ""},
        {"id": "a", "name": "n" * 201},
        {"id": "a", "name": "n", "description": "d" * 2001},
        {"name": "n"},
        {"id": "a"},
        {"id": 5, "name": "n"},
        {"id": "a", "name": ["n"]},
    ]
    for body in bad_bodies:
        response = await client.post("/items", json=body)
        assert response.status_code == 422, body


async def test_create_item_with_too_long_id_says_characters(client: AsyncClient) -> None:
    response = await client.post("/items", json={"id": "i" * 65, "name": "n"})

    assert response.status_code == 422
    assert response.json()["detail"][0]["msg"] == "String should have at most 64 characters"


REACHABLE_IDS = ["a b", "100%", "what?", "#1", "a+b", "é-ü", "~", "semi;colon", "back\\slash",
                 "...", "a.b", "🙂", "%2F"]  # fmt: skip


@pytest.mark.parametrize("item_id", REACHABLE_IDS)
async def test_an_accepted_id_is_reachable_by_its_percent_encoded_path(
    client: AsyncClient, item_id: str
) -> None:
    path = f"/items/{quote(item_id, safe='')}"
    created = await create(client, item_id)

    read = await client.get(path)
    patched = await client.patch(path, json={"name": "Renamed"})
    deleted = await client.delete(path)

    assert (read.status_code, read.json()) == (200, created)
    assert (patched.status_code, patched.json()["id"]) == (200, item_id)
    assert deleted.status_code == 204
    assert (await client.get(path)).status_code == 404


@pytest.mark.parametrize("item_id", ["a/b", "/", ".", ".."])
async def test_create_item_with_an_id_no_path_reaches_is_422(
    client: AsyncClient, item_id: str
) -> None:
    response = await client.post("/items", json={"id": item_id, "name": "n"})

    assert response.status_code == 422
    assert "no URL could reach it" in response.json()["detail"][0]["msg"]
