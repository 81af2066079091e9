"""`just bench-memory`: resident memory of one production worker, idle and under load.

The figures behind the Kubernetes memory request and limit (deploy/kubernetes/base): throwaway
servers, the migrations applied, `python -m app.serve` with the rendered Deployment's settings
(one worker, its pool sizes), then wrk with 64 connections on each route for BENCH_SECONDS (5)
while the worker's RSS is sampled; the last route posts bodies just under the 1 MiB limit.
"""

import asyncio
import os
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import asyncpg
import psutil

from bench.wrk import require_wrk, run_wrk
from devstack.app_process import PROJECT_ROOT, ServingProcess
from devstack.manifests import KUSTOMIZE_ROOT, environment, render, workload
from devstack.servers import MongoServer, PostgresServer, free_port, running_servers

SECONDS = int(os.environ.get("BENCH_SECONDS", "5"))
CONNECTIONS = 64
PASSWORD = "bench-" + secrets.token_hex(8)  # production refuses the default password
DATABASE = "syncdesk_memory"
SCRIPTS = Path(__file__).parent
ROUTES = {
    "GET /items?limit=100": ("/items?limit=100", None),
    "POST /items": ("/items", SCRIPTS / "post_items.lua"),
    "GET /events?limit=100": ("/events?limit=100", None),
    "POST /events": ("/events", SCRIPTS / "post_events.lua"),
    "POST /events, 1 MB bodies": ("/events", SCRIPTS / "post_large_events.lua"),
}


class PeakRss:
    """Samples a process's resident set size every 50 ms in a thread; keeps the largest."""

    def __init__(self, pid: int) -> None:
        self.process = psutil.Process(pid)
        self.peak = 0
        self.running = True
        self.thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while self.running:
            self.peak = max(self.peak, self.process.memory_info().rss)
            time.sleep(0.05)

    def __enter__(self) -> "PeakRss":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.running = False
        self.thread.join()


def mib(size: int) -> str:
    return f"{size / 2**20:.0f} MiB"


def production_env(postgres: PostgresServer, mongo: MongoServer) -> dict[str, str]:
    """The web container's variables (ConfigMap and example Secret), on the servers."""
    resources = render(KUSTOMIZE_ROOT / "overlays" / "production")
    web = environment(resources, workload(resources, "Deployment"))
    return {
        **os.environ,
        **web,
        **postgres.env(),
        **mongo.env(),
        "ENV_FILE": "",
        "POSTGRES_DB": DATABASE,
        "MONGO_DB": DATABASE,
    }


async def create_database(env: dict[str, str]) -> None:
    connection = await asyncpg.connect(
        host=env["POSTGRES_HOST"],
        port=int(env["POSTGRES_PORT"]),
        user=env["POSTGRES_USER"],
        password=env["POSTGRES_PASSWORD"],
        database="postgres",
    )
    try:
        await connection.execute(f'CREATE DATABASE "{DATABASE}"')
    finally:
        await connection.close()


def measure(env: dict[str, str], workdir: Path) -> None:
    asyncio.run(create_database(env))
    migrate = [sys.executable, "-m", "app.migrations"]
    subprocess.run(migrate, cwd=PROJECT_ROOT, env=env, check=True, capture_output=True)
    port = free_port()
    serve = [sys.executable, "-m", "app.serve", "--port", str(port)]
    app = ServingProcess(serve, env, workdir / "app.log")
    app.start()
    try:
        url = f"http://127.0.0.1:{port}"
        app.wait_answering(f"{url}/health/ready")
        print(f"started, idle: {mib(psutil.Process(app.pid).memory_info().rss)}")
        for route, (path, script) in ROUTES.items():
            with PeakRss(app.pid) as rss:
                result = run_wrk(url + path, SECONDS, script, secrets.token_hex(4),
                                 connections=CONNECTIONS)  # fmt: skip
            print(f"{route}: {result.requests_per_second:.0f} req/s, {result.errors} errors, "
                  f"peak {mib(rss.peak)}", flush=True)  # fmt: skip
        print(f"after the load: {mib(psutil.Process(app.pid).memory_info().rss)}")
    finally:
        app.terminate()


def main() -> None:
    require_wrk()
    with (
        running_servers(pg_password=PASSWORD, mongo_password=PASSWORD) as (postgres, mongo),
        tempfile.TemporaryDirectory(prefix="syncdesk-memory-") as workdir,
    ):
        measure(production_env(postgres, mongo), Path(workdir))


if __name__ == "__main__":
    main()
