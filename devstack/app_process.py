"""Run the app under uvicorn in a child process, as the container does."""

import os
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from devstack.servers import free_port, wait_until

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass
class AppProcess:
    """A uvicorn process serving `target`; its output goes to `log_path`."""

    env: dict[str, str]
    log_path: Path
    port: int = field(default_factory=free_port)
    uvicorn_args: tuple[str, ...] = ()
    target: str = "app.main:app"
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def pid(self) -> int:
        assert self.process is not None, "not started"
        return self.process.pid

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        """Spawn uvicorn; use `wait_ready` or `wait_exit` next."""
        args = [
            sys.executable,
            "-m",
            "uvicorn",
            self.target,
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            *self.uvicorn_args,
        ]
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                args, cwd=PROJECT_ROOT, env={**os.environ, **self.env}, stdout=log, stderr=log
            )

    def wait_ready(self, timeout: float = 60.0, poll_seconds: float = 0.05) -> None:
        """Poll `/health` until it answers 200; fail with the log if the process exits."""
        wait_until(self._answers, timeout=timeout, what="the app", poll_seconds=poll_seconds)

    def wait_exit(self, timeout: float) -> int:
        """Wait for the process to end and return its exit status."""
        assert self.process is not None
        return self.process.wait(timeout)

    def terminate(self, timeout: float = 10.0) -> int:
        """SIGTERM, then SIGKILL after `timeout` s; returns the exit status."""
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                return self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
        return self.process.wait()

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def _answers(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            raise RuntimeError(f"the app exited during startup:\n{self.output()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{self.url}/health", timeout=1) as response:  # noqa: S310
                return bool(response.status == 200)
        except (urllib.error.URLError, OSError):
            return False
