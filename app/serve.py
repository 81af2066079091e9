"""Serve the app for production: `python -m app.serve [--host HOST] [--port PORT]`.

uvicorn runs `WEB_CONCURRENCY` worker processes (one per CPU unless set) without reload, and
trusts X-Forwarded-* headers only from `FORWARDED_ALLOW_IPS`. Its own lines and the workers' share
the app's log format. With several workers and metrics on, the workers write their metrics to
`PROMETHEUS_MULTIPROC_DIR` (a temporary directory unless set), emptied here first: counts left by
an earlier run would be added to this one's. SIGTERM closes the listening
socket (new connections are refused), lets the requests in flight finish, closes each worker's
database clients and exits.
"""

import argparse
import os
import pickle
import sys
from multiprocessing.connection import wait

import uvicorn
from pydantic import ValidationError
from uvicorn.config import STARTUP_FAILURE
from uvicorn.supervisors import Multiprocess
from uvicorn.supervisors.multiprocess import Process

from app.core.config import get_settings
from app.observability.logs import configure_logging
from app.observability.metrics_directory import metrics_directory

APP_FACTORY = "app.main:create_app"


# uvicorn's supervisor pings each worker twice a second and kills one that takes 5 s to answer
# (its default). A worker answers only once it is spawned and has imported the app, which on a
# busy machine, or a cold one compiling bytecode, took longer: uvicorn then killed and respawned
# every worker every 5 s, and the server never started. A hung worker still goes, later.
WORKER_HEALTHCHECK_SECONDS = 30


def available_cpus() -> int:
    """CPUs this process may run on: its affinity mask (a container's cpuset) where known."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The address to bind; everything else comes from the settings."""
    parser = argparse.ArgumentParser(prog="python -m app.serve", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port to bind (default 8000)")
    return parser.parse_args(argv)


class WatchedWorker(Process):
    """uvicorn's worker process, whose healthcheck ends as soon as the worker exits.

    uvicorn waits for the ping's answer until its timeout even when the worker has exited
    meanwhile (as one whose startup failed does): with the 30 s above, the server then took
    30 s to notice a failed start.
    """

    def _healthcheck(self, timeout: float) -> bool | None:
        try:
            self.parent_conn.send(b"ping")
            ready = wait([self.parent_conn, self.process.sentinel], timeout)
            if self.parent_conn not in ready:
                return None  # exited, or no answer in time
            started: bool = self.parent_conn.recv()
            return started
        except (OSError, EOFError, pickle.UnpicklingError):
            return None


class DrainingMultiprocess(Multiprocess):
    """uvicorn's supervisor, closing its own copy of the listening socket when it stops.

    Otherwise the socket stays open in the parent until it exits: the kernel keeps accepting
    connections that no worker will serve, and those clients hang until they are reset. Closed
    here (and by each worker as it stops), new connections are refused at once, so a client or
    proxy retries elsewhere, while the requests in flight finish.
    """

    def init_processes(self) -> None:
        # uvicorn's, with watched workers (a worker restarted after a crash is uvicorn's own).
        for _ in range(self.processes_num):
            process = WatchedWorker(self.config, self.sockets)
            process.start()
            self.processes.append(process)

    def terminate_all(self) -> None:
        for sock in self.sockets:
            sock.close()
        super().terminate_all()


def serve(config: uvicorn.Config) -> int:
    """Serve until told to stop; the exit status, 3 when the app could not start.

    `uvicorn.run` stops but exits 0 when one of several workers fails to start: an orchestrator
    would take that for a clean stop, so the supervisor's workers are checked here.
    """
    if config.workers == 1:
        server = uvicorn.Server(config)
        server.run()
        return 0 if server.started else STARTUP_FAILURE
    supervisor = DrainingMultiprocess(config, sockets=[config.bind_socket()])
    supervisor.run()
    failed = any(worker.exitcode == STARTUP_FAILURE for worker in supervisor.processes)
    return STARTUP_FAILURE if failed else 0


def main(argv: list[str] | None = None) -> None:
    """Run uvicorn with the workers and trusted proxies the settings name."""
    args = parse_args(argv)
    try:
        settings = get_settings()
    except ValidationError as exc:
        sys.exit(f"Invalid settings: {exc}")
    configure_logging(settings)
    workers = settings.WEB_CONCURRENCY or available_cpus()
    config = uvicorn.Config(
        APP_FACTORY,
        factory=True,
        host=args.host,
        port=args.port,
        workers=workers,
        proxy_headers=True,
        forwarded_allow_ips=settings.FORWARDED_ALLOW_IPS,
        timeout_keep_alive=settings.TIMEOUT_KEEP_ALIVE,
        timeout_worker_healthcheck=WORKER_HEALTHCHECK_SECONDS,
        log_config=None,  # the app's configuration, above and in each worker's `create_app`
    )
    with metrics_directory(settings, workers):
        status = serve(config)
    sys.exit(status)


if __name__ == "__main__":
    main()
