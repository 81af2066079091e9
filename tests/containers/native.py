"""Run a container's command on this machine, as the container would run it."""

import os
import signal
import subprocess
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from devstack.servers import wait_until
from tests.containers.compose_cli import PROJECT_ROOT
from tests.containers.tools import tool


def container_env(**settings: str) -> dict[str, str]:
    """This environment with `settings`, and the dev group's scripts first on PATH.

    In the image the venv's `bin` leads PATH; here `.venv/bin` stands in for it.
    """
    path = f"{tool('python').parent}{os.pathsep}{os.environ.get('PATH', '')}"
    return {**os.environ, **settings, "PATH": path}


@dataclass
class ServingProcess:
    """A long-running container command, such as the app's uvicorn, started in `/app`'s place."""

    argv: list[str]
    env: dict[str, str]
    log_path: Path
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    def start(self) -> None:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                self.argv,
                cwd=PROJECT_ROOT,
                env=self.env,
                stdout=log,
                stderr=log,
                start_new_session=True,
            )

    def wait_until_answering(self, url: str, *, timeout: float = 60.0) -> None:
        """Poll `url` until it answers 200; fail with the log if the process exits first."""
        wait_until(lambda: self._answers(url), timeout=timeout, what=" ".join(self.argv))

    def terminate(self, timeout: float = 15.0) -> int:
        """SIGTERM, as `docker stop` sends, then SIGKILL to its group after `timeout` s."""
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                return self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
        return self.process.wait()

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def _answers(self, url: str) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            raise RuntimeError(f"{self.argv[0]} exited:\n{self.output()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=1) as response:  # noqa: S310
                return bool(response.status == 200)
        except (urllib.error.URLError, OSError):
            return False
