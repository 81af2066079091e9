"""Requests held in flight at a server: half a body sent, the rest when the test says."""

import socket

HEALTH_BODY = b'{"status":"ok"}'


def open_in_flight(port: int, path: str, body: bytes) -> socket.socket:
    """A POST whose headers and half its body the server on `port` has read: a request in flight.

    A `GET /health` pipelined before it in the same write comes back first, so the server has
    parsed what followed it too.
    """
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    head = (
        f"POST {path} HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode()
    sock.sendall(b"GET /health HTTP/1.1\r\nHost: test\r\n\r\n" + head + body[: len(body) // 2])
    answer = b""
    while not answer.endswith(HEALTH_BODY):
        chunk = sock.recv(65_536)
        assert chunk, answer
        answer += chunk
    return sock


def finish_request(sock: socket.socket, body: bytes) -> bytes:
    """Send the rest of the body; the whole answer, read until the server closes."""
    sock.sendall(body[len(body) // 2 :])
    response = b""
    while chunk := sock.recv(65_536):
        response += chunk
    sock.close()
    return response
