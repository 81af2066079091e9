"""A stand-in OpenTelemetry collector for the bench: accepts OTLP/HTTP exports and drops them."""

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class _Sink(BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # http.server's name
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.server.received(body)  # type: ignore[attr-defined]
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: one line per export would flood the bench's output."""


class OtlpSink(ThreadingHTTPServer):
    """Counts the exports it received, keeping the first `keep` bodies (protobuf)."""

    exports = 0
    keep = 0
    bodies: list[bytes]

    def received(self, body: bytes) -> None:
        if self.exports < self.keep:
            self.bodies.append(body)
        self.exports += 1

    @property
    def traces_endpoint(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}/v1/traces"


@contextmanager
def running_sink(keep: int = 0) -> Iterator[OtlpSink]:
    """An OTLP/HTTP sink on a free port of 127.0.0.1, served from a thread until closed."""
    sink = OtlpSink(("127.0.0.1", 0), _Sink)
    sink.keep, sink.bodies = keep, []
    thread = threading.Thread(target=sink.serve_forever, daemon=True)
    thread.start()
    try:
        yield sink
    finally:
        sink.shutdown()
        sink.server_close()
