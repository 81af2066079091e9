"""Application settings, read from the environment and an optional `.env` file."""

import json
import os
import re
from functools import lru_cache
from typing import Annotated, Literal, Self
from urllib.parse import quote_plus

from pydantic import BeforeValidator, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy import URL

from app.core.database_urls import mongo_url_parts, parse_postgres_url

Environment = Literal["development", "test", "production"]
MongoDriver = Literal["motor", "pymongo"]
LogFormat = Literal["text", "json"]

ENV_FILE_VARIABLE = "ENV_FILE"

DEFAULT_POSTGRES_PASSWORD = "postgres"  # noqa: S105  # the development default
# The dev servers of the usual front-end tools: Create React App / Next.js, Angular, Vite.
DEVELOPMENT_CORS_ORIGINS = tuple(
    f"http://{host}:{port}" for port in (3000, 4200, 5173) for host in ("localhost", "127.0.0.1")
)
# scheme://host[:port], as browsers send it in `Origin`: no path, no trailing slash.
ORIGIN = re.compile(r"https?://[^/\s]+")


def split_origins(value: object) -> object:
    """Origins from the environment: comma-separated, or a JSON list (`[]` for none)."""
    if not isinstance(value, str):
        return value
    if value.lstrip().startswith("["):
        return json.loads(value)
    return [origin.strip() for origin in value.split(",") if origin.strip()]


