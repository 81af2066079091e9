"""Request bodies over the configured size get a JSON 413 before they are parsed.

Not FastAPI's `max_body_size`: Starlette's limiter behind it answers in plain text, and every
error here is `{"detail": ...}`.
"""

from fastapi import HTTPException, status
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class RequestBodyTooLargeError(HTTPException):
    """Raised while reading a body that grows past the limit (e.g. sent chunked)."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(status.HTTP_413_CONTENT_TOO_LARGE, too_large_detail(max_bytes))


def too_large_detail(max_bytes: int) -> str:
    return f"request body is larger than {max_bytes} bytes"


class RequestBodyLimit:
    """ASGI middleware: refuse a declared `Content-Length` over `max_bytes` at once, and stop
    reading a body without one as soon as it passes `max_bytes`."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_bytes:
            # Closing the connection spares the server reading a body nobody wants.
            response = JSONResponse(
                {"detail": too_large_detail(self.max_bytes)},
                status_code=status.HTTP_413_CONTENT_TOO_LARGE,
                headers={"connection": "close"},
            )
            await response(scope, receive, send)
            return

        received = 0
        response_started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                # Once the response is under way the body is not being parsed (a streaming
                # response only listens for the disconnect), and a 413 could not be sent.
                if received > self.max_bytes and not response_started:
                    # FastAPI re-raises an HTTPException from reading the body; its handler
                    # answers `{"detail": ...}`.
                    raise RequestBodyTooLargeError(self.max_bytes)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal response_started
            response_started = response_started or message["type"] == "http.response.start"
            await send(message)

        await self.app(scope, limited_receive, tracking_send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None  # the HTTP server rejects a malformed length before we see it
    return None
