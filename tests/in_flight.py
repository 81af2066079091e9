"""Requests held in flight at a server: half a body sent, the rest when the test says."""

import socket


def finish_request(sock: socket.socket, body: bytes) -> bytes:
    """Send the rest of the body; the whole answer, read until the server closes."""
    sock.sendall(body[len(body) // 2 :])
    response = b""
    while chunk := sock.recv(65_536):
        response += chunk
    sock.close()
    return response
