"""`just dev`'s runner: serves the app on throwaway servers; a signal stops all of it."""

import os
import signal
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

from devstack.app_process import PROJECT_ROOT
from devstack.servers import answers_ok, free_port, wait_until
from tests.budgets import CONDITION_GUARD_SECONDS
from tests.server_homes import processes_in

# Starts app or server processes, or waits out timeouts: `just test-fast` leaves it out.
pytestmark = pytest.mark.slow


def start_dev(env: dict[str, str], log_path: Path) -> subprocess.Popen[bytes]:
    """`just dev`'s runner on throwaway servers (none named), with `env` added."""
    without_named_servers = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("POSTGRES_", "MONGO_"))
    }
    with log_path.open("wb") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "devstack.dev"],
            cwd=PROJECT_ROOT,
            env={**without_named_servers, **env},
            stdout=log,
            stderr=log,
        )


def ready(url: str, dev: subprocess.Popen[bytes]) -> bool:
    assert dev.poll() is None, "just dev exited early"
    return answers_ok(url, timeout=2)


def homes_of(processes: list[psutil.Process]) -> set[Path]:
    """The throwaway servers' folders: each is started on `<home>/data`."""
    return {
        Path(arg).parent
        for process in processes
        for arg in process.cmdline()
        if "/syncdesk-" in arg and arg.endswith("/data")
    }


# A developer's `.env` naming managed databases: `just dev` must not point its app at them.
MANAGED_URLS = (
    "POSTGRES_URL=postgresql://admin:secret@db.example.invalid:5432/production\n"
    "MONGO_URL=mongodb://admin:secret@mongo.example.invalid:27017/production\n"
)


@pytest.mark.long
@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM])
def test_dev_serves_the_app_on_its_own_servers_and_a_signal_leaves_nothing_behind(
    stop_signal: signal.Signals, tmp_path: Path
) -> None:
    port = free_port()
    dotenv = tmp_path / ".env"
    dotenv.write_text(MANAGED_URLS)
    env = {"DEV_PORT": str(port), "POSTGRES_ECHO": "false", "ENV_FILE": str(dotenv)}
    dev = start_dev(env, tmp_path / "dev.log")
    try:
        wait_until(lambda: ready(f"http://127.0.0.1:{port}/health/ready", dev), timeout=90,
                   what="just dev")  # fmt: skip
        children = psutil.Process(dev.pid).children(recursive=True)
        server_homes = homes_of(children)

        dev.send_signal(stop_signal)
        status = dev.wait(30)
    finally:
        if dev.poll() is None:
            dev.kill()

    assert status == 0, (tmp_path / "dev.log").read_text()
    assert len(children) >= 3  # uvicorn, PostgreSQL, the MongoDB server
    assert not [child for child in children if child.is_running() and child.status() != "zombie"]
    assert len(server_homes) == 2
    assert not [home for home in server_homes if home.exists()]


@pytest.mark.long
def test_a_signal_while_the_servers_start_leaves_nothing_behind(
    server_homes_parent: Path, tmp_path: Path
) -> None:
    log_path = tmp_path / "dev.log"
    dev = start_dev({"TMPDIR": str(server_homes_parent), "DEV_PORT": str(free_port())}, log_path)
    try:
        # Both servers start side by side, so once one has a home both are starting.
        wait_until(lambda: any(server_homes_parent.iterdir()), timeout=CONDITION_GUARD_SECONDS,
                   what="a server's home")  # fmt: skip
        dev.send_signal(signal.SIGINT)
        status = dev.wait(CONDITION_GUARD_SECONDS)
    finally:
        if dev.poll() is None:
            dev.kill()

    assert status == 0, log_path.read_text()
    assert "Ready" not in log_path.read_text()
    assert not list(server_homes_parent.iterdir())
    assert not processes_in(server_homes_parent)
