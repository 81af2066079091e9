"""The HTTP client for a test's requests to an app process, and the settings of those that put
load on one."""

import httpx

# Idle connections are dropped long before uvicorn's keep-alive (5 s) closes them. httpx's own
# default is also 5 s, so the two raced: a request went out on a connection the server was
# closing and failed with ReadError (seen under 32 clients, never answered, nothing stored).
KEEPALIVE_EXPIRY_SECONDS = 1.0


def load_limits(connections: int) -> httpx.Limits:
    """At most `connections` connections, none reused once idle for a second."""
    return httpx.Limits(max_connections=connections, keepalive_expiry=KEEPALIVE_EXPIRY_SECONDS)


# `http_client.get()` and its kind build a client per call, and with it an SSL context that loads
# certifi's CA bundle: 36 ms of CPU a request here, against 1.2 ms on a client kept for the run.
# No connection is kept, as none was: each request opens its own.
http_client = httpx.Client(limits=httpx.Limits(max_keepalive_connections=0))
