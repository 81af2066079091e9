"""Settings: defaults, URL escaping, secrets kept out of reprs, production refusal."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus, unquote_plus

import pytest
from pydantic import SecretStr
from pymongo.uri_parser import parse_uri
from sqlalchemy.engine import make_url

from app.core.config import InsecureSettingsError, Settings, ensure_production_ready, get_settings
from tests.credentials import HOSTILE_PASSWORD, HOSTILE_USER

# Settings read the environment: these tests start from none of ours.
pytestmark = pytest.mark.usefixtures("clean_environment")


def settings_of(**values: Any) -> Settings:
    return Settings(_env_file=None, **values)


def test_defaults_build_the_documented_urls() -> None:
    settings = settings_of()

    assert settings.postgres_database_url.render_as_string(hide_password=False) == (
        "postgresql+asyncpg://postgres:postgres@localhost:5432/syncdesk_db"
    )
    assert settings.mongo_database_url == "mongodb://localhost:27017/syncdesk_db"
    assert (settings.ENVIRONMENT, settings.postgres_echo) == ("development", True)


def test_postgres_url_escapes_every_character_of_user_and_password() -> None:
    settings = settings_of(POSTGRES_USER=HOSTILE_USER, POSTGRES_PASSWORD=HOSTILE_PASSWORD)

    rendered = settings.postgres_database_url.render_as_string(hide_password=False)
    parsed = make_url(rendered)

    assert (parsed.username, parsed.password) == (HOSTILE_USER, HOSTILE_PASSWORD)
    assert (parsed.host, parsed.port, parsed.database) == ("localhost", 5432, "syncdesk_db")


def test_mongo_url_with_credentials_escapes_them_and_names_the_auth_source() -> None:
    settings = settings_of(MONGO_USER=HOSTILE_USER, MONGO_PASSWORD=HOSTILE_PASSWORD)

    parsed = parse_uri(settings.mongo_database_url)

    assert (parsed["username"], parsed["password"]) == (HOSTILE_USER, HOSTILE_PASSWORD)
    assert parsed["database"] == "syncdesk_db"
    assert parsed["options"]["authSource"] == "admin"
    assert parsed["nodelist"] == [("localhost", 27017)]


def test_mongo_url_without_both_credentials_has_none() -> None:
    for values in ({"MONGO_USER": "root"}, {"MONGO_PASSWORD": "secret"}):
        assert settings_of(**values).mongo_database_url == "mongodb://localhost:27017/syncdesk_db"


def test_settings_repr_and_str_show_no_password() -> None:
    settings = settings_of(POSTGRES_PASSWORD=HOSTILE_PASSWORD, MONGO_PASSWORD=HOSTILE_PASSWORD)

    for shown in (repr(settings), str(settings), repr(settings.postgres_database_url)):
        assert HOSTILE_PASSWORD not in shown
        assert unquote_plus(HOSTILE_PASSWORD) not in shown


def test_settings_are_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POSTGRES_PORT", "6543")
    monkeypatch.setenv("POSTGRES_ECHO", "false")

    settings = settings_of()

    assert (settings.POSTGRES_PORT, settings.POSTGRES_ECHO) == (6543, False)


def test_invalid_setting_is_reported_without_echoing_its_value(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("POSTGRES_PORT", "not-a-port-secret")

    with pytest.raises(ValueError, match="POSTGRES_PORT") as caught:
        settings_of()

    assert "not-a-port-secret" not in str(caught.value)


def test_production_refuses_the_default_postgres_password() -> None:
    with pytest.raises(InsecureSettingsError, match="POSTGRES_PASSWORD"):
        ensure_production_ready(settings_of(ENVIRONMENT="production"))


def test_production_refuses_a_mongo_user_without_password() -> None:
    settings = settings_of(ENVIRONMENT="production", POSTGRES_PASSWORD="s3cret", MONGO_USER="root")

    with pytest.raises(InsecureSettingsError, match="MONGO_PASSWORD"):
        ensure_production_ready(settings)


def test_production_accepts_real_credentials() -> None:
    settings = settings_of(
        ENVIRONMENT="production",
        POSTGRES_PASSWORD=SecretStr("s3cret"),
        MONGO_USER="root",
        MONGO_PASSWORD="m0ngo",
    )

    ensure_production_ready(settings)


def test_development_accepts_the_defaults() -> None:
    ensure_production_ready(settings_of())


@pytest.mark.parametrize(
    ("environment", "echo"), [("development", True), ("test", False), ("production", False)]
)
def test_sql_echo_defaults_on_in_development_only(environment: str, echo: bool) -> None:
    assert settings_of(ENVIRONMENT=environment).postgres_echo is echo


@pytest.mark.parametrize("environment", ["development", "test", "production"])
def test_an_explicit_sql_echo_setting_wins(environment: str) -> None:
    for echo in (True, False):
        assert settings_of(ENVIRONMENT=environment, POSTGRES_ECHO=echo).postgres_echo is echo


@pytest.fixture
def fresh_settings_cache() -> Iterator[None]:
    """`get_settings` rebuilt for one test, and again afterwards for the rest of the run."""
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_get_settings_reads_the_file_env_file_names(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, fresh_settings_cache: None
) -> None:
    (tmp_path / "staging.env").write_text("MAX_BODY_BYTES=10\n")
    monkeypatch.setenv("ENV_FILE", str(tmp_path / "staging.env"))

    assert get_settings().MAX_BODY_BYTES == 10


def test_the_suite_ignores_a_dotenv_in_the_working_directory(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, fresh_settings_cache: None
) -> None:
    (tmp_path / ".env").write_text("MAX_BODY_BYTES=10\nENVIRONMENT=production\n")
    monkeypatch.chdir(tmp_path)

    settings = get_settings()

    assert (settings.MAX_BODY_BYTES, settings.ENVIRONMENT) == (1_048_576, "development")


MANAGED_URL = "postgres://app%40corp:{password}@db.example.com:6543/appdb?sslmode=require"


def test_postgres_url_wins_over_the_parts_and_is_rewritten_for_asyncpg() -> None:
    url = MANAGED_URL.format(password=quote(HOSTILE_PASSWORD, safe=""))
    settings = settings_of(POSTGRES_URL=url, POSTGRES_HOST="ignored", POSTGRES_DB="ignored")

    rendered = settings.postgres_database_url.render_as_string(hide_password=False)
    parsed = make_url(rendered)

    assert parsed.drivername == "postgresql+asyncpg"
    assert (parsed.username, parsed.password) == ("app@corp", HOSTILE_PASSWORD)
    assert (parsed.host, parsed.port, parsed.database) == ("db.example.com", 6543, "appdb")
    assert dict(parsed.query) == {}  # libpq's TLS options go to asyncpg as `ssl`
    assert settings.postgres_url_for("postgres").database == "postgres"
    assert settings.postgres_url_for("postgres").host == "db.example.com"
    assert settings.postgres_location == "db.example.com:6543/appdb"
    assert settings.postgres_ssl_options == {"sslmode": "require"}
    assert settings.postgres_source == "POSTGRES_URL"


@pytest.mark.parametrize("scheme", ["postgres", "postgresql", "postgresql+asyncpg"])
def test_postgres_url_accepts_every_postgres_scheme(scheme: str) -> None:
    settings = settings_of(POSTGRES_URL=f"{scheme}://u:p@h/d")

    assert settings.postgres_database_url.drivername == "postgresql+asyncpg"
    assert settings.postgres_location == "h:5432/d"


def test_postgres_url_keeps_sslrootcert_when_the_file_exists(tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_text("not read here")
    url = f"postgresql://u:p@h/d?sslmode=verify-full&sslrootcert={quote(str(ca), safe='')}"

    assert settings_of(POSTGRES_URL=url).postgres_ssl_options == {
        "sslmode": "verify-full",
        "sslrootcert": str(ca),
    }


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("mysql://u:{password}@h/d", "must start with postgres:// or postgresql://"),
        ("postgresql://u:{password}@h", "must name a host and a database"),
        ("postgresql://u:{password}@h/d?sslmode=strict", "sslmode must be one of"),
        ("postgresql://u:{password}@h/d?channel_binding=require", "unsupported parameter"),
        ("postgresql://u:{password}@h/d?sslrootcert=/nowhere/ca.pem", "does not exist"),
        ("postgresql://u:p@ss{password}@h/d", "percent-escape '@'"),
        ("not a url {password}", "is not a URL"),
    ],
)
def test_invalid_postgres_url_is_refused_without_echoing_it(url: str, reason: str) -> None:
    secret = "s3cr3t-in-url"

    with pytest.raises(ValueError, match=reason) as caught:
        settings_of(POSTGRES_URL=url.format(password=secret))

    assert secret not in str(caught.value)


def test_mongo_url_is_passed_as_is_and_wins_over_the_parts() -> None:
    url = (
        f"mongodb+srv://app:{quote_plus(HOSTILE_PASSWORD)}@cluster0.example.net/appdb"
        "?replicaSet=rs0&tls=true&authSource=admin"
    )

    settings = settings_of(MONGO_URL=url, MONGO_HOST="ignored", MONGO_DB="ignored")

    assert settings.mongo_database_url == url
    assert settings.MONGO_DB == "appdb"
    assert settings.mongo_location == "cluster0.example.net/appdb"
    assert settings.mongo_source == "MONGO_URL"


def test_mongo_url_without_database_keeps_mongo_db() -> None:
    settings = settings_of(MONGO_URL="mongodb://u:p@a:27017,b:27018/?replicaSet=rs0")

    assert settings.MONGO_DB == "syncdesk_db"
    assert settings.mongo_location == "a:27017,b:27018/syncdesk_db"


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://u:{password}@h/d", "must start with mongodb:// or mongodb\\+srv://"),
        ("mongodb://u:pa/ss{password}@h/d", "percent-escape '/'"),
    ],
)
def test_invalid_mongo_url_is_refused_without_echoing_it(url: str, reason: str) -> None:
    secret = "s3cr3t-in-url"

    with pytest.raises(ValueError, match=reason) as caught:
        settings_of(MONGO_URL=url.format(password=secret))

    assert secret not in str(caught.value)


def test_urls_are_secrets_in_reprs() -> None:
    settings = settings_of(
        POSTGRES_URL="postgresql://u:pg-s3cret@h/d", MONGO_URL="mongodb://u:mongo-s3cret@h/d"
    )

    for shown in (repr(settings), str(settings), repr(settings.postgres_database_url)):
        assert "pg-s3cret" not in shown
        assert "mongo-s3cret" not in shown


def test_production_checks_the_password_of_postgres_url() -> None:
    settings = settings_of(ENVIRONMENT="production", POSTGRES_URL="postgresql://u:postgres@h/d")

    with pytest.raises(InsecureSettingsError, match="POSTGRES_PASSWORD"):
        ensure_production_ready(settings)
