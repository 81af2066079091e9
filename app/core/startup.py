"""Startup failures reported as one clear line instead of a traceback."""

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class StartupError(Exception):
    """A known reason the app cannot start: a database is unreachable or settings are unsafe."""


class OneLineStartupErrors:
    """ASGI middleware: a `StartupError` is logged as its message, not Starlette's traceback."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "lifespan":
            await self.app(scope, receive, send)
            return

        async def send_short(message: Message) -> None:
            if message["type"] == "lifespan.startup.failed":
                message = {**message, "message": _short(message.get("message", ""))}
            await send(message)

        await self.app(scope, receive, send_short)


def _short(traceback_text: str) -> str:
    last_line = traceback_text.strip().rsplit("\n", 1)[-1]
    marker = f"{StartupError.__name__}: "
    if marker not in last_line:
        return traceback_text  # an unexpected failure keeps its traceback
    return "Startup failed: " + last_line.split(marker, 1)[1]
