"""The request body limit: a JSON 413 before parsing, whether the size is declared or not."""

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import StreamingResponse
from starlette.types import Message

from app.core.body_limit import RequestBodyLimit

LIMIT = 10


def limited_app() -> FastAPI:
    app = FastAPI()
    app.add_middleware(RequestBodyLimit, max_bytes=LIMIT)

    @app.post("/echo")
    async def echo(body: dict[str, Any]) -> dict[str, Any]:
        return body

    @app.post("/stream")
    async def stream() -> StreamingResponse:
        async def chunks() -> AsyncIterator[bytes]:
            yield b"streamed"

        return StreamingResponse(chunks())

    @app.post("/peek")
    async def peek(request: Request) -> int:
        return len(await request.body())

    return app


async def post(
    path: str,
    chunks: list[bytes],
    content_length: int | None = None,
    *,
    rest_after_response_starts: bool = False,
) -> tuple[int, dict[str, str], bytes, int]:
    """Send `chunks` as the body, the chunks after the first only once the response has
    started if told (a slow client); return status, headers, body and chunks read."""
    headers = [(b"content-type", b"application/json")]
    if content_length is not None:
        headers.append((b"content-length", str(content_length).encode()))
    scope = {
        "type": "http",
        "method": "POST",
        "path": path,
        "headers": headers,
        "query_string": b"",
    }
    pending = list(chunks)
    read = 0
    answer: dict[str, Any] = {"body": b""}
    response_started = asyncio.Event()

    async def receive() -> Message:
        nonlocal read
        if read and rest_after_response_starts:
            await response_started.wait()
        if not pending:
            return {"type": "http.disconnect"}
        read += 1
        return {"type": "http.request", "body": pending.pop(0), "more_body": bool(pending)}

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start":
            response_started.set()
            answer["status"] = message["status"]
            answer["headers"] = {k.decode(): v.decode() for k, v in message["headers"]}
        else:
            answer["body"] += message.get("body", b"")

    await limited_app()(scope, receive, send)
    return answer["status"], answer["headers"], answer["body"], read


async def test_declared_length_over_the_limit_is_413_without_reading_the_body() -> None:
    status, headers, body, read = await post("/echo", [b"{}"], content_length=LIMIT + 1)

    assert (status, json.loads(body), read) == (
        413,
        {"detail": "request body is larger than 10 bytes"},
        0,
    )
    assert headers["connection"] == "close"


async def test_undeclared_body_growing_past_the_limit_is_413() -> None:
    status, _, body, read = await post("/echo", [b'{"a": ', b'"1234', b'5"}'])

    assert (status, json.loads(body)) == (413, {"detail": "request body is larger than 10 bytes"})
    assert read == 2  # stopped at the chunk that passed the limit


async def test_undeclared_body_of_exactly_the_limit_is_parsed() -> None:
    status, _, body, _ = await post("/echo", [b'{"a":', b'"12"}'])

    assert (status, json.loads(body)) == (200, {"a": "12"})


async def test_body_read_after_the_response_started_is_not_refused() -> None:
    chunks = [b"x" * LIMIT, b"y" * LIMIT]

    status, _, body, _ = await post("/stream", chunks, rest_after_response_starts=True)

    assert (status, body) == (200, b"streamed")


async def test_raw_body_reader_gets_413_too() -> None:
    status, _, body, _ = await post("/peek", [b"x" * LIMIT, b"y"])

    assert (status, json.loads(body)) == (413, {"detail": "request body is larger than 10 bytes"})
