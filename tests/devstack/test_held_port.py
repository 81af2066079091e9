"""A port held from choice to bind: no other socket may take it, the server binds it."""

import errno
import socket

import pytest

from devstack.servers import HeldPort


def test_a_held_port_is_refused_to_others_yet_a_server_with_reuseaddr_binds_it() -> None:
    held = HeldPort()
    try:
        with socket.socket() as other, pytest.raises(OSError, match="in use") as refused:
            other.bind(("127.0.0.1", held.number))
        assert refused.value.errno == errno.EADDRINUSE
        with socket.socket() as server:  # as uvicorn binds
            server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            server.bind(("127.0.0.1", held.number))
            server.listen()
    finally:
        held.release()
    held.release()  # safe twice
