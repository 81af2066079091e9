"""A throwaway PgBouncer in transaction mode in front of a PostgreSQL server."""

import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from devstack.servers import (
    START_TIMEOUT_SECONDS,
    _as_postgres_user,
    _chown_to_postgres_user,
    _running_as_root,
    free_port,
    wait_until,
)

# Fewer server connections than concurrent clients, so transactions of different clients
# share server connections: what breaks a statement cache that assumes one of its own.
SERVER_CONNECTIONS = 4


def pgbouncer_binary() -> str | None:
    """The `pgbouncer` on PATH (Debian puts it in /usr/sbin), or None."""
    return shutil.which("pgbouncer") or shutil.which("pgbouncer", path="/usr/sbin")


def _quoted(value: str) -> str:
    # userlist.txt: double-quoted fields, a quote inside doubled.
    return '"' + value.replace('"', '""') + '"'


def _ini(port: int, upstream: tuple[str, int], home: Path) -> str:
    host, upstream_port = upstream
    return f"""[databases]
* = host={host} port={upstream_port}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir =
auth_type = scram-sha-256
auth_file = {home / "userlist.txt"}
pool_mode = transaction
default_pool_size = {SERVER_CONNECTIONS}
max_client_conn = 500
logfile = {home / "pgbouncer.log"}
"""


def _accepts_connections(port: int, process: subprocess.Popen[bytes], log: Path) -> bool:
    if process.poll() is not None:
        raise RuntimeError(f"pgbouncer exited:\n{log.read_text(errors='replace')[-2000:]}")
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


@contextmanager
def running_pgbouncer(
    binary: str, upstream: tuple[str, int], user: str, password: str
) -> Iterator[int]:
    """PgBouncer on a free port of 127.0.0.1 for a `with` block; yields the port."""
    home = Path(tempfile.mkdtemp(prefix="syncdesk-pgbouncer-"))
    port = free_port()
    (home / "userlist.txt").write_text(f"{_quoted(user)} {_quoted(password)}\n")
    (home / "pgbouncer.ini").write_text(_ini(port, upstream, home))
    if _running_as_root():  # pgbouncer, like postgres, refuses to run as root
        for path in (home, *home.iterdir()):
            _chown_to_postgres_user(path)
    process = subprocess.Popen(
        [binary, str(home / "pgbouncer.ini")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        **_as_postgres_user(),
    )
    try:
        log = home / "pgbouncer.log"
        wait_until(
            lambda: _accepts_connections(port, process, log),
            timeout=START_TIMEOUT_SECONDS,
            what="pgbouncer",
        )
        yield port
    finally:
        process.terminate()  # SIGTERM: immediate shutdown
        process.wait(15)
        shutil.rmtree(home, ignore_errors=True)
