"""`just bench`: the example routes against a bare asyncpg route, side by side, one table;
the events routes on each Mongo driver against a bare `AsyncMongoClient` route, another.

Throwaway servers, one uvicorn worker per app (two in the workers rows; uvloop + httptools,
access log and SQL echo off), wrk with 32 connections, interleaved rounds; ratios are medians of
per-round ratios. BENCH_ROUTES picks the tables (`items,sessions,statements,events,observability`
by default). Logs, metrics and tracing are off except in the observability table, which measures
them.
"""

import asyncio
import os
import secrets
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import psutil

from app.core.config import Settings
from app.db import init_postgres_db
from bench import events
from bench.otlp_sink import running_sink
from bench.wrk import CONNECTIONS, WrkResult, require_wrk, run_wrk
from devstack.app_process import APP_FACTORY, AppProcess
from devstack.servers import running_servers

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "5"))
TABLES = os.environ.get("BENCH_ROUTES", "items,sessions,statements,events,observability").split(",")
SEED_ROWS = 10_000
PAGINATION_ROWS = 1_000_050
UVICORN_ARGS = (
    "--loop",
    "uvloop",
    "--http",
    "httptools",
    "--no-access-log",
    "--log-level",
    "warning",
)
POST_SCRIPT = Path(__file__).with_name("post_items.lua")
ROUTES = {
    "GET /items/{id}": "/items/item-05000",
    "GET /items?limit=50": "/items?limit=50",
    "POST /items": "/items",
}
FIRST_PAGE = "/items?limit=50"
# Worker processes per server in the scaling rows; 32 wrk connections spread over them.
WORKERS = 2


@dataclass
class Measured:
    """One target's runs of one route: wrk figures plus server CPU and reconnects."""

    results: list[WrkResult] = field(default_factory=list)
    cpu_us_per_request: list[float] = field(default_factory=list)
    reconnects: int = 0

    def median(self, attribute: str) -> float:
        return float(statistics.median(getattr(r, attribute) for r in self.results))


class Bench:
    def __init__(self, env: dict[str, str], workdir: Path) -> None:
        self.env = env
        self.workdir = workdir
        self.database = env["POSTGRES_DB"]

    def start(
        self,
        target: str,
        name: str,
        *,
        workers: int = 1,
        factory: bool = True,
        settings: dict[str, str] | None = None,
        **extra_env: str,
    ) -> AppProcess:
        app = AppProcess(
            env={**self.env, **(settings or {}), **extra_env},
            log_path=self.workdir / f"{name}.log",
            uvicorn_args=(*UVICORN_ARGS, "--workers", str(workers)),
            target=target,
            factory=factory,
        )
        app.start()
        try:
            app.wait_ready()
        except BaseException:
            app.terminate()
            raise
        return app

    def measure(self, app: AppProcess, path: str, into: Measured, *, post: bool = False) -> None:
        """One wrk run against `path`, adding its figures to `into`."""
        process = psutil.Process(app.pid)
        cpu_before = cpu_seconds(process)
        sessions_before = asyncio.run(self.sessions())
        url = app.url + path
        if post:
            result = run_wrk(url, SECONDS, POST_SCRIPT, secrets.token_hex(4))
        else:
            result = run_wrk(url, SECONDS)
        into.reconnects += asyncio.run(self.sessions()) - sessions_before - 1
        cpu = cpu_seconds(process) - cpu_before
        into.results.append(result)
        into.cpu_us_per_request.append(cpu / max(result.requests, 1) * 1e6)

    async def sessions(self) -> int:
        """Connections ever opened to the bench database (this query's own included)."""
        connection = await self.connect()
        try:
            count: int = await connection.fetchval(
                "SELECT sessions FROM pg_stat_database WHERE datname = $1", self.database
            )
        finally:
            await connection.close()
        return count

    async def connect(self) -> asyncpg.Connection:
        return await asyncpg.connect(
            host=self.env["POSTGRES_HOST"],
            port=int(self.env["POSTGRES_PORT"]),
            user=self.env["POSTGRES_USER"],
            password=self.env["POSTGRES_PASSWORD"],
            database=self.database,
        )

    async def seed(self, rows: int, prefix: str) -> None:
        connection = await self.connect()
        try:
            await connection.execute(
                "INSERT INTO items (id, name, description) SELECT $1 || lpad(g::text, $2, '0'), "
                "'item ' || g, 'seeded' FROM generate_series(1, $3) AS g",
                prefix,
                len(str(rows)),
                rows,
            )
            await connection.execute("VACUUM ANALYZE items")
        finally:
            await connection.close()

    async def id_at_row(self, row: int) -> str:
        connection = await self.connect()
        try:
            item_id: str = await connection.fetchval(
                "SELECT id FROM items ORDER BY id OFFSET $1 LIMIT 1", row - 1
            )
        finally:
            await connection.close()
        return item_id


