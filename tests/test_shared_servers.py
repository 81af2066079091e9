"""The suite's throwaway servers: one pair per run, removed at its end, also when interrupted."""

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from devstack.app_process import PROJECT_ROOT
from devstack.servers import wait_until
from tests.budgets import CONDITION_GUARD_SECONDS
from tests.server_homes import processes_in
from tests.shared_servers import SETTINGS_FILE_VARIABLE

# Starts server processes: `just test-fast` leaves it out.
pytestmark = pytest.mark.slow

# Two tests that need the servers, the second blocked until the run is interrupted.
INNER_TESTS = """
import os
import signal
from pathlib import Path


def test_first(server_env):
    Path(os.environ["SERVERS_SEEN"]).write_text(server_env["POSTGRES_PORT"])


def test_second_waits_for_the_signal(server_env):
    Path(os.environ["SECOND_STARTED"]).touch()
    signal.pause()
"""


def start_inner_run(
    tests: Path, homes: Path, tmp_path: Path, workers: int
) -> subprocess.Popen[bytes]:
    """pytest on `tests` with this suite's fixtures, on throwaway servers whose homes go in
    `homes`; its output goes to `tmp_path / "inner.log"`."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("POSTGRES_", "MONGO_")) and key != SETTINGS_FILE_VARIABLE
    }
    env |= {
        "TMPDIR": str(homes),
        "SERVERS_SEEN": str(tmp_path / "servers-seen"),
        "SECOND_STARTED": str(tmp_path / "second-started"),
    }
    argv = [sys.executable, "-m", "pytest", "-c", str(PROJECT_ROOT / "pyproject.toml")]
    argv += ["--rootdir", str(PROJECT_ROOT), "-p", "tests.conftest", "-p", "no:cacheprovider"]
    argv += ["-n", str(workers), str(tests)] if workers else [str(tests)]
    with (tmp_path / "inner.log").open("wb") as log:
        return subprocess.Popen(argv, cwd=PROJECT_ROOT, env=env, stdout=log, stderr=log)


@pytest.mark.long
@pytest.mark.parametrize("workers", [0, 1])
def test_an_interrupted_run_removes_the_servers_its_tests_shared(
    workers: int, server_homes_parent: Path, tmp_path: Path
) -> None:
    tests = tmp_path / "test_inner.py"
    tests.write_text(INNER_TESTS)
    run = start_inner_run(tests, server_homes_parent, tmp_path, workers)
    try:
        wait_until(lambda: (tmp_path / "second-started").exists(),
                   timeout=CONDITION_GUARD_SECONDS, what="the second test")  # fmt: skip
        servers = processes_in(server_homes_parent)
        run.send_signal(signal.SIGTERM)
        status = run.wait(CONDITION_GUARD_SECONDS)
    finally:
        if run.poll() is None:
            run.kill()

    log = (tmp_path / "inner.log").read_text()
    assert status != 0, log
    assert (tmp_path / "servers-seen").exists(), log  # the first test had them
    assert len({process.pid for process in servers}) >= 2, log  # PostgreSQL's and MongoDB's
    assert not [p for p in servers if p.is_running() and p.status() != "zombie"], log
    # pytest's own temporary folders are there too; the servers' homes are not.
    assert not list(server_homes_parent.glob("syncdesk-*")), log
