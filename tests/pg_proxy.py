"""A TCP proxy in front of a real PostgreSQL that can be made to refuse logins like a server
that is starting up, out of slots or shutting down, and to cut the connections it carries.

It speaks just enough of the protocol for that: it declines TLS (`N`), reads the startup
packet, and then either forwards everything to the server or answers with a FATAL
ErrorResponse carrying the chosen SQLSTATE, as PostgreSQL itself does before a session exists.
"""

import contextlib
import socket
import struct
import threading
import time
from dataclasses import dataclass, field

from devstack.servers import free_port

SSL_REQUEST_CODE = 80877103
GSSENC_REQUEST_CODE = 80877104


@dataclass(frozen=True)
class Refusal:
    """What PostgreSQL answers a login it cannot serve."""

    sqlstate: str
    message: str


STARTING_UP = Refusal("57P03", "the database system is starting up")
TOO_MANY_CLIENTS = Refusal("53300", "sorry, too many clients already")
ADMIN_SHUTDOWN = Refusal("57P01", "terminating connection due to administrator command")


def error_response(refusal: Refusal) -> bytes:
    """A FATAL ErrorResponse message ('E')."""
    fields = b"".join(
        code + value.encode() + b"\0"
        for code, value in (
            (b"S", "FATAL"),
            (b"V", "FATAL"),
            (b"C", refusal.sqlstate),
            (b"M", refusal.message),
        )
    )
    body = fields + b"\0"
    return b"E" + struct.pack("!I", len(body) + 4) + body


def _read_exactly(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise ConnectionError("client went away")
        data += chunk
    return data


def _read_packet(sock: socket.socket) -> tuple[int, bytes]:
    """A length-prefixed startup-phase packet: (its code, the whole packet)."""
    header = _read_exactly(sock, 8)
    length, code = struct.unpack("!II", header)
    return code, header + _read_exactly(sock, length - 8)


@dataclass
class PgProxy:
    """Listens on a free port of 127.0.0.1; forwards to `upstream_port` unless refusing."""

    upstream_port: int
    refusal: Refusal | None = None
    port: int = field(default_factory=free_port)
    logins: list[float] = field(default_factory=list)  # monotonic time of each startup packet
    _sockets: set[socket.socket] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _listener: socket.socket | None = None

    def start(self) -> "PgProxy":
        listener = socket.create_server(("127.0.0.1", self.port))
        self._listener = listener
        threading.Thread(target=self._accept_loop, args=(listener,), daemon=True).start()
        return self

    def stop(self) -> None:
        """Stop listening and cut every carried connection."""
        if self._listener is not None:
            self._listener.close()
            self._listener = None
        self.cut()

    def refuse(self, refusal: Refusal) -> None:
        """Answer new logins with `refusal`; connections already carried go on."""
        self.refusal = refusal

    def forward(self) -> None:
        """Carry new logins to the server again."""
        self.refusal = None

    def cut(self) -> None:
        """Close every connection carried so far, as a server restart would."""
        with self._lock:
            sockets, self._sockets = self._sockets, set()
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def _accept_loop(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # closed by stop()
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        try:
            code, packet = _read_packet(client)
            while code in (SSL_REQUEST_CODE, GSSENC_REQUEST_CODE):
                client.sendall(b"N")  # no TLS here: the client goes on in plain text
                code, packet = _read_packet(client)
            self.logins.append(time.monotonic())
            refusal = self.refusal
            if refusal is not None:
                client.sendall(error_response(refusal))
                client.close()
                return
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
        except OSError:
            client.close()
            return
        with self._lock:
            self._sockets |= {client, upstream}
        upstream.sendall(packet)
        threading.Thread(target=_pipe, args=(upstream, client), daemon=True).start()
        _pipe(client, upstream)


def _pipe(source: socket.socket, target: socket.socket) -> None:
    try:
        while chunk := source.recv(65536):
            target.sendall(chunk)
    except OSError:
        pass
    finally:
        for sock in (source, target):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
