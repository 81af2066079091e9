"""The app's routes by the database they need, and calls that time or check them."""

import time

import httpx

from devstack.app_process import AppProcess
from devstack.servers import answers_ok
from tests.http_clients import http_client

POSTGRES_ROUTES = [
    ("GET", "/items"),
    ("GET", "/items/a"),
    ("POST", "/items"),
    ("PATCH", "/items/a"),
    ("DELETE", "/items/a"),
]
MONGO_ROUTES = [
    ("GET", "/events"),
    ("GET", "/events/6b0734b1dac1d16683df1988"),
    ("POST", "/events"),
    ("DELETE", "/events/6b0734b1dac1d16683df1988"),
]
BODIES = {"/items": {"id": "a", "name": "A"}, "/items/a": {"name": "B"}, "/events": {"type": "t"}}


def call(app: AppProcess, method: str, path: str) -> tuple[httpx.Response, float]:
    """The app's response to `method path` (with a valid body), and how long it took."""
    body = BODIES.get(path) if method in ("POST", "PATCH") else None
    started = time.monotonic()
    response = http_client.request(method, f"{app.url}{path}", json=body, timeout=10)
    return response, time.monotonic() - started


def routes_all_work(app: AppProcess, routes: list[tuple[str, str]]) -> bool:
    """Whether every one of `routes` answers without a server error (a 404 or 409 is fine)."""
    return all(call(app, method, path)[0].status_code < 500 for method, path in routes)


def answers_health(app: AppProcess) -> bool:
    """Whether the app serves at all (`/health` needs no database)."""
    return answers_ok(f"{app.url}/health")
