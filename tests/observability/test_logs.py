"""Log lines: JSON in production's format, each written during a request carrying its id."""

import json
import logging
import re
from datetime import UTC, datetime

import pytest
from httpx import AsyncClient

from app.observability.logs import JsonFormatter
from devstack.app_process import AppProcess
from devstack.servers import wait_until
from tests.budgets import CONDITION_GUARD_SECONDS
from tests.http_clients import http_client
from tests.observability.failing_app import FAILING_PATH
from tests.observability.logs import json_lines, lines_of_request

GENERATED_ID = re.compile(r"[0-9a-f]{32}")


def logged(app: AppProcess, request_id: str, logger: str) -> bool:
    """Whether a line from `logger` for the request has reached the log file yet."""
    return any(line["logger"] == logger for line in lines_of_request(app, request_id))


def wait_for_line(app: AppProcess, request_id: str, logger: str = "app.access") -> None:
    wait_until(
        lambda: logged(app, request_id, logger),
        timeout=CONDITION_GUARD_SECONDS,
        what=f"a {logger} line for {request_id}",
    )


@pytest.mark.slow
def test_access_line_names_method_route_template_status_duration_and_request_id(
    json_log_app: AppProcess,
) -> None:
    response = http_client.get(
        f"{json_log_app.url}/items/no-such-item", headers={"X-Request-ID": "access-line-1"}
    )
    wait_for_line(json_log_app, "access-line-1")

    assert response.status_code == 404
    assert response.headers["X-Request-ID"] == "access-line-1"
    [access] = [
        line
        for line in lines_of_request(json_log_app, "access-line-1")
        if line["logger"] == "app.access"
    ]
    assert access["method"] == "GET"
    assert access["route"] == "/items/{item_id}"
    assert access["status"] == 404
    assert isinstance(access["duration_ms"], float)
    assert access["duration_ms"] > 0
    assert access["level"] == "INFO"
    assert "no-such-item" not in access["message"]  # the template, never the raw path


@pytest.mark.slow
def test_sql_echo_lines_carry_the_request_id(json_log_app: AppProcess) -> None:
    http_client.get(f"{json_log_app.url}/items/sql-echo", headers={"X-Request-ID": "sql-echo-1"})
    wait_for_line(json_log_app, "sql-echo-1")

    sql = [
        line
        for line in lines_of_request(json_log_app, "sql-echo-1")
        if line["logger"] == "sqlalchemy.engine.Engine"
    ]
    assert any("FROM items" in line["message"] for line in sql), sql


@pytest.mark.slow
def test_server_error_line_carries_the_request_id(json_log_app: AppProcess) -> None:
    response = http_client.get(
        f"{json_log_app.url}{FAILING_PATH}", headers={"X-Request-ID": "error-1"}
    )
    wait_for_line(json_log_app, "error-1", logger="uvicorn.error")

    assert response.status_code == 500
    [error] = [
        line
        for line in lines_of_request(json_log_app, "error-1")
        if line["logger"] == "uvicorn.error"
    ]
    assert error["level"] == "ERROR"
    assert "RuntimeError: raised by the test route" in error["exception"]


@pytest.mark.slow
def test_every_line_is_a_json_object_and_uvicorns_access_line_is_replaced(
    json_log_app: AppProcess,
) -> None:
    http_client.get(f"{json_log_app.url}/health", headers={"X-Request-ID": "one-line-1"})
    wait_for_line(json_log_app, "one-line-1")

    lines = json_lines(json_log_app)  # fails on any line that is not JSON
    assert any(line["logger"] == "uvicorn.error" for line in lines)  # uvicorn's startup lines
    assert not any(line["logger"] == "uvicorn.access" for line in lines)
    assert [line["logger"] for line in lines_of_request(json_log_app, "one-line-1")] == [
        "app.access"
    ]


@pytest.mark.slow
@pytest.mark.parametrize(
    "hostile",
    [
        "x" * 129,  # too long
        'quote" and space',
        '{"injected": true}',
        "tab\tinside",
        "café",
    ],
)
def test_hostile_request_id_is_replaced_not_echoed(json_log_app: AppProcess, hostile: str) -> None:
    response = http_client.get(
        f"{json_log_app.url}/health", headers={b"X-Request-ID": hostile.encode("utf-8")}
    )
    request_id = response.headers["X-Request-ID"]
    wait_for_line(json_log_app, request_id)

    assert GENERATED_ID.fullmatch(request_id)
    # Read decoded: JSON escapes quotes, tabs and non-ASCII, so the raw text could not show them.
    assert all(line.get("request_id") != hostile for line in json_lines(json_log_app))
    assert not any(hostile in str(line.get("message")) for line in json_lines(json_log_app))


async def test_a_request_without_an_id_gets_a_generated_one(client: AsyncClient) -> None:
    first = await client.get("/health")
    second = await client.get("/health")

    assert GENERATED_ID.fullmatch(first.headers["X-Request-ID"])
    assert first.headers["X-Request-ID"] != second.headers["X-Request-ID"]


async def test_text_lines_show_the_request_id_after_the_level(
    client: AsyncClient, capsys: pytest.CaptureFixture[str]
) -> None:
    await client.get("/items/text-line", headers={"X-Request-ID": "text-1"})

    assert "INFO:     [text-1] GET /items/{item_id} 404 " in capsys.readouterr().err


@pytest.mark.parametrize("created", [1_790_000_000.0, 1_790_000_000.0999, 1_790_000_059.9996])
def test_json_time_is_the_records_utc_time_to_the_millisecond(created: float) -> None:
    record = logging.LogRecord("app", logging.INFO, __file__, 0, "hello", None, None)
    record.created, record.msecs = created, int((created % 1) * 1000)
    formatter = JsonFormatter()
    formatter.format(logging.LogRecord("app", logging.INFO, __file__, 0, "earlier", None, None))

    written = json.loads(formatter.format(record))["time"]

    expected = datetime.fromtimestamp(created, UTC).isoformat(timespec="milliseconds")
    assert written == expected
