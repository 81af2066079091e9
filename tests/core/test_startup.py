"""A failed startup is one line for a known reason, the full traceback for anything else."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from starlette.applications import Starlette
from starlette.types import Message

from app.core.startup import OneLineStartupErrors, StartupError


def failing_app(error: Exception) -> OneLineStartupErrors:
    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        raise error
        yield

    return OneLineStartupErrors(Starlette(lifespan=lifespan))


async def start(app: OneLineStartupErrors, sent: list[Message]) -> None:
    """Run the lifespan's startup as a server does, collecting what the app sends."""

    async def receive() -> Message:
        return {"type": "lifespan.startup"}

    async def send(message: Message) -> None:
        sent.append(message)

    await app({"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}, receive, send)


async def test_a_startup_error_is_reported_as_one_line() -> None:
    sent: list[Message] = []

    await start(failing_app(StartupError("PostgreSQL at db:5432/app is unavailable")), sent)

    assert sent == [
        {
            "type": "lifespan.startup.failed",
            "message": "Startup failed: PostgreSQL at db:5432/app is unavailable",
        }
    ]


async def test_any_other_error_keeps_its_traceback_and_is_raised() -> None:
    sent: list[Message] = []

    with pytest.raises(ValueError, match="a bug"):
        await start(failing_app(ValueError("a bug")), sent)

    assert [message["type"] for message in sent] == ["lifespan.startup.failed"]
    assert "Traceback" in sent[0]["message"]
