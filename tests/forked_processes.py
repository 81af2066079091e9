"""The app under uvicorn, started as a fork of a process that has imported the libraries already.

The suite starts dozens of app processes, and each spent about a second of CPU importing
FastAPI, SQLAlchemy, PyMongo and pydantic before it could serve. Python's own forkserver
imports them once per test worker; each app is then a fork of it that runs uvicorn's command
line as `python -m uvicorn` would (its own session, output, environment, exit status, atexit
hooks). Only libraries that read no environment variable when imported are preloaded: the
app's own modules, prometheus_client and OpenTelemetry are imported in each child, from the
environment it was given.
"""

import atexit
import multiprocessing
import os
import runpy
import signal
import subprocess
import sys
import traceback
from multiprocessing.process import BaseProcess

from devstack.app_process import PROJECT_ROOT, AppProcess

PRELOADED = (
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
        # `python -m uvicorn ...`: the module and its arguments
        module, args = self.argv[2], self.argv[3:]
        process = _forkserver.Process(
            target=_run_module,
            args=(module, args, self.env, str(PROJECT_ROOT), str(self.log_path)),
            daemon=True,
        )
        process.start()
        self.process = ForkedProcess(process)


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


def _run_module(module: str, args: list[str], env: dict[str, str], cwd: str, log: str) -> None:
    os.setsid()  # as `start_new_session=True`: a signal to the group reaches only this app
    log_fd = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    os.dup2(log_fd, 1)
    os.dup2(log_fd, 2)
    os.close(log_fd)
    os.chdir(cwd)
    os.environ.clear()
    os.environ.update(env)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    sys.path.insert(0, cwd)  # what `python -m` puts first
    sys.argv = [module, *args]
    os._exit(_as_the_interpreter_would(module))


def _as_the_interpreter_would(module: str) -> int:
    """Run `module` as `__main__`, then exit as the interpreter does: its atexit hooks, the
    exit status from `SystemExit`, a traceback and 1 for an uncaught exception."""
    try:
        runpy.run_module(module, run_name="__main__", alter_sys=True)
        status = 0
    except SystemExit as exit_:
        status = _exit_status(exit_.code)
    except KeyboardInterrupt:  # the interpreter ends by the signal itself, after its hooks
        traceback.print_exc()
        _run_exit_hooks()
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGINT)
        status = 1
    except BaseException:  # what the interpreter prints for an exception nobody caught
        traceback.print_exc()
        status = 1
    _run_exit_hooks()
    return status


def _run_exit_hooks() -> None:
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        stream.flush()


def _exit_status(code: object) -> int:
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1
