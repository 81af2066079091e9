"""TLS to PostgreSQL and MongoDB, configured by URL, through a TLS-terminating proxy.

The throwaway servers speak no TLS; the proxy in front of them does, with certificates made
here, so the drivers' TLS, verification included, runs for real.
"""

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from app.core.config import Settings
from app.db import init_postgres_db
from app.db.exceptions import DatabaseUnavailableError
from app.db.mongo.db import MongoDb
from app.db.postgres.engine import create_engine
from devstack.app_process import AppProcess
from tests.budgets import CONDITION_GUARD_SECONDS, SCHEDULING_MARGIN_SECONDS
from tests.databases import RUN_ID, create_postgres_database, drop_postgres_database, tables
from tests.log_lines import message
from tests.migrations.migrate import migrate
from tests.tls.certificates import Authority
from tests.tls.proxy import TlsProxy

# Starts app or server processes, or waits out timeouts: `just test-fast` leaves it out.
pytestmark = pytest.mark.slow

CERTIFICATE_REFUSED = (
    "TLS certificate verification failed (unable to get local issuer certificate); "
    "check sslmode and sslrootcert"
)
TLS_DECLINED = "the server does not accept TLS, which sslmode asks for; check sslmode"

# A database of its own: a refusal test that wrongly connects creates it, not our tables.
REFUSED_DATABASE = f"syncdesk_test_{RUN_ID}_tls"


@pytest.fixture
def authority(tmp_path: Path) -> Authority:
    return Authority.create(tmp_path, "syncdesk-test-ca")


@pytest.fixture
def other_authority(tmp_path: Path) -> Authority:
    return Authority.create(tmp_path, "someone-else-ca")


@pytest.fixture
async def postgres_proxy(
    settings: Settings, pg_engine: AsyncEngine, authority: Authority, tmp_path: Path
) -> AsyncIterator[TlsProxy]:
    """TLS with a certificate for `localhost` (only), in front of this run's PostgreSQL."""
    context = authority.server_context(tmp_path, "localhost")
    proxy = TlsProxy(upstream=(settings.POSTGRES_HOST, settings.POSTGRES_PORT), context=context)
    with proxy.serving():
        yield proxy
    await drop_postgres_database(settings, REFUSED_DATABASE)


PostgresUrl = Callable[..., str]


@pytest.fixture
def postgres_url(settings: Settings, postgres_proxy: TlsProxy) -> PostgresUrl:
    """A managed-service style `postgres://` URL through the proxy, password percent-encoded."""

    def url(query: str, *, host: str = "localhost", database: str | None = None) -> str:
        user = quote(settings.POSTGRES_USER, safe="")
        password = quote(settings.POSTGRES_PASSWORD.get_secret_value(), safe="")
        name = database or settings.POSTGRES_DB
        return f"postgres://{user}:{password}@{host}:{postgres_proxy.port}/{name}?{query}"

    return url


def ca(authority: Authority) -> str:
    return quote(str(authority.ca_file), safe="")


async def current_database(settings: Settings) -> str | None:
    """A query through an engine built from `settings`, as the app builds it."""
    engine = create_engine(settings)
    try:
        async with engine.connect() as connection:
            database: str | None = await connection.scalar(text("SELECT current_database()"))
            return database
    finally:
        await engine.dispose()


async def test_sslmode_require_connects_over_tls(
    settings: Settings, postgres_url: PostgresUrl, postgres_proxy: TlsProxy
) -> None:
    tls = Settings(POSTGRES_URL=postgres_url("sslmode=require"))

    assert await current_database(tls) == settings.POSTGRES_DB
    assert postgres_proxy.handshakes == 1


async def test_verify_full_with_the_right_ca_and_host_connects(
    settings: Settings, postgres_url: PostgresUrl, postgres_proxy: TlsProxy, authority: Authority
) -> None:
    tls = Settings(POSTGRES_URL=postgres_url(f"sslmode=verify-full&sslrootcert={ca(authority)}"))

    assert await current_database(tls) == settings.POSTGRES_DB
    assert postgres_proxy.handshakes == 1


