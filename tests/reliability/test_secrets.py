"""No password, raw or percent-escaped, in logs, bodies or failure messages."""

import json
from urllib.parse import quote, quote_plus

import pytest

from devstack.app_process import AppProcess
from devstack.servers import answers_ok, wait_until
from tests.budgets import CONDITION_GUARD_SECONDS
from tests.credentials import HOSTILE_PASSWORD
from tests.forked_processes import ForkedAppProcess
from tests.http_clients import http_client
from tests.reliability.stack import Stack

# Starts app or server processes, or waits out timeouts: `just test-fast` leaves it out.
pytestmark = pytest.mark.slow

FORMS = {HOSTILE_PASSWORD, quote(HOSTILE_PASSWORD, safe=""), quote_plus(HOSTILE_PASSWORD)}


def assert_no_secret(text: str) -> None:
    for form in FORMS:
        assert form not in text, f"a password form leaked: {form!r}"


def readable_log(app: AppProcess) -> str:
    """The app's log as a reader sees it: JSON lines decoded (JSON escapes the password's
    quote, so a leak would not match it raw), text as written."""
    output = app.output()
    if not output.lstrip().startswith("{"):
        return output
    lines = [json.loads(line) for line in output.splitlines() if line.strip()]
    return "\n".join(str(value) for line in lines for value in line.values())


@pytest.fixture(params=["text", "json"])
def logging_app(request: pytest.FixtureRequest, stack: Stack) -> AppProcess:
    """The stack's app in each log format: development's text, production's JSON lines."""
    if request.param == "json":
        app: AppProcess = request.getfixturevalue("json_log_stack_app")
        return app
    return stack.app


def test_no_secret_in_responses_or_log_through_success_and_outage(
    stack: Stack, logging_app: AppProcess
) -> None:
    url = logging_app.url
    item = {"id": f"secret-check-{logging_app.port}", "name": "n"}
    bodies = [
        http_client.post(f"{url}/items", json=item).text,
        http_client.get(f"{url}/items").text,
        http_client.get(f"{url}/health/ready").text,
    ]
    stack.postgres.stop()
    try:
        bodies += [
            http_client.get(f"{url}/items").text,
            http_client.get(f"{url}/health/ready").text,
        ]
    finally:
        stack.postgres.start()
    wait_until(
        lambda: answers_ok(f"{url}/health/ready"), timeout=CONDITION_GUARD_SECONDS, what="recovery"
    )

    for body in bodies:
        assert_no_secret(body)
    log = readable_log(logging_app)
    assert "INSERT INTO items" in log  # SQL echo was on
    assert_no_secret(log)


def test_wrong_password_at_startup_shows_neither_password(stack: Stack, tmp_path: object) -> None:
    wrong = "wr0ng:p@ss/%"
    env = {**stack.env, "POSTGRES_PASSWORD": wrong, "POSTGRES_DB": "syncdesk_wrong"}
    app = ForkedAppProcess(env=env, log_path=stack.app.log_path.with_name("wrong-password.log"))
    app.start()
    status = app.wait_exit(timeout=CONDITION_GUARD_SECONDS)

    output = app.output()
    assert status != 0
    assert "Startup failed: PostgreSQL at" in output
    assert "login refused; check POSTGRES_USER and POSTGRES_PASSWORD" in output
    assert "Traceback" not in output
    assert_no_secret(output)
    for form in (wrong, quote(wrong, safe=""), quote_plus(wrong)):
        assert form not in output
