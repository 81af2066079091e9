"""The events routes on each Mongo driver against a bare `AsyncMongoClient` route.

Same run, same MongoDB server, interleaved rounds. Where that server is SecantusDB (written
in Python) it, not the app, may cap the request rate: the app's own CPU per request is then
the figure that compares the drivers, and the Mongo server's CPU per request shows the cap.
"""

import statistics
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psutil
from pymongo import MongoClient

from app.events.repository import INDEXES
from bench.wrk import WrkResult, run_wrk
from devstack.app_process import APP_FACTORY, AppProcess

# SecantusDB sorts in Python without the index (about 35 µs per stored event for the list
# route), so few events keep the list rows about the drivers rather than about the sort.
SEED_EVENTS = 200
POSTED_TYPE = "bench"  # what post_events.lua sends
POST_SCRIPT = Path(__file__).with_name("post_events.lua")
TARGETS = {
    "bare AsyncMongoClient": ("bench.bare_mongo_app:app", False, {}),
    "app, motor": (APP_FACTORY, True, {"MONGO_DRIVER": "motor"}),
    "app, pymongo": (APP_FACTORY, True, {"MONGO_DRIVER": "pymongo"}),
}
StartApp = Callable[..., AppProcess]


@dataclass
class Measured:
    """One target's runs of one route: wrk figures, app and Mongo server CPU per request."""

    results: list[WrkResult] = field(default_factory=list)
    app_cpu_us: list[float] = field(default_factory=list)
    mongo_cpu_us: list[float] = field(default_factory=list)

    def median(self, attribute: str) -> float:
        return float(statistics.median(getattr(r, attribute) for r in self.results))


def _client(env: dict[str, str]) -> MongoClient[dict[str, object]]:
    return MongoClient(
        env["MONGO_HOST"],
        int(env["MONGO_PORT"]),
        username=env["MONGO_USER"],
        password=env["MONGO_PASSWORD"],
    )


def seed(env: dict[str, str]) -> str:
    """Store `SEED_EVENTS` events with the app's indexes; return the id of one in the middle."""
    with _client(env) as client:
        events = client[env["MONGO_DB"]]["events"]
        start = datetime.now(UTC) - timedelta(days=1)
        documents = [
            {"type": "seed", "payload": {"n": n}, "created_at": start + timedelta(seconds=n)}
            for n in range(SEED_EVENTS)
        ]
        ids = events.insert_many(documents).inserted_ids
        events.create_indexes(INDEXES)
    return str(ids[SEED_EVENTS // 2])


def remove_posted(env: dict[str, str]) -> None:
    """Delete what a POST run stored, so every list run reads the same collection."""
    with _client(env) as client:
        client[env["MONGO_DB"]]["events"].delete_many({"type": POSTED_TYPE})


def routes(event_id: str) -> dict[str, str]:
    return {
        "GET /events/{id}": f"/events/{event_id}",
        "GET /events?limit=50": "/events?limit=50",
        "POST /events": "/events",
    }


def measure(
    app: AppProcess, mongo_pid: int, route: str, path: str, seconds: int, into: Measured
) -> None:
    """One wrk run, adding its figures and both processes' CPU per request to `into`."""
    processes = [psutil.Process(app.pid), psutil.Process(mongo_pid)]
    before = [sum(p.cpu_times()[:2]) for p in processes]
    script = POST_SCRIPT if route.startswith("POST") else None
    result = run_wrk(app.url + path, seconds, script)
    app_cpu, mongo_cpu = (
        sum(p.cpu_times()[:2]) - b for p, b in zip(processes, before, strict=True)
    )
    into.results.append(result)
    into.app_cpu_us.append(app_cpu / max(result.requests, 1) * 1e6)
    into.mongo_cpu_us.append(mongo_cpu / max(result.requests, 1) * 1e6)


def compare(
    start: StartApp, mongo_pid: int, env: dict[str, str], rounds: int, seconds: int
) -> dict[str, dict[str, Measured]]:
    """Interleaved rounds: for each route, each target in turn, `rounds` times."""
    paths = routes(seed(env))
    apps = {
        name: start(target, name.replace(", ", "-"), factory=factory, **extra)
        for name, (target, factory, extra) in TARGETS.items()
    }
    measured = {route: {name: Measured() for name in apps} for route in paths}

    def run(app: AppProcess, route: str, seconds: int, into: Measured) -> None:
        measure(app, mongo_pid, route, paths[route], seconds, into)
        if route.startswith("POST"):
            remove_posted(env)

    try:
        for app in apps.values():  # warm-up: connections opened, code paths hot
            for route in paths:
                run(app, route, 1, Measured())
        for round_number in range(1, rounds + 1):
            print(f"events round {round_number}/{rounds}...", flush=True)
            for route in paths:
                for name, app in apps.items():
                    run(app, route, seconds, measured[route][name])
    finally:
        for app in apps.values():
            app.terminate()
    return measured


def table(measured: dict[str, dict[str, Measured]]) -> str:
    """One Markdown table; ratios are of medians against the bare route of the same row group."""
    lines = [
        "| route | server | req/s | p50 ms | p99 ms | app CPU µs/req | CPU ratio "
        "| Mongo server CPU µs/req | errors |",
        "|" + "---|" * 9,
    ]
    for route, targets in measured.items():
        bare_cpu = statistics.median(targets["bare AsyncMongoClient"].app_cpu_us)
        for name, m in targets.items():
            app_cpu = statistics.median(m.app_cpu_us)
            lines.append(
                f"| {route} | {name} | {m.median('requests_per_second'):,.0f} | "
                f"{m.median('p50_ms'):.1f} | {m.median('p99_ms'):.1f} | {app_cpu:,.0f} | "
                f"{app_cpu / bare_cpu:.2f} | {statistics.median(m.mongo_cpu_us):,.0f} | "
                f"{sum(r.errors for r in m.results)} |"
            )
    return "\n".join(lines)
