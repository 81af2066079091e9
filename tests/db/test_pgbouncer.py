"""Behind PgBouncer in transaction mode: POSTGRES_TRANSACTION_POOLER makes the engine safe."""

import asyncio
from collections.abc import Callable, Iterator

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from app.core.config import Settings
from devstack.app_process import AppProcess
from tests.db.pgbouncer import pgbouncer_binary, running_pgbouncer
from tests.http_clients import load_limits

BINARY = pgbouncer_binary()
pytestmark = [
    pytest.mark.skipif(
        BINARY is None, reason="no pgbouncer on PATH (Debian: apt-get install pgbouncer)"
    ),
    pytest.mark.slow,  # starts PgBouncer and the app: `just test-fast` leaves it out
]

CLIENTS = 32
ROUNDS = 5


@pytest.fixture
def pgbouncer_port(settings: Settings, pg_engine: AsyncEngine) -> Iterator[int]:
    """PgBouncer in transaction mode in front of this run's PostgreSQL server."""
    assert BINARY is not None
    upstream = (settings.POSTGRES_HOST, settings.POSTGRES_PORT)
    password = settings.POSTGRES_PASSWORD.get_secret_value()
    with running_pgbouncer(BINARY, upstream, settings.POSTGRES_USER, password) as port:
        yield port


def start_behind_pgbouncer(
    start_app: Callable[..., AppProcess], env: dict[str, str], port: int, *, pooler: bool
) -> AppProcess:
    """The app under uvicorn, its tables created through PgBouncer at startup."""
    return start_app(
        {
            **env,
            "ENVIRONMENT": "development",
            "POSTGRES_HOST": "127.0.0.1",
            "POSTGRES_PORT": str(port),
            "POSTGRES_TRANSACTION_POOLER": "true" if pooler else "false",
        }
    )


async def item_lifecycles(url: str) -> list[str]:
    """CLIENTS clients at once, each creating, reading, listing, updating and deleting its
    own items ROUNDS times; returns every answer that was not the expected one."""
    limits = load_limits(CLIENTS)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=10) as http:

        async def one_client(number: int) -> list[str]:
            unexpected = []
            for round_ in range(ROUNDS):
                path = f"/items/c{number}-r{round_}"
                steps = [
                    ("POST", "/items", {"id": f"c{number}-r{round_}", "name": "n"}, 201),
                    ("GET", path, None, 200),
                    ("GET", "/items?limit=5", None, 200),
                    ("PATCH", path, {"name": "renamed"}, 200),
                    ("DELETE", path, None, 204),
                ]
                for method, target, body, expected in steps:
                    try:
                        response = await http.request(method, target, json=body)
                    except httpx.TransportError as exc:
                        unexpected.append(f"{method} {target}: {type(exc).__name__}")
                        continue
                    if response.status_code != expected:
                        unexpected.append(f"{method} {target}: {response.status_code}")
            return unexpected

        answers = await asyncio.gather(*(one_client(number) for number in range(CLIENTS)))
    return [failure for failures in answers for failure in failures]


@pytest.mark.long
async def test_items_routes_under_32_clients_behind_pgbouncer_have_no_errors(
    start_app: Callable[..., AppProcess], scratch_env: dict[str, str], pgbouncer_port: int
) -> None:
    app = start_behind_pgbouncer(start_app, scratch_env, pgbouncer_port, pooler=True)

    unexpected = await item_lifecycles(app.url)

    assert unexpected == []
    print(f"{CLIENTS} clients x {ROUNDS} item lifecycles behind PgBouncer: 0 errors")
    assert "behind a transaction pooler" in app.output()


@pytest.mark.long
async def test_without_the_setting_pgbouncer_breaks_the_statement_cache(
    start_app: Callable[..., AppProcess], scratch_env: dict[str, str], pgbouncer_port: int
) -> None:
    app = start_behind_pgbouncer(start_app, scratch_env, pgbouncer_port, pooler=False)

    unexpected = await item_lifecycles(app.url)

    assert unexpected, "the statement cache survived a transaction pooler"
    assert "prepared statement" in app.output()
