"""No password, raw or percent-escaped, in logs, bodies or failure messages."""

from urllib.parse import quote, quote_plus

import httpx
import pytest

from devstack.app_process import AppProcess
from devstack.servers import answers_ok, wait_until
from tests.budgets import CONDITION_GUARD_SECONDS
from tests.credentials import HOSTILE_PASSWORD
from tests.reliability.stack import Stack

# Starts app or server processes, or waits out timeouts: `just test-fast` leaves it out.
pytestmark = pytest.mark.slow

FORMS = {HOSTILE_PASSWORD, quote(HOSTILE_PASSWORD, safe=""), quote_plus(HOSTILE_PASSWORD)}


def assert_no_secret(text: str) -> None:
    for form in FORMS:
        assert form not in text, f"a password form leaked: {form!r}"


def test_no_secret_in_responses_or_log_through_success_and_outage(stack: Stack) -> None:
    url = stack.app.url
    bodies = [
        httpx.post(f"{url}/items", json={"id": "secret-check", "name": "n"}).text,
        httpx.get(f"{url}/items").text,
        httpx.get(f"{url}/health/ready").text,
    ]
    stack.postgres.stop()
    try:
        bodies += [httpx.get(f"{url}/items").text, httpx.get(f"{url}/health/ready").text]
    finally:
        stack.postgres.start()
    wait_until(
        lambda: answers_ok(f"{url}/health/ready"), timeout=CONDITION_GUARD_SECONDS, what="recovery"
    )

    for body in bodies:
        assert_no_secret(body)
    assert "INSERT INTO items" in stack.app.output()  # SQL echo was on
    assert_no_secret(stack.app.output())


def test_wrong_password_at_startup_shows_neither_password(stack: Stack, tmp_path: object) -> None:
    wrong = "wr0ng:p@ss/%"
    env = {**stack.env, "POSTGRES_PASSWORD": wrong, "POSTGRES_DB": "syncdesk_wrong"}
    app = AppProcess(env=env, log_path=stack.app.log_path.with_name("wrong-password.log"))
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
