"""Startup failures reported as one clear line instead of a traceback."""

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class StartupError(Exception):
    """A known reason the app cannot start: a database is unreachable or settings are unsafe."""


class OneLineStartupErrors:
    """ASGI middleware: a `StartupError` is reported as its message, not Starlette's traceback.

    Starlette reports a failed startup (`lifespan.startup.failed`, its traceback as the message)
    and then raises. The report is held until the error arrives: a `StartupError` replaces it
    with one line, anything else is reported as it was and raised again.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "lifespan":
            await self.app(scope, receive, send)
            return
        held: list[Message] = []

        async def hold_startup_failure(message: Message) -> None:
            if message["type"] == "lifespan.startup.failed":
                held.append(message)
            else:
                await send(message)

        try:
            await self.app(scope, receive, hold_startup_failure)
        except StartupError as exc:
            await send({"type": "lifespan.startup.failed", "message": f"Startup failed: {exc}"})
        except BaseException:
            for message in held:
                await send(message)
            raise
