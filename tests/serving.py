"""`python -m app.serve` run by tests: several uvicorn workers on a free port, and which one
holds a connection."""

import socket
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psutil

from devstack.app_process import ServingProcess
from devstack.servers import HeldPort, wait_until
from tests.budgets import CONDITION_GUARD_SECONDS

WORKERS = 2
STARTED = "Application startup complete."


class Served(ServingProcess):
    """`python -m app.serve` with `workers` workers on a free port of 127.0.0.1."""

    def __init__(self, env: dict[str, str], log_path: Path, workers: int = WORKERS) -> None:
        held_port = HeldPort()
        self.port = held_port.number
        argv = [sys.executable, "-m", "app.serve", "--port", str(self.port)]
        super().__init__(argv, {**env, "WEB_CONCURRENCY": str(workers)}, log_path, held_port)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def workers(self) -> list[psutil.Process]:
        """The worker processes: children spawned by multiprocessing (not its resource tracker)."""
        children = psutil.Process(self.pid).children()
        return [child for child in children if "spawn_main" in " ".join(child.cmdline())]

    def worker_holding(self, sock: socket.socket) -> int | None:
        """The pid of the worker that accepted `sock`'s connection, if one has."""
        client = sock.getsockname()
        for worker in self.workers():
            if any(c.raddr == client for c in worker.net_connections("tcp")):
                return worker.pid
        return None


@contextmanager
def serving(env: dict[str, str], log_path: Path, workers: int = WORKERS) -> Iterator[Served]:
    """The serving command, every worker started; stopped afterwards.

    `/health` answers as soon as one worker is up, while another may still be starting (and,
    in development, recreating the tables the first one serves).
    """
    server = Served(env, log_path, workers)
    server.start()
    try:
        server.wait_answering(f"{server.url}/health")
        wait_until(lambda: server.output().count(STARTED) >= workers,
                   timeout=CONDITION_GUARD_SECONDS, what="every worker started")  # fmt: skip
        yield server
    finally:
        server.terminate()