class Settings(BaseSettings):
    """Every setting the app reads; docs/settings.md is generated from these fields."""

    # Validation errors must not echo input: it may be a password.
    # An empty variable counts as unset, so `.env.example` can list settings without a value.
    model_config = SettingsConfigDict(
        env_file=".env", env_ignore_empty=True, extra="ignore", hide_input_in_errors=True
    )

    ENVIRONMENT: Environment = Field(
        "development",
        description="`development`, `test` or `production`; only `development` recreates the "
        "tables at startup.",
    )

    POSTGRES_USER: str = Field("postgres", description="PostgreSQL user.")
    POSTGRES_PASSWORD: SecretStr = Field(
        SecretStr(DEFAULT_POSTGRES_PASSWORD),
        description="PostgreSQL password; any character works (escaped in the URL). "
        "Production refuses the default.",
    )
    POSTGRES_HOST: str = Field("localhost", description="PostgreSQL host.")
    POSTGRES_PORT: int = Field(5432, ge=1, le=65535, description="PostgreSQL port.")
    POSTGRES_DB: str = Field(
        "syncdesk_db", description="The app's database; created if missing in development."
    )
    POSTGRES_URL: SecretStr = Field(
        default=SecretStr(""),
        description=(
            "A full postgres:// or postgresql:// URL, with optional sslmode and sslrootcert; "
            "when set it replaces POSTGRES_HOST, PORT, USER, PASSWORD and DB."
        ),
    )
    POSTGRES_TRANSACTION_POOLER: bool = Field(
        default=False,
        description=(
            "Set when PostgreSQL is reached through a transaction-mode pooler such as "
            "PgBouncer: no prepared-statement cache, unique statement names, reads in transactions."
        ),
    )
    POSTGRES_DEV_RECREATE_ANY_HOST: bool = Field(
        default=False,
        description=(
            "Let development drop and recreate the tables on a PostgreSQL that is neither local "
            "(loopback, Unix socket) nor compose's `postgres` service; only for throwaway data."
        ),
    )
    POSTGRES_ECHO: bool | None = Field(
        None,
        description="Log every SQL statement with its parameters. Unset: on in development "
        "only (parameters are user data).",
    )
    # Kept connections cover one worker's ~32 concurrent requests, so none are opened and
    # closed per request (overflow ones are).
    POSTGRES_POOL_SIZE: int = Field(
        32, ge=1, description="Connections each worker keeps open; size to its concurrency."
    )
    POSTGRES_MAX_OVERFLOW: int = Field(
        8, ge=0, description="Extra connections a worker may open in a burst, closed after use."
    )
    POSTGRES_POOL_RECYCLE: int = Field(
        1800,
        ge=-1,
        description="Seconds after which a pooled connection is replaced (-1: never); retires "
        "connections before typical idle timeouts.",
    )
    POSTGRES_POOL_PRE_PING: bool = Field(
        False,
        description="Test each pooled connection before use (a round trip per request); for "
        "proxies that drop idle connections silently.",
    )
    # Waiting for a pooled connection under load is not an outage, so this is well above the
    # request budget; the two below bound an outage instead.
    POSTGRES_POOL_TIMEOUT: float = Field(
        30.0, gt=0, description="Seconds a request waits for a free pooled connection."
    )
    POSTGRES_CONNECT_TIMEOUT: float = Field(
        1.0, gt=0, description="Seconds to open a connection (asyncpg's own timeout)."
    )
    POSTGRES_COMMAND_TIMEOUT: float = Field(
        1.0, gt=0, description="Seconds one statement may take (asyncpg's own timeout)."
    )

    MONGO_USER: str = Field(
        "", description="MongoDB user; with `MONGO_PASSWORD`, put in the URL (escaped)."
    )
    MONGO_PASSWORD: SecretStr = Field(SecretStr(""), description="MongoDB password.")
    MONGO_HOST: str = Field("localhost", description="MongoDB host.")
    MONGO_PORT: int = Field(27017, ge=1, le=65535, description="MongoDB port.")
    MONGO_DB: str = Field("syncdesk_db", description="The app's MongoDB database.")
    MONGO_AUTH_SOURCE: str = Field(
        "admin", description="Database the Mongo user is defined in (the image's root: `admin`)."
    )
    MONGO_URL: SecretStr = Field(
        default=SecretStr(""),
        description=(
            "A full mongodb:// or mongodb+srv:// URL, passed to the driver as is; when set it "
            "replaces MONGO_HOST, PORT, USER, PASSWORD and AUTH_SOURCE, and its database MONGO_DB."
        ),
    )
    MONGO_TIMEOUT_MS: int = Field(
        1500,
        gt=0,
        description="Milliseconds for a whole MongoDB operation, retries and server selection "
        "included (the driver's own timeout).",
    )
    MONGO_DRIVER: MongoDriver = Field(
        "pymongo",
        description="MongoDB driver: `pymongo` (PyMongo's async API), or `motor` until the first "
        "release after 2027-05-14 (Motor reached end of life in May 2026).",
    )

    MAX_BODY_BYTES: int = Field(
        1_048_576, gt=0, description="Larger request bodies get 413 before they are parsed."
    )

    WEB_CONCURRENCY: int | None = Field(
        default=None,
        ge=1,
        description="Worker processes of `just serve` and the image; empty: one per CPU.",
    )
    FORWARDED_ALLOW_IPS: str = Field(
        default="127.0.0.1,::1",
        description=(
            "Comma-separated proxy addresses (or `*`) whose X-Forwarded-For and "
            "X-Forwarded-Proto headers `just serve` and the image trust."
        ),
    )
    # A proxy that reuses an idle connection the app has just closed answers its client 502:
    # the app must keep idle connections open longer than any proxy in front does.
    TIMEOUT_KEEP_ALIVE: int = Field(
        75,
        ge=1,
        description="Seconds `just serve` and the image keep an idle connection open; keep it "
        "above the idle timeout of the proxy in front (60 s: ingress-nginx's upstream keep-alive, "
        "AWS load balancers; 600 s: Google Cloud's).",
    )
    CORS_ORIGINS: Annotated[list[str] | None, NoDecode, BeforeValidator(split_origins)] = Field(
        default=None,
        description=(
            "Comma-separated origins browsers may call the API from; empty: local front-end "
            "dev servers in development, none elsewhere."
        ),
    )
    API_DOCS: bool | None = Field(
        default=None,
        description="Serve /docs, /redoc and /openapi.json; empty: on except in production.",
    )

    LOG_FORMAT: LogFormat | None = Field(
        default=None,
        description="Log lines as `text` or `json` (one object a line, for log collectors); "
        "empty: json in production, text elsewhere.",
    )
    ACCESS_LOG: bool = Field(
        default=True,
        description="One line per request: method, route template, status, duration, request id.",
    )
    METRICS: bool = Field(
        default=True,
        description="Serve Prometheus metrics at /metrics (docs/observability.md).",
    )

    @field_validator("CORS_ORIGINS")
    @classmethod
    def _origins_are_bare(cls, origins: list[str] | None) -> list[str] | None:
        for origin in origins or ():
            if origin != "*" and not ORIGIN.fullmatch(origin):
                raise ValueError(f"{origin!r} is not an origin like https://app.example.com")
        return origins

    @property
    def postgres_echo(self) -> bool:
        """Whether to log SQL: `POSTGRES_ECHO` when set, else only in development."""
        if self.POSTGRES_ECHO is None:
            return self.ENVIRONMENT == "development"
        return self.POSTGRES_ECHO

    @property
    def cors_origins(self) -> list[str]:
        """The origins allowed: the explicit setting, else this environment's default."""
        if self.CORS_ORIGINS is not None:
            return self.CORS_ORIGINS
        return list(DEVELOPMENT_CORS_ORIGINS) if self.ENVIRONMENT == "development" else []

    @property
    def api_docs(self) -> bool:
        """Whether the API docs are served: the explicit setting, else all but production."""
        if self.API_DOCS is not None:
            return self.API_DOCS
        return self.ENVIRONMENT != "production"

    @property
    def log_format(self) -> LogFormat:
        """How log lines are written: the explicit setting, else json in production only."""
        if self.LOG_FORMAT is not None:
            return self.LOG_FORMAT
        return "json" if self.ENVIRONMENT == "production" else "text"

    @model_validator(mode="after")
    def _take_parts_from_urls(self) -> Self:
        """A full URL wins: the parts are replaced by its own, so every use of them follows it."""
        if postgres_url := self.POSTGRES_URL.get_secret_value():
            url = parse_postgres_url(postgres_url)
            self.POSTGRES_HOST, self.POSTGRES_PORT = url.host or "", url.port or 5432
            self.POSTGRES_USER = url.username or ""
            self.POSTGRES_PASSWORD = SecretStr(url.password or "")
            self.POSTGRES_DB = url.database or ""
        if mongo_url := self.MONGO_URL.get_secret_value():
            _, database = mongo_url_parts(mongo_url)
            self.MONGO_DB = database or self.MONGO_DB
        return self

    @property
    def postgres_database_url(self) -> URL:
        """The asyncpg URL of the app's database; `URL.create` escapes every part."""
        return self.postgres_url_for(self.POSTGRES_DB)

    def postgres_url_for(self, database: str) -> URL:
        """The asyncpg URL of another database on the same server."""
        return URL.create(
            "postgresql+asyncpg",
            username=self.POSTGRES_USER or None,
            password=self.POSTGRES_PASSWORD.get_secret_value() or None,
            host=self.POSTGRES_HOST,
            port=self.POSTGRES_PORT,
            database=database,
        )

    @property
    def postgres_ssl_options(self) -> dict[str, str]:
        """POSTGRES_URL's libpq TLS options (`sslmode`, `sslrootcert`); empty without a URL."""
        if not (postgres_url := self.POSTGRES_URL.get_secret_value()):
            return {}
        return {key: str(value) for key, value in parse_postgres_url(postgres_url).query.items()}

    @property
    def postgres_location(self) -> str:
        """Host, port and database, for messages: never the credentials."""
        return f"{self.POSTGRES_HOST}:{self.POSTGRES_PORT}/{self.POSTGRES_DB}"

    @property
    def postgres_server(self) -> str:
        """How messages name the database: `PostgreSQL at host:port/db`, never a credential."""
        return f"PostgreSQL at {self.postgres_location}"

    @property
    def postgres_source(self) -> str:
        """Which settings name the PostgreSQL server, for the startup log."""
        return "POSTGRES_URL" if self.POSTGRES_URL.get_secret_value() else "the POSTGRES_* parts"

    @property
    def mongo_database_url(self) -> str:
        """MONGO_URL as given, else one built from the parts (user and password escaped)."""
        if mongo_url := self.MONGO_URL.get_secret_value():
            return mongo_url
        address = f"{self.MONGO_HOST}:{self.MONGO_PORT}/{self.MONGO_DB}"
        password = self.MONGO_PASSWORD.get_secret_value()
        if not (self.MONGO_USER and password):
            return f"mongodb://{address}"
        credentials = f"{quote_plus(self.MONGO_USER)}:{quote_plus(password)}"
        return f"mongodb://{credentials}@{address}?authSource={quote_plus(self.MONGO_AUTH_SOURCE)}"

    @property
    def mongo_location(self) -> str:
        """Host(s), port and database, for messages: never the credentials."""
        if mongo_url := self.MONGO_URL.get_secret_value():
            hosts, _ = mongo_url_parts(mongo_url)
            return f"{hosts}/{self.MONGO_DB}"
        return f"{self.MONGO_HOST}:{self.MONGO_PORT}/{self.MONGO_DB}"

    @property
    def mongo_source(self) -> str:
        """Which settings name the MongoDB server, for the startup log."""
        return "MONGO_URL" if self.MONGO_URL.get_secret_value() else "the MONGO_* parts"


class InsecureSettingsError(ValueError):
    """Production settings that still carry development defaults."""


def ensure_production_ready(settings: Settings) -> None:
    """Refuse development credentials when `ENVIRONMENT=production`."""
    if settings.ENVIRONMENT != "production":
        return
    if settings.POSTGRES_PASSWORD.get_secret_value() == DEFAULT_POSTGRES_PASSWORD:
        raise InsecureSettingsError(
            "POSTGRES_PASSWORD is the default 'postgres': set a real password in production"
        )
    if settings.MONGO_USER and not settings.MONGO_PASSWORD.get_secret_value():
        raise InsecureSettingsError(
            "MONGO_PASSWORD is empty while MONGO_USER is set: set it in production"
        )


@lru_cache
def get_settings() -> Settings:
    """The process's settings, read once; tests call `get_settings.cache_clear()`.

    The environment wins over the `.env` file; `ENV_FILE` names another file, or none when empty
    (the test suite's choice, so a developer's `.env` cannot change its results).
    """
    return Settings(_env_file=os.environ.get(ENV_FILE_VARIABLE, ".env") or None)
