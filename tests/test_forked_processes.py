"""The suite's forked commands answer as the same commands started from scratch."""

import os
import signal
from pathlib import Path

import pytest

from devstack.app_process import AppProcess
from tests.commands import HANG_GUARD_SECONDS, run_command
from tests.forked_processes import ForkedAppProcess, run_forked
from tests.migrations.migrate import MIGRATE

# Starts app processes: `just test-fast` leaves it out.
pytestmark = pytest.mark.slow


def test_a_forked_command_exits_and_writes_as_the_command_started_from_scratch(
    test_env: dict[str, str], refused_port: int, tmp_path: Path
) -> None:
    # Its environment, not the worker's, decides where it connects (and it fails there).
    env = {**test_env, "POSTGRES_PORT": str(refused_port)}

    forked = run_forked(MIGRATE, cwd=tmp_path, env=env, timeout=HANG_GUARD_SECONDS)
    started = run_command(MIGRATE, cwd=tmp_path, env=env)

    assert started.returncode == 1, started.stderr
    assert (forked.returncode, forked.stdout, forked.stderr) == (
        started.returncode,
        started.stdout,
        started.stderr,
    )


def test_a_forked_app_has_its_own_session_and_ends_by_sigterm_as_one_started_from_scratch(
    test_env: dict[str, str], tmp_path: Path
) -> None:
    forked = ForkedAppProcess(env=test_env, log_path=tmp_path / "forked.log")
    started = AppProcess(env=test_env, log_path=tmp_path / "started.log")
    statuses = []
    for app in (forked, started):
        app.start()
        try:
            app.wait_ready()
            assert os.getsid(app.pid) == app.pid  # a signal to its group reaches only the app
        finally:
            statuses.append(app.terminate())

    # uvicorn raises the signal again once it has shut down: the status is the signal's.
    assert statuses == [-signal.SIGTERM, -signal.SIGTERM], forked.output() + started.output()
    assert "Finished server process" in forked.output()
