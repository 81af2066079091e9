"""Run servers in child processes: the app under uvicorn, as the container does, or any command."""

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Protocol

from devstack.servers import HeldPort, answers_ok, wait_until

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# What uvicorn serves: the factory builds the app when the server starts.
APP_FACTORY = "app.main:create_app"


class StartedProcess(Protocol):
    """What the methods below use of a started process (`subprocess.Popen`'s names)."""

    @property
    def pid(self) -> int: ...

    def poll(self) -> int | None: ...

    def wait(self, timeout: float | None = None) -> int: ...

    def send_signal(self, sig: int) -> None: ...


class ServingProcess:
    """A long-running server command run from the project root; its output goes to `log_path`."""

    def __init__(
        self,
        argv: list[str],
        env: dict[str, str],
        log_path: Path,
        held_port: HeldPort | None = None,
    ) -> None:
        self.argv = argv
        self.env = env
        self.log_path = log_path
        # The port `argv` serves on, kept from other processes until the server answers.
        self.held_port = held_port
        self.process: StartedProcess | None = None

    @property
    def pid(self) -> int:
        assert self.process is not None, "not started"
        return self.process.pid

    def start(self) -> None:
        """Spawn the command in a session of its own; wait for it with the methods below."""
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                self.argv,
                cwd=PROJECT_ROOT,
                env=self.env,
                stdout=log,
                stderr=log,
                start_new_session=True,
            )

    def wait_answering(self, url: str, timeout: float = 60.0, poll_seconds: float = 0.05) -> None:
        """Poll `url` until it answers 200; fail with the log if the process exits first."""
        what = " ".join(self.argv[:4])
        try:
            wait_until(
                lambda: self._answers(url), timeout=timeout, what=what, poll_seconds=poll_seconds
            )
        finally:
            self._release_port()

    def wait_exit(self, timeout: float) -> int:
        """Wait for the process to end and return its exit status; one still running after
        `timeout` s is stopped before the `TimeoutExpired` is raised, so it outlives no test."""
        assert self.process is not None
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.terminate()
            raise
        finally:
            self._release_port()

    def terminate(self, timeout: float = 15.0) -> int:
        """SIGTERM, as `docker stop` sends, then SIGKILL to its group after `timeout` s."""
        assert self.process is not None
        self._release_port()
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                return self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
        return self.process.wait()

    def _release_port(self) -> None:
        if self.held_port is not None:
            self.held_port.release()

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def _answers(self, url: str) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            raise RuntimeError(f"{self.argv[0]} exited:\n{self.output()[-3000:]}")
        return answers_ok(url)


class AppProcess(ServingProcess):
    """uvicorn serving `target` (the app's factory by default; `factory=False` for an app
    object) on a free port of 127.0.0.1."""

    def __init__(
        self,
        env: dict[str, str],
        log_path: Path,
        *,
        uvicorn_args: tuple[str, ...] = (),
        target: str = APP_FACTORY,
        factory: bool = True,
    ) -> None:
        held_port = HeldPort()
        self.port = held_port.number
        argv = [sys.executable, "-m", "uvicorn", target, "--host", "127.0.0.1",
                "--port", str(self.port), *(["--factory"] if factory else []),
                *uvicorn_args]  # fmt: skip
        super().__init__(argv, {**os.environ, **env}, log_path, held_port)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wait_ready(self, timeout: float = 60.0, poll_seconds: float = 0.05) -> None:
        """Poll `/health` until it answers 200; fail with the log if the process exits."""
        self.wait_answering(f"{self.url}/health", timeout, poll_seconds)
