"""`just bench-drivers`: client CPU per `find_one` on Motor and on PyMongo's async API.

In-process, one call at a time, against a throwaway MongoDB server (SecantusDB where no
`mongod` is installed), on uvloop as the app runs; each figure is this process's CPU per
call (every thread, so Motor's worker threads count), median of interleaved rounds. The
server's own CPU is in another process and not counted.
"""

import os
import statistics
import sys
import time
from collections.abc import Awaitable, Callable

import uvloop
from bson import ObjectId

from app.core.config import MongoDriver, Settings
from app.db.mongo.db import MongoDatabase, close_client, create_client
from devstack.servers import running_servers

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))
CALLS = 1_000
WARM_UP_CALLS = 200
DRIVERS: tuple[MongoDriver, ...] = ("motor", "pymongo")

Call = Callable[[], Awaitable[object]]


async def cpu_us_per_call(call: Call) -> tuple[float, float]:
    """CPU and wall microseconds per call, after a warm-up."""
    for _ in range(WARM_UP_CALLS):
        await call()
    cpu, wall = time.process_time(), time.perf_counter()
    for _ in range(CALLS):
        await call()
    return (
        (time.process_time() - cpu) / CALLS * 1e6,
        (time.perf_counter() - wall) / CALLS * 1e6,
    )


def find_one(db: MongoDatabase, event_id: ObjectId) -> Call:
    async def call() -> object:
        return await db["events"].find_one({"_id": event_id})

    return call


async def compare(settings: Settings) -> dict[MongoDriver, list[tuple[float, float]]]:
    """Interleaved rounds of `find_one` on each driver's client, made as the app makes it."""
    clients = {d: create_client(settings.model_copy(update={"MONGO_DRIVER": d})) for d in DRIVERS}
    try:
        databases = {d: client[settings.MONGO_DB] for d, client in clients.items()}
        event_id = (await databases["pymongo"]["events"].insert_one({"type": "probe"})).inserted_id
        figures: dict[MongoDriver, list[tuple[float, float]]] = {d: [] for d in DRIVERS}
        for _ in range(ROUNDS):
            for driver, db in databases.items():
                figures[driver].append(await cpu_us_per_call(find_one(db, event_id)))
    finally:
        for client in clients.values():
            await close_client(client)
    return figures


def main() -> None:
    with running_servers() as (_, mongo):
        env = {**mongo.env(), "MONGO_DB": "syncdesk_probe"}
        settings = Settings(_env_file=None, **env)  # type: ignore[arg-type]
        figures = uvloop.run(compare(settings))
        kind = mongo.kind
    cpu = {d: statistics.median(c for c, _ in runs) for d, runs in figures.items()}
    wall = {d: statistics.median(w for _, w in runs) for d, runs in figures.items()}
    print(f"find_one, one call at a time, {ROUNDS} rounds of {CALLS} calls, on {kind}:")
    for driver in DRIVERS:
        print(
            f"  {driver:8} client CPU {cpu[driver]:6.0f} µs/call, wall {wall[driver]:6.0f} µs/call"
        )
    # Rounds are interleaved, so their ratios cancel most of a shared machine's drift.
    ratio = statistics.median(
        p[0] / m[0] for p, m in zip(figures["pymongo"], figures["motor"], strict=True)
    )
    print(f"  PyMongo async / Motor client CPU, median of per-round ratios: {ratio:.2f}")
    print(f"Machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}")


if __name__ == "__main__":
    main()