def cpu_seconds(server: psutil.Process) -> float:
    """User and system CPU of a server and its worker processes, if it has any."""
    processes = [server, *server.children(recursive=True)]
    return sum(sum(process.cpu_times()[:2]) for process in processes)


def warm_up(bench: Bench, target: AppProcess, routes: dict[str, str] = ROUTES) -> None:
    """Statements prepared, and the pool grown to its size: twice the clients for a while,
    so a connection opened during a measured run is churn, not the pool still filling."""
    run_wrk(target.url + ROUTES["GET /items/{id}"], 2, connections=2 * CONNECTIONS)
    for route, path in routes.items():
        bench.measure(target, path, Measured(), post=route.startswith("POST"))


def compare_routes(bench: Bench) -> tuple[dict[str, dict[str, Measured]], dict[str, float]]:
    """Interleaved rounds: for each route, bare then app, ROUNDS times; and each server's
    resident memory (MB) at the end."""
    bare = bench.start("bench.bare_app:app", "bare", factory=False)
    app = bench.start(APP_FACTORY, "app")
    measured = {route: {"bare": Measured(), "app": Measured()} for route in ROUTES}
    try:
        for target in (bare, app):
            warm_up(bench, target)
        for round_number in range(1, ROUNDS + 1):
            print(f"round {round_number}/{ROUNDS}...", flush=True)
            for route, path in ROUTES.items():
                for name, target in (("bare", bare), ("app", app)):
                    bench.measure(
                        target, path, measured[route][name], post=route.startswith("POST")
                    )
        memory_mb = {name: resident_mb(target) for name, target in (("bare", bare), ("app", app))}
    finally:
        bare.terminate()
        app.terminate()
    return measured, memory_mb


def resident_mb(target: AppProcess) -> float:
    """The server process's resident set size, in MiB."""
    rss: int = psutil.Process(target.pid).memory_info().rss
    return rss / 2**20


def compare_echo(bench: Bench, path: str) -> dict[str, Measured]:
    """The app with SQL echo on (logging to a file) against echo off, same route."""
    return compare_servers(
        bench,
        path,
        {
            "echo off": bench.start(APP_FACTORY, "echo-off"),
            "echo on": bench.start(APP_FACTORY, "echo-on", POSTGRES_ECHO="true"),
        },
    )


# Production's defaults (ENVIRONMENT=production would also refuse the bench's passwords).
PRODUCTION_OBSERVABILITY = {"LOG_FORMAT": "json", "ACCESS_LOG": "true", "METRICS": "true"}


def compare_observability(bench: Bench) -> str:
    """GET /items/{id} with logs, metrics and tracing off, with production's defaults (JSON
    access lines, metrics), and with every request traced and exported; a table."""
    route = "GET /items/{id}"
    with running_sink() as sink:
        tracing = {
            **PRODUCTION_OBSERVABILITY,
            "FASTAPI_OTEL_AUTO_CONFIGURE": "true",
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": sink.traces_endpoint,
            "OTEL_SERVICE_NAME": "syncdesk-bench",
        }
        results = compare_servers(
            bench,
            ROUTES[route],
            {
                "off": bench.start(APP_FACTORY, "observability-off"),
                "defaults": bench.start(
                    APP_FACTORY, "production", settings=PRODUCTION_OBSERVABILITY
                ),
                "tracing": bench.start(APP_FACTORY, "tracing", settings=tracing),
            },
        )
        exports = sink.exports
    off = results["off"]
    lines = [
        "| route | app with | req/s | p50 ms | p99 ms | CPU µs/req | ratio | errors | reconnects |",
        "|" + "---|" * 9,
        row(route, "logs, metrics, tracing off", off, "1.00"),
        row(route, "production defaults: JSON access lines, metrics", results["defaults"],
            f"{ratio(results['defaults'], off):.2f} of off"),
        row(route, "and every request traced (OTLP export)", results["tracing"],
            f"{ratio(results['tracing'], off):.2f} of off"),
    ]  # fmt: skip
    return "\n".join(lines) + f"\n\n{exports} OTLP trace exports received from the traced app."


@dataclass(frozen=True)
class Variant:
    """An app to compare: its factory and how the table names it."""

    factory: str
    label: str


