"""Throwaway servers for the whole run, started once and shared by every xdist worker.

The first pytest process (xdist's controller, or the only one without xdist) starts them in
a thread when its session starts, so they come up while the workers start and collect;
it writes their connection settings to a file the workers wait for, and removes the servers
when the run ends. Each worker still works in databases of its own (`tests.databases.RUN_ID`).
"""

import json
import os
import tempfile
import threading
from pathlib import Path

from devstack.servers import preload, running_servers, wait_until
from tests.credentials import HOSTILE_PASSWORD

# Inherited by the workers: where the servers' settings (or why they failed) will be written.
SETTINGS_FILE_VARIABLE = "SYNCDESK_TEST_SERVERS"
# Starting both takes seconds; a machine busy compiling and collecting may take several times that.
START_DEADLINE_SECONDS = 120


class SharedServers:
    """PostgreSQL and MongoDB started in a background thread, removed by `stop`."""

    def __init__(self) -> None:
        self._directory = tempfile.TemporaryDirectory(prefix="syncdesk-test-servers-")
        self.settings_file = Path(self._directory.name) / "servers.json"
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="test-servers", daemon=True)

    def start(self) -> None:
        preload()  # in this, the main, thread: see its docstring
        self._thread.start()

    def stop(self) -> None:
        """Remove the servers (waiting for them to finish starting first), and the file."""
        self._stopping.set()
        self._thread.join()
        self._directory.cleanup()

    def _run(self) -> None:
        try:
            with running_servers(pg_password=HOSTILE_PASSWORD, mongo_password=HOSTILE_PASSWORD) as (
                postgres,
                mongo,
            ):
                self._publish({"env": {**postgres.env(), **mongo.env()}})
                self._stopping.wait()
        except Exception as exc:  # the workers' fixtures fail with it
            self._publish({"error": f"the test servers did not start: {exc!r}"})

    def _publish(self, content: dict[str, object]) -> None:
        # Written whole, then renamed: a worker never reads half a file.
        partial = self.settings_file.with_suffix(".partial")
        partial.write_text(json.dumps(content))
        partial.replace(self.settings_file)


def shared_server_env() -> dict[str, str]:
    """The shared servers' settings, once they are up."""
    path = os.environ.get(SETTINGS_FILE_VARIABLE)
    if not path:
        raise RuntimeError("no test servers were started for this run")
    settings_file = Path(path)
    wait_until(settings_file.exists, timeout=START_DEADLINE_SECONDS, what="the test servers")
    content = json.loads(settings_file.read_text())
    if "error" in content:
        raise RuntimeError(content["error"])
    env: dict[str, str] = content["env"]
    return env
