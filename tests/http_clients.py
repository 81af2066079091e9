"""Settings for the HTTP clients that put load on an app process."""

import httpx

# Idle connections are dropped long before uvicorn's keep-alive (5 s) closes them. httpx's own
# default is also 5 s, so the two raced: a request went out on a connection the server was
# closing and failed with ReadError (seen under 32 clients, never answered, nothing stored).
KEEPALIVE_EXPIRY_SECONDS = 1.0


def load_limits(connections: int) -> httpx.Limits:
    """At most `connections` connections, none reused once idle for a second."""
    return httpx.Limits(max_connections=connections, keepalive_expiry=KEEPALIVE_EXPIRY_SECONDS)
