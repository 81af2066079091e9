"""ASGI middleware: each request's id, its access line, and its metrics, in one pass."""

import logging
from collections.abc import Sequence
from contextvars import Token
from time import perf_counter

from opentelemetry import trace
from starlette.routing import BaseRoute, Mount, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.observability.metrics import UNMATCHED_ROUTE, Metrics
from app.observability.request_id import HEADER, current_request_id, request_id_for

access_logger = logging.getLogger("app.access")

HEADER_KEY = HEADER.lower().encode("latin-1")
# The attribute FastAPI's request span (and any span a database hook makes) carries it under.
SPAN_ATTRIBUTE = "app.request_id"


def route_template(scope: Scope) -> str:
    """The matched route's path template (`/items/{item_id}`), never the raw path."""
    if (route := scope.get("route")) is not None:  # FastAPI's routes say which they are
        return str(route.path)
    if (endpoint := scope.get("endpoint")) is not None:
        return _starlette_route_template(scope["app"].router.routes, endpoint)
    return UNMATCHED_ROUTE


def _starlette_route_template(routes: Sequence[BaseRoute], endpoint: object) -> str:
    # Starlette's own routes (the OpenAPI schema) and mounts (the docs assets) name only
    # their endpoint: find the route that holds it.
    for route in routes:
        if isinstance(route, Mount) and route.app is endpoint:
            return f"{route.path}/{{path}}"
        if isinstance(route, Route) and route.endpoint is endpoint:
            return route.path
    return UNMATCHED_ROUTE


class RequestObservation:
    """Give each HTTP request an id (the caller's `X-Request-ID` if plain, else a new one),
    return it in the response header, and write one access line and the request metrics.

    FastAPI's own telemetry runs outside this middleware, so its request span is current here
    and gets the request id as an attribute.
    """

    def __init__(self, app: ASGIApp, *, metrics: Metrics | None, access_log: bool = True) -> None:
        self.app = app
        self.metrics = metrics
        self.access_log = access_log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = next((value for key, value in scope["headers"] if key == HEADER_KEY), None)
        request_id = request_id_for(incoming)
        token: Token[str | None] | None = current_request_id.set(request_id)
        span = trace.get_current_span()
        if span.is_recording():
            span.set_attribute(SPAN_ATTRIBUTE, request_id)
        status = 500  # what the server answers when the app raises before responding
        header = (HEADER_KEY, request_id.encode("ascii"))

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), header]
            await send(message)

        started = perf_counter()
        if self.metrics is not None:
            self.metrics.requests_in_flight.inc()
        try:
            await self.app(scope, receive, send_with_id)
        except BaseException:
            # The id stays set (this task ends with the request): the server's error line
            # about this exception, written after it leaves the app, carries it too.
            token = None
            raise
        finally:
            self._finish(scope, status, perf_counter() - started)
            if token is not None:
                current_request_id.reset(token)

    def _finish(self, scope: Scope, status: int, seconds: float) -> None:
        route = route_template(scope)
        if self.metrics is not None:
            self.metrics.requests_in_flight.dec()
            self.metrics.observe_request(
                method=scope["method"], route=route, status=status, seconds=seconds
            )
        if not self.access_log or not access_logger.isEnabledFor(logging.INFO):
            return
        method, milliseconds = scope["method"], seconds * 1000
        # `makeRecord` + `handle`, not `info()`: logging's search for the calling line (a stack
        # walk) was a third of the access line's cost, and its answer is always this line.
        record = access_logger.makeRecord(
            access_logger.name,
            logging.INFO,
            __file__,
            0,
            "%s %s %d %.2f ms",
            (method, route, status, milliseconds),
            None,
            extra={
                "method": method,
                "route": route,
                "status": status,
                "duration_ms": round(milliseconds, 3),
            },
        )
        access_logger.handle(record)