async def test_verify_ca_checks_the_chain_but_not_the_host_name(
    settings: Settings, postgres_url: PostgresUrl, authority: Authority
) -> None:
    query = f"sslmode=verify-ca&sslrootcert={ca(authority)}"
    tls = Settings(POSTGRES_URL=postgres_url(query, host="127.0.0.1"))

    assert await current_database(tls) == settings.POSTGRES_DB


async def assert_refused(url: str, reason: str) -> None:
    """init_postgres_db refuses at once (no retries) with one line naming the server only."""
    refused = Settings(POSTGRES_URL=url, ENVIRONMENT="development")
    started = time.monotonic()

    with pytest.raises(DatabaseUnavailableError) as caught:
        await init_postgres_db(refused)

    message = str(caught.value)
    assert message.startswith(
        f"PostgreSQL at {refused.postgres_location} is unavailable: "
        "TLS certificate verification failed ("
    )
    assert reason in message
    assert "\n" not in message
    assert refused.POSTGRES_PASSWORD.get_secret_value() not in message
    # One attempt, bounded by the connect timeout: the retries would add 4.5 s of waits.
    assert time.monotonic() - started < refused.POSTGRES_CONNECT_TIMEOUT + SCHEDULING_MARGIN_SECONDS


async def test_verify_full_with_the_wrong_ca_is_refused(
    postgres_url: PostgresUrl, other_authority: Authority
) -> None:
    query = f"sslmode=verify-full&sslrootcert={ca(other_authority)}"

    await assert_refused(postgres_url(query, database=REFUSED_DATABASE), "unable to get local")


async def test_verify_full_with_the_wrong_host_name_is_refused(
    postgres_url: PostgresUrl, authority: Authority
) -> None:
    query = f"sslmode=verify-full&sslrootcert={ca(authority)}"
    url = postgres_url(query, host="127.0.0.1", database=REFUSED_DATABASE)

    await assert_refused(url, "IP address mismatch")


async def test_require_with_sslrootcert_verifies_the_chain_as_libpq_does(
    postgres_url: PostgresUrl, other_authority: Authority
) -> None:
    query = f"sslmode=require&sslrootcert={ca(other_authority)}"

    await assert_refused(postgres_url(query, database=REFUSED_DATABASE), "unable to get local")


async def test_startup_with_an_untrusted_certificate_exits_with_one_line(
    start_app: Callable[..., AppProcess],
    test_env: dict[str, str],
    postgres_url: PostgresUrl,
    other_authority: Authority,
) -> None:
    query = f"sslmode=verify-full&sslrootcert={ca(other_authority)}"
    url = postgres_url(query, database=REFUSED_DATABASE)
    app = start_app({**test_env, "ENVIRONMENT": "development", "POSTGRES_URL": url}, wait=False)

    assert await asyncio.to_thread(app.wait_exit, CONDITION_GUARD_SECONDS) != 0

    output = app.output()
    assert "Startup failed: PostgreSQL at localhost:" in output, output
    assert CERTIFICATE_REFUSED in output
    assert "Traceback" not in output
    assert quote(Settings().POSTGRES_PASSWORD.get_secret_value(), safe="") not in output


@pytest.fixture
def plain_postgres_url(settings: Settings) -> PostgresUrl:
    """A URL straight to this run's PostgreSQL, which speaks no TLS."""

    def url(query: str, *, database: str) -> str:
        user = quote(settings.POSTGRES_USER, safe="")
        password = quote(settings.POSTGRES_PASSWORD.get_secret_value(), safe="")
        address = f"{settings.POSTGRES_HOST}:{settings.POSTGRES_PORT}/{database}"
        return f"postgres://{user}:{password}@{address}?{query}"

    return url


@pytest.fixture
async def empty_database(settings: Settings, scratch_env: dict[str, str]) -> str:
    """An existing, empty database of its own, dropped afterwards."""
    await create_postgres_database(settings, scratch_env["POSTGRES_DB"])
    return scratch_env["POSTGRES_DB"]


