"""A TLS-terminating proxy in front of a plaintext server, for TLS tests on servers without it.

PostgreSQL clients ask for TLS with an SSLRequest packet first; the proxy answers `S`,
upgrades the socket with asyncio's `start_tls` and forwards the decrypted bytes. MongoDB
clients speak TLS from the first byte (`postgres=False`). The proxy runs its own event loop
in a thread: a driver may block the test's loop (Motor's `close()` talks to the server).
"""

import asyncio
import contextlib
import ssl
import struct
import threading
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field

from devstack.servers import free_port

# PostgreSQL's SSLRequest: length 8, then the code 1234 5679 (protocol docs, "SSLRequest").
SSL_REQUEST = struct.pack("!ii", 8, 80877103)
CHUNK_BYTES = 65536
STOP_TIMEOUT_SECONDS = 5.0


@dataclass
class TlsProxy:
    """Listens on 127.0.0.1:`port`; counts the TLS handshakes that succeeded."""

    upstream: tuple[str, int]
    context: ssl.SSLContext
    postgres: bool = True
    port: int = field(default_factory=free_port)
    handshakes: int = 0
    # The socket transports only, never the TLS ones `start_tls` layers on top of them.
    _sockets: set[asyncio.BaseTransport] = field(default_factory=set)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await self._serve(reader, writer)
        except (OSError, asyncio.IncompleteReadError, ssl.SSLError):
            pass  # a client refusing our certificate hangs up mid-handshake: that is the test
        finally:
            writer.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        first = b""
        if self.postgres:
            first = await reader.readexactly(len(SSL_REQUEST))
            if first == SSL_REQUEST:
                writer.write(b"S")
                await writer.drain()
                first = b""
                await writer.start_tls(self.context)
                self.handshakes += 1
        else:
            await writer.start_tls(self.context)
            self.handshakes += 1
        upstream_reader, upstream_writer = await asyncio.open_connection(*self.upstream)
        self._sockets.add(upstream_writer.transport)
        try:
            upstream_writer.write(first)
            await asyncio.gather(_pump(reader, upstream_writer), _pump(upstream_reader, writer))
        finally:
            upstream_writer.close()

    @contextlib.contextmanager
    def serving(self) -> Iterator["TlsProxy"]:
        """Serve for the duration of a `with` block; open connections are cut at its end."""
        loop = asyncio.new_event_loop()
        thread = threading.Thread(target=loop.run_forever, name="tls-proxy", daemon=True)
        thread.start()
        listening = loop.create_server(self._protocol, "127.0.0.1", self.port)
        server = asyncio.run_coroutine_threadsafe(listening, loop).result(timeout=10)
        try:
            yield self
        finally:
            asyncio.run_coroutine_threadsafe(self._stop(server), loop).result(timeout=10)
            loop.call_soon_threadsafe(loop.stop)
            thread.join()
            loop.close()

    async def _stop(self, server: asyncio.Server) -> None:
        server.close()
        # The loop is ours alone: every other task is a connection being accepted or served.
        # Connections accepted just before the close register their writers a few turns later.
        deadline = asyncio.get_running_loop().time() + STOP_TIMEOUT_SECONDS
        while pending := asyncio.all_tasks() - {asyncio.current_task()}:
            self._abort_all()
            timeout = deadline - asyncio.get_running_loop().time()
            if timeout <= 0:
                raise TimeoutError(f"TLS proxy connections still open: {pending}")
            await asyncio.wait(pending, timeout=timeout)
        self._abort_all()
        await server.wait_closed()

    def _abort_all(self) -> None:
        # Abort, not close: a TLS close waits for the peer's answer, which may never come, and
        # a transport still open when the loop ends warns as unclosed. Aborting the socket cuts
        # the TLS layer on it too (its protocol sees the connection lost). The TLS transport
        # itself is never aborted: on Python 3.11.1 to 3.11.3 (Debian 12 ships 3.11.2) its
        # `abort()` after a second `close()` raises AttributeError (python/cpython#98540 drops
        # its protocol on that close; #104474 made `abort()` safe again, in 3.11.4).
        for transport in self._sockets:
            if isinstance(transport, asyncio.WriteTransport):
                transport.abort()

    def _protocol(self) -> asyncio.Protocol:
        # asyncio.start_server's protocol, also remembering every accepted socket's transport.
        return _TrackingProtocol(self._sockets, asyncio.StreamReader(), self._handle)


class _TrackingProtocol(asyncio.StreamReaderProtocol):
    def __init__(
        self,
        transports: set[asyncio.BaseTransport],
        reader: asyncio.StreamReader,
        handle: Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]],
    ) -> None:
        super().__init__(reader, handle)
        self._tracked = transports

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._tracked.add(transport)
        super().connection_made(transport)


async def _pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    while chunk := await reader.read(CHUNK_BYTES):
        writer.write(chunk)
        await writer.drain()
    writer.close()
