"""A stand-in OpenTelemetry collector for the bench: accepts OTLP/HTTP exports and drops them."""

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class _Sink(BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # http.server's name
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.server.exports += 1  # type: ignore[attr-defined]
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: one line per export would flood the bench's output."""


class OtlpSink(ThreadingHTTPServer):
    """Counts the exports it received."""

    exports = 0

    @property
    def traces_endpoint(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}/v1/traces"


@contextmanager
def running_sink() -> Iterator[OtlpSink]:
    """An OTLP/HTTP sink on a free port of 127.0.0.1, served from a thread until closed."""
    sink = OtlpSink(("127.0.0.1", 0), _Sink)
    thread = threading.Thread(target=sink.serve_forever, daemon=True)
    thread.start()
    try:
        yield sink
    finally:
        sink.shutdown()
        sink.server_close()
