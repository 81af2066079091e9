"""The app with one more route, which raises: for the server's error line about it."""

from fastapi import FastAPI

from app.main import create_app as create_syncdesk_app

FAILING_PATH = "/test-only/failure"


def create_app() -> FastAPI:
    """`app.main.create_app`, plus a route whose handler raises."""
    app = create_syncdesk_app()

    @app.get(FAILING_PATH)
    async def fail() -> None:
        raise RuntimeError("raised by the test route")

    return app