def compare_variants(
    bench: Bench, routes: dict[str, str], column: str, *, baseline: Variant, candidate: Variant
) -> str:
    """For each route, `candidate` against `baseline`, interleaved, each app started afresh;
    a table whose `column` names what differs."""
    lines = [
        f"| route | {column} | req/s | p50 ms | p99 ms | CPU µs/req | ratio | errors | "
        "reconnects |",
        "|" + "---|" * 9,
    ]
    for route, path in routes.items():
        servers = {
            "baseline": bench.start(baseline.factory, "baseline"),
            "candidate": bench.start(candidate.factory, "candidate"),
        }
        results = compare_servers(bench, path, servers, post=route.startswith("POST"))
        lines.append(row(route, baseline.label, results["baseline"], "1.00"))
        ratio_text = f"{ratio(results['candidate'], results['baseline']):.2f} of {baseline.label}"
        lines.append(row(route, candidate.label, results["candidate"], ratio_text))
    return "\n".join(lines)


def compare_read_sessions(bench: Bench) -> str:
    """The read routes on `PgReadSessionDep` (autocommit) against `PgSessionDep` (a
    transaction); a table."""
    return compare_variants(
        bench,
        {route: path for route, path in ROUTES.items() if route.startswith("GET")},
        "read routes on",
        baseline=Variant(
            "bench.transactional_reads_app:create_app", "PgSessionDep (a transaction)"
        ),
        candidate=Variant(APP_FACTORY, "PgReadSessionDep (autocommit)"),
    )


def compare_statement_paths(bench: Bench) -> str:
    """The items routes with statements compiled once (`fetch_one` / `fetch_all`) against the
    same routes through SQLAlchemy's `connection.execute`; a table."""
    return compare_variants(
        bench,
        ROUTES,
        "statements run by",
        baseline=Variant("bench.executed_statements_app:create_app", "connection.execute"),
        candidate=Variant(APP_FACTORY, "fetch_one / fetch_all"),
    )


def compare_workers(bench: Bench, path: str) -> dict[str, Measured]:
    """The app against the bare app, each with `WORKERS` uvicorn worker processes."""
    return compare_servers(
        bench,
        path,
        {
            "bare": bench.start(
                "bench.bare_app:app", "bare-workers", workers=WORKERS, factory=False
            ),
            "app": bench.start(APP_FACTORY, "app-workers", workers=WORKERS),
        },
    )


def compare_servers(
    bench: Bench, path: str, servers: dict[str, AppProcess], *, post: bool = False
) -> dict[str, Measured]:
    """Interleaved rounds of `path` on each server (POSTs of new items when `post`), all warmed
    first; stops them afterwards."""
    results = {name: Measured() for name in servers}
    try:
        for server in servers.values():
            # Long enough for every worker to start and fill its pool.
            warm_up(bench, server, {"POST" if post else "GET": path})
        for _ in range(ROUNDS):
            for name, server in servers.items():
                bench.measure(server, path, results[name], post=post)
    finally:
        for server in servers.values():
            server.terminate()
    return results


def worker_rows(workers: dict[str, Measured], one_worker_app: Measured) -> list[str]:
    """The two rows of `compare_workers`; the app's names its speed-up over one worker."""
    speedup = workers["app"].median("requests_per_second") / one_worker_app.median(
        "requests_per_second"
    )
    route, label = "GET /items/{id}", f"{WORKERS} workers"
    return [
        row(route, f"bare asyncpg, {label}", workers["bare"], "1.00"),
        row(
            route,
            f"app, {label}",
            workers["app"],
            f"{ratio(workers['app'], workers['bare']):.2f} ({speedup:.2f} x 1 worker's req/s)",
        ),
    ]


def compare_pages(bench: Bench, after: str) -> tuple[Measured, Measured]:
    """First keyset page against the page after row 1,000,000."""
    app = bench.start(APP_FACTORY, "pages")
    first, deep = Measured(), Measured()
    try:
        warm_up(bench, app, {"GET": FIRST_PAGE})
        for _ in range(ROUNDS):
            bench.measure(app, FIRST_PAGE, first)
            bench.measure(app, f"{FIRST_PAGE}&after={after}", deep)
    finally:
        app.terminate()
    return first, deep


def compile_bytecode() -> None:
    """Cold starts are measured with compiled bytecode, as the image ships it."""
    packages = sysconfig.get_paths()["purelib"]
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", "-j", "0", packages, "app", "bench"],
        check=True,
        stdout=subprocess.DEVNULL,
    )


def cold_start(bench: Bench, target: str, runs: int = 5, *, factory: bool = True) -> float:
    """Median seconds from spawning uvicorn to the first 200 on /health."""
    times = []
    for n in range(runs):
        app = AppProcess(
            env=bench.env,
            log_path=bench.workdir / f"cold-{n}.log",
            uvicorn_args=UVICORN_ARGS,
            target=target,
            factory=factory,
        )
        started = time.monotonic()
        app.start()
        app.wait_ready(timeout=60, poll_seconds=0.01)
        times.append(time.monotonic() - started)
        app.terminate()
    return statistics.median(times)


