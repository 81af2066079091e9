"""`python -m uvicorn ...` and `python -m app.migrations` as forks of a process that has
imported the libraries already.

The suite starts dozens of app processes, and each spent about a second of CPU importing
FastAPI, SQLAlchemy, PyMongo and pydantic before it could serve. Python's own forkserver
imports them once per test worker; each command is then a fork of it that runs its module as
`python -m` would (its own session, output, environment, exit status, atexit hooks). Only
libraries that read no environment variable when imported are preloaded: the app's own
modules, prometheus_client and OpenTelemetry are imported in each child, from the
environment it was given. Commands a test runs as a user or an image would (`just`, `python -m
app.serve`, its workers) still start from scratch.
"""

import ast
import multiprocessing
import os
import signal
import subprocess
import sys
import tempfile
from functools import cache
from multiprocessing.process import BaseProcess
from pathlib import Path

from devstack.app_process import PROJECT_ROOT, AppProcess
from tests.forked_main import run_module_as_main

PRELOADED = (
    "alembic.command",
    "asyncpg",
    "fastapi",
    "pydantic_settings",
    "pymongo",
    "sqlalchemy.dialects.postgresql.asyncpg",
    "sqlalchemy.ext.asyncio",
    "sqlalchemy.orm",
    "uvicorn.main",
)

_forkserver = multiprocessing.get_context("forkserver")
_forkserver.set_forkserver_preload(list(PRELOADED))


class ForkedAppProcess(AppProcess):
    """`AppProcess` (uvicorn's command line, on a free port) run as a forkserver child."""

    def start(self) -> None:
        self.process = start_forked(self.argv, self.env, PROJECT_ROOT, self.log_path)


def start_forked(
    argv: list[str], env: dict[str, str], cwd: Path, log_path: Path, stderr_path: Path | None = None
) -> "ForkedProcess":
    """Start `python -m module args...` (`argv`) as a forkserver child: stdout appended to
    `log_path`, stderr too unless `stderr_path` names its own file."""
    assert argv[:2] == [sys.executable, "-m"], argv
    outputs = (str(log_path), str(stderr_path or log_path))
    # What `python -m` puts first on the path: the working directory, then PYTHONPATH's folders.
    first = [str(cwd), *filter(None, env.get("PYTHONPATH", "").split(os.pathsep))]
    process = _forkserver.Process(
        target=run_module_as_main,
        args=(argv[2], argv[3:], env, str(cwd), outputs, first + _interpreter_path()),
        daemon=True,
    )
    process.start()
    return ForkedProcess(process)


def run_forked(
    argv: list[str], *, cwd: Path, env: dict[str, str], timeout: float
) -> subprocess.CompletedProcess[str]:
    """`subprocess.run(argv, capture_output=True, text=True)` for `python -m module args...`,
    run as a forkserver child; one still running after `timeout` s is killed, then raises."""
    with tempfile.TemporaryDirectory() as outputs:
        stdout, stderr = Path(outputs) / "stdout", Path(outputs) / "stderr"
        process = start_forked(argv, env, cwd, stdout, stderr)
        try:
            status = process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            raise
        return subprocess.CompletedProcess(
            argv, status, stdout.read_text(errors="replace"), stderr.read_text(errors="replace")
        )


@cache
def _interpreter_path() -> list[str]:
    """The path a fresh interpreter has after its first entries (the standard library and the
    environment's site-packages), without what pytest put on this process's path."""
    clean_env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    argv = [sys.executable, "-c", "import sys; print(repr(sys.path[1:]))"]
    listing = subprocess.run(argv, env=clean_env, capture_output=True, text=True, check=True)
    path: list[str] = ast.literal_eval(listing.stdout)
    return path


class ForkedProcess:
    """The part of `subprocess.Popen` the suite uses, for a forkserver child."""

    def __init__(self, process: BaseProcess) -> None:
        self._process = process
        self.returncode: int | None = None

    @property
    def pid(self) -> int:
        assert self._process.pid is not None
        return self._process.pid

    def poll(self) -> int | None:
        self.returncode = self._process.exitcode
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        self._process.join(timeout)
        if self.poll() is None:
            raise subprocess.TimeoutExpired(f"forked process {self.pid}", timeout or 0)
        assert self.returncode is not None
        return self.returncode

    def send_signal(self, sig: int) -> None:
        if self.poll() is None:
            os.kill(self.pid, sig)
