"""A container of the rendered manifests, run on this machine as its pod runs it.

Its command, args and environment come from the manifests; it runs as PID 1 of a PID namespace
of its own (as in a pod, where a signal it does not handle is ignored), with every file system
read-only except an empty tmpfs at each `emptyDir` mount (`readOnlyRootFilesystem`). A mount
namespace keeps all of that from the rest of the machine (`unshare`: as root, or in a user
namespace where unprivileged ones are allowed).
"""

import os
import shlex
import signal
import subprocess
from pathlib import Path

import psutil

from devstack.app_process import PROJECT_ROOT, ServingProcess
from devstack.manifests import Resource, container, pod_spec
from devstack.servers import free_port, wait_until
from tests.containers.tools import tool

# Mounts a container runtime makes itself, writable whatever the root file system is.
RUNTIME_MOUNTS = "/dev|/dev/*|/proc|/proc/*|/sys|/sys/*"
SANDBOX = f"""
set -eu
for target in $(awk '{{print $2}}' /proc/self/mounts); do
    case "$target" in {RUNTIME_MOUNTS}) ;; *) mount -o remount,bind,ro "$target" ;; esac
done
for writable in $WRITABLE; do
    case "$CODE/" in
        "$writable"/*)
            # The checkout (the image's /app here) lies under this path, as in a clone in /tmp:
            # keep it visible, read-only, through the directory opened before the tmpfs hides it.
            exec 3<"$CODE"
            mount -t tmpfs -o size=64m,mode=1777 emptydir "$writable"
            mkdir -p "$CODE"
            mount --no-canonicalize --bind /proc/self/fd/3 "$CODE"
            mount -o remount,bind,ro "$CODE"
            exec 3<&-
            ;;
        *) mount -t tmpfs -o size=64m,mode=1777 emptydir "$writable" ;;
    esac
done
exec "$@"
"""


def writable_paths(resource: Resource) -> list[str]:
    """Where the container mounts an `emptyDir` volume."""
    empty_dirs = {v["name"] for v in pod_spec(resource)["volumes"] if "emptyDir" in v}
    mounts = container(resource).get("volumeMounts", [])
    return [mount["mountPath"] for mount in mounts if mount["name"] in empty_dirs]


def command(resource: Resource) -> list[str]:
    """The container's `command` followed by its `args`."""
    spec = container(resource)
    return [*spec["command"], *spec.get("args", [])]


def on_port(argv: list[str], port: int) -> list[str]:
    """A command with its `--port` moved to `port`."""
    position = argv.index("--port") + 1
    return [*argv[:position], str(port), *argv[position + 1 :]]


def sandboxed(argv: list[str], writable: list[str]) -> list[str]:
    """`argv` in the pod's namespaces: PID 1, read-only but for fresh tmpfs at `writable`."""
    # Root may make the namespaces; anyone else, inside a user namespace of their own.
    user = [] if os.geteuid() == 0 else ["--user", "--map-root-user"]
    unshare = ["unshare", *user, "--mount", "--propagation", "private", "--pid", "--fork",
               "--mount-proc", "--kill-child"]  # fmt: skip
    script = (
        f"WRITABLE={shlex.quote(' '.join(writable))}\nCODE={shlex.quote(str(PROJECT_ROOT))}\n"
        f"{SANDBOX}"
    )
    return [*unshare, "sh", "-c", script, "sh", *argv]


def pod_env(manifest_env: dict[str, str], **settings: str) -> dict[str, str]:
    """The manifests' variables and `settings`, with what the image itself sets: its venv
    first on PATH (`.venv/bin` here), unbuffered output. No `.env` is read, as in the image."""
    path = f"{tool('python').parent}{os.pathsep}{os.environ.get('PATH', '')}"
    return {**manifest_env, **settings, "PATH": path, "PYTHONUNBUFFERED": "1", "ENV_FILE": ""}


class Pod(ServingProcess):
    """A workload's container, sandboxed; `port` replaces its `--port` when it serves."""

    def __init__(self, resource: Resource, env: dict[str, str], log_path: Path) -> None:
        argv = command(resource)
        self.port = free_port() if "--port" in argv else None
        if self.port is not None:
            argv = on_port(argv, self.port)
        super().__init__(sandboxed(argv, writable_paths(resource)), env, log_path)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def container_pid(self) -> int:
        """The container's PID 1, as this machine numbers it."""
        children: list[psutil.Process] = []

        def forked() -> bool:
            children[:] = psutil.Process(self.pid).children()
            return bool(children)

        wait_until(forked, timeout=10, what="the container process")
        return children[0].pid

    def stop(self, signal_number: signal.Signals = signal.SIGTERM) -> None:
        """Send the container's process a signal, as the kubelet does at termination."""
        os.kill(self.container_pid(), signal_number)

    def terminate(self, timeout: float = 15.0) -> int:
        """SIGTERM to the container, then SIGKILL to all of it after `timeout` s."""
        assert self.process is not None
        if self.process.poll() is None:
            self.stop()
            try:
                return self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
        return self.process.wait()