def ratio(app: Measured, bare: Measured) -> float:
    return statistics.median(
        a.requests_per_second / b.requests_per_second
        for a, b in zip(app.results, bare.results, strict=True)
    )


def row(label: str, target: str, measured: Measured, ratio_text: str) -> str:
    return (
        f"| {label} | {target} | {measured.median('requests_per_second'):,.0f} | "
        f"{measured.median('p50_ms'):.1f} | {measured.median('p99_ms'):.1f} | "
        f"{statistics.median(measured.cpu_us_per_request):,.0f} | {ratio_text} | "
        f"{sum(r.errors for r in measured.results)} | {measured.reconnects} |"
    )


def main() -> None:
    require_wrk()
    with (
        tempfile.TemporaryDirectory(prefix="syncdesk-bench-") as workdir,
        running_servers() as (postgres, mongo),
    ):
        env = {
            **postgres.env(),
            **mongo.env(),
            "ENVIRONMENT": "test",
            "POSTGRES_DB": "syncdesk_bench",
            "MONGO_DB": "syncdesk_bench",
            "POSTGRES_ECHO": "false",
            # Measured in their own table; off elsewhere, so the other rows keep their meaning.
            "ACCESS_LOG": "false",
            "METRICS": "false",
        }
        bench = Bench(env, Path(workdir))
        settings = Settings(_env_file=None, **{**env, "ENVIRONMENT": "development"})  # type: ignore[arg-type]
        asyncio.run(init_postgres_db(settings))
        asyncio.run(bench.seed(SEED_ROWS, "item-"))
        print(
            f"Seeded {SEED_ROWS:,} items; {ROUNDS} rounds of {SECONDS:.0f} s per route and target.",
            flush=True,
        )

        if "events" in TABLES:
            assert mongo.process is not None
            by_driver = events.compare(bench.start, mongo.process.pid, env, ROUNDS, SECONDS)
            print(f"\nEvents ({mongo.kind}):\n{events.table(by_driver)}\n", flush=True)
        if "sessions" in TABLES:
            print(f"\nRead sessions:\n{compare_read_sessions(bench)}\n", flush=True)
        if "statements" in TABLES:
            print(f"\nStatements:\n{compare_statement_paths(bench)}\n", flush=True)
        if "observability" in TABLES:
            print(f"\nObservability:\n{compare_observability(bench)}\n", flush=True)
        if "items" not in TABLES:
            return
        measured, memory_mb = compare_routes(bench)
        echo = compare_echo(bench, ROUTES["GET /items/{id}"])
        workers = compare_workers(bench, ROUTES["GET /items/{id}"])
        print(f"Seeding {PAGINATION_ROWS:,} more items for the pagination case...", flush=True)
        asyncio.run(bench.seed(PAGINATION_ROWS, "page-"))
        first, deep = compare_pages(bench, asyncio.run(bench.id_at_row(1_000_000)))
        compile_bytecode()
        cold_app, cold_trivial = (
            cold_start(bench, APP_FACTORY),
            cold_start(bench, "bench.trivial_app:app", factory=False),
        )

    header = (
        "| route | server | req/s | p50 ms | p99 ms | CPU µs/req | ratio | errors | reconnects |"
    )
    lines = [header, "|" + "---|" * 9]
    for route, targets in measured.items():
        lines.append(row(route, "bare asyncpg", targets["bare"], "1.00"))
        lines.append(
            row(route, "app", targets["app"], f"{ratio(targets['app'], targets['bare']):.2f}")
        )
    lines.append(
        row(
            "GET /items/{id}",
            "app, echo on",
            echo["echo on"],
            f"{ratio(echo['echo on'], echo['echo off']):.2f} of echo off",
        )
    )
    lines.extend(worker_rows(workers, measured["GET /items/{id}"]["app"]))
    lines.append(row("GET /items?limit=50", "app, first page", first, "1.00"))
    slowdown = first.median("requests_per_second") / deep.median("requests_per_second")
    label = f"{slowdown:.2f} x first page time"
    lines.append(row("GET /items?limit=50&after=…", "app, after row 1,000,000", deep, label))
    print("\n" + "\n".join(lines))
    print(
        f"\nCold start (spawn → first 200 on /health, median of 5): app {cold_app:.2f} s, "
        f"trivial FastAPI app {cold_trivial:.2f} s, ratio {cold_app / cold_trivial:.2f}"
    )
    print(
        f"Resident memory after the rounds: app {memory_mb['app']:.0f} MB, "
        f"bare asyncpg app {memory_mb['bare']:.0f} MB"
    )
    print(
        f"Machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}, "
        f"{subprocess.run(['wrk', '--version'], capture_output=True, text=True).stdout.split()[1]}"
    )


if __name__ == "__main__":
    main()