def refusal(command: str, env: dict[str, str], start_app: Callable[..., AppProcess]) -> list[str]:
    """The messages `command` (the app in an environment, or `migrate`) logs when it gives up."""
    if command == "migrate":
        result = migrate(env)
        assert result.returncode == 1, result.stderr
        output = result.stderr
    else:
        app = start_app({**env, "ENVIRONMENT": command}, wait=False)
        assert app.wait_exit(CONDITION_GUARD_SECONDS) != 0
        output = app.output()
    assert "Traceback" not in output, output
    return [message(line) for line in output.splitlines()]


@pytest.mark.parametrize("command", ["development", "production", "migrate"])
def test_a_server_without_tls_is_refused_in_one_line_everywhere(
    command: str,
    start_app: Callable[..., AppProcess],
    test_env: dict[str, str],
    plain_postgres_url: PostgresUrl,
    authority: Authority,
    empty_database: str,
) -> None:
    query = f"sslmode=verify-full&sslrootcert={ca(authority)}"
    url = plain_postgres_url(query, database=empty_database)

    messages = refusal(command, {**test_env, "POSTGRES_URL": url}, start_app)

    expected = f"{empty_database} is unavailable: {TLS_DECLINED}"
    assert any(line.endswith(expected) for line in messages), messages


@pytest.mark.parametrize("command", ["development", "production", "migrate"])
def test_an_untrusted_certificate_is_refused_in_one_line_everywhere(
    command: str,
    start_app: Callable[..., AppProcess],
    test_env: dict[str, str],
    postgres_url: PostgresUrl,
    other_authority: Authority,
    empty_database: str,
) -> None:
    url = postgres_url(
        f"sslmode=verify-full&sslrootcert={ca(other_authority)}", database=empty_database
    )

    messages = refusal(command, {**test_env, "POSTGRES_URL": url}, start_app)

    expected = f"{empty_database} is unavailable: {CERTIFICATE_REFUSED}"
    assert any(line.endswith(expected) for line in messages), messages


async def test_migrate_over_verified_tls_migrates(
    test_env: dict[str, str],
    settings: Settings,
    postgres_url: PostgresUrl,
    postgres_proxy: TlsProxy,
    authority: Authority,
    empty_database: str,
) -> None:
    url = postgres_url(f"sslmode=verify-full&sslrootcert={ca(authority)}", database=empty_database)

    result = migrate({**test_env, "POSTGRES_URL": url})

    assert result.returncode == 0, result.stderr
    assert postgres_proxy.handshakes >= 1
    assert "items" in await tables(settings.model_copy(update={"POSTGRES_DB": empty_database}))


@pytest.fixture
def mongo_proxy(settings: Settings, authority: Authority, tmp_path: Path) -> Iterator[TlsProxy]:
    """TLS from the first byte, in front of this run's MongoDB."""
    context = authority.server_context(tmp_path, "localhost")
    upstream = (settings.MONGO_HOST, settings.MONGO_PORT)
    with TlsProxy(upstream=upstream, context=context, postgres=False).serving() as proxy:
        yield proxy


def mongo_url(settings: Settings, proxy: TlsProxy, authority: Authority) -> str:
    password = settings.MONGO_PASSWORD.get_secret_value()
    credentials = f"{quote_plus(settings.MONGO_USER)}:{quote_plus(password)}@" if password else ""
    options = f"authSource={settings.MONGO_AUTH_SOURCE}&tls=true&tlsCAFile={ca(authority)}"
    return f"mongodb://{credentials}localhost:{proxy.port}/{settings.MONGO_DB}?{options}"


async def test_mongo_url_tls_options_reach_the_driver(
    settings: Settings, mongo_proxy: TlsProxy, authority: Authority
) -> None:
    mongo = MongoDb()

    await mongo.connect(Settings(MONGO_URL=mongo_url(settings, mongo_proxy, authority)))
    try:
        assert (await mongo.get_db().command("ping"))["ok"] == 1
    finally:
        await mongo.disconnect()
    assert mongo_proxy.handshakes >= 1
