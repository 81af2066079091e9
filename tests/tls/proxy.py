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
from collections.abc import Iterator
from dataclasses import dataclass, field

from devstack.servers import free_port

# PostgreSQL's SSLRequest: length 8, then the code 1234 5679 (protocol docs, "SSLRequest").
SSL_REQUEST = struct.pack("!ii", 8, 80877103)
CHUNK_BYTES = 65536


@dataclass
class TlsProxy:
    """Listens on 127.0.0.1:`port`; counts the TLS handshakes that succeeded."""

    upstream: tuple[str, int]
    context: ssl.SSLContext
    postgres: bool = True
    port: int = field(default_factory=free_port)
    handshakes: int = 0
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            await self._serve(reader, writer)
        except (OSError, asyncio.IncompleteReadError, ssl.SSLError):
            pass  # a client refusing our certificate hangs up mid-handshake: that is the test
        except asyncio.CancelledError:
            pass  # cut by `running` at its end; asyncio's stream callback would log a cancel
        finally:
            self._tasks.discard(task)
            await _close(writer)

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
        try:
            upstream_writer.write(first)
            await asyncio.gather(_pump(reader, upstream_writer), _pump(upstream_reader, writer))
        finally:
            await _close(upstream_writer)

    @contextlib.contextmanager
    def serving(self) -> Iterator["TlsProxy"]:
        """Serve for the duration of a `with` block; open connections are cut at its end."""
        loop = asyncio.new_event_loop()
        thread = threading.Thread(target=loop.run_forever, name="tls-proxy", daemon=True)
        thread.start()
        listening = asyncio.start_server(self._handle, "127.0.0.1", self.port)
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
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await server.wait_closed()


async def _close(writer: asyncio.StreamWriter) -> None:
    writer.close()
    with contextlib.suppress(OSError, ssl.SSLError):
        await writer.wait_closed()


async def _pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    while chunk := await reader.read(CHUNK_BYTES):
        writer.write(chunk)
        await writer.drain()
    writer.close()
