"""Application settings, read from the environment and an optional `.env` file."""

import json
import re
from functools import lru_cache
from typing import Annotated, Literal
from urllib.parse import quote_plus

from pydantic import BeforeValidator, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy import URL

Environment = Literal["development", "test", "production"]

DEFAULT_POSTGRES_PASSWORD = "postgres"  # noqa: S105  # the seed's development default
# The dev servers of the usual front-end tools: Create React App / Next.js, Angular, Vite.
DEVELOPMENT_CORS_ORIGINS = tuple(
    f"http://{host}:{port}" for port in (3000, 4200, 5173) for host in ("localhost", "127.0.0.1")
)
# scheme://host[:port], as browsers send it in `Origin`: no path, no trailing slash.
ORIGIN = re.compile(r"https?://[^/\s]+")


def unset_when_empty(value: object) -> object:
    """An empty variable means "not set": the environment's default applies."""
    return None if isinstance(value, str) and not value.strip() else value


def split_origins(value: object) -> object:
    """Origins from the environment: comma-separated, or a JSON list (`[]` for none)."""
    if not isinstance(value, str) or not value.strip():
        return unset_when_empty(value)
    if value.lstrip().startswith("["):
        return json.loads(value)
    return [origin.strip() for origin in value.split(",") if origin.strip()]


class Settings(BaseSettings):
    """Every knob the app reads; see README's settings table."""

    # Validation errors must not echo input: it may be a password.
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", hide_input_in_errors=True)

    ENVIRONMENT: Environment = "development"

    POSTGRES_USER: str = "postgres"
    POSTGRES_PASSWORD: SecretStr = SecretStr(DEFAULT_POSTGRES_PASSWORD)
    POSTGRES_HOST: str = "localhost"
    POSTGRES_PORT: int = Field(default=5432, ge=1, le=65535)
    POSTGRES_DB: str = "syncdesk_db"
    POSTGRES_ECHO: bool = True
    # Pool: kept connections cover one worker's ~32 concurrent requests, so none are opened
    # and closed per request (overflow ones are); see README "Pool sizing".
    POSTGRES_POOL_SIZE: int = Field(default=32, ge=1)
    POSTGRES_MAX_OVERFLOW: int = Field(default=8, ge=0)
    POSTGRES_POOL_RECYCLE: int = Field(default=1800, ge=-1)
    POSTGRES_POOL_PRE_PING: bool = False
    # Waiting for a pooled connection under load is not an outage, so this is well above the
    # request budget; the two below bound an outage instead.
    POSTGRES_POOL_TIMEOUT: float = Field(default=30.0, gt=0)
    POSTGRES_CONNECT_TIMEOUT: float = Field(default=1.0, gt=0)
    POSTGRES_COMMAND_TIMEOUT: float = Field(default=1.0, gt=0)

    MONGO_USER: str = ""
    MONGO_PASSWORD: SecretStr = SecretStr("")
    MONGO_HOST: str = "localhost"
    MONGO_PORT: int = Field(default=27017, ge=1, le=65535)
    MONGO_DB: str = "syncdesk_db"
    MONGO_AUTH_SOURCE: str = "admin"
    # One budget for a whole operation, retries and server selection included (driver's CSOT).
    MONGO_TIMEOUT_MS: int = Field(default=1500, gt=0)

    MAX_BODY_BYTES: int = Field(default=1_048_576, gt=0)

    WEB_CONCURRENCY: Annotated[int | None, BeforeValidator(unset_when_empty)] = Field(
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
    CORS_ORIGINS: Annotated[list[str] | None, NoDecode, BeforeValidator(split_origins)] = Field(
        default=None,
        description=(
            "Comma-separated origins browsers may call the API from; empty: local front-end "
            "dev servers in development, none elsewhere."
        ),
    )
    API_DOCS: Annotated[bool | None, BeforeValidator(unset_when_empty)] = Field(
        default=None,
        description="Serve /docs, /redoc and /openapi.json; empty: on except in production.",
    )

    @field_validator("CORS_ORIGINS")
    @classmethod
    def _origins_are_bare(cls, origins: list[str] | None) -> list[str] | None:
        for origin in origins or ():
            if origin != "*" and not ORIGIN.fullmatch(origin):
                raise ValueError(f"{origin!r} is not an origin like https://app.example.com")
        return origins

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
    def postgres_database_url(self) -> URL:
        """The asyncpg URL of the app's database; `URL.create` escapes every part."""
        return self.postgres_url_for(self.POSTGRES_DB)

    def postgres_url_for(self, database: str) -> URL:
        """The asyncpg URL of another database on the same server."""
        return URL.create(
            "postgresql+asyncpg",
            username=self.POSTGRES_USER,
            password=self.POSTGRES_PASSWORD.get_secret_value(),
            host=self.POSTGRES_HOST,
            port=self.POSTGRES_PORT,
            database=database,
        )

    @property
    def postgres_location(self) -> str:
        """Host, port and database, for messages: never the credentials."""
        return f"{self.POSTGRES_HOST}:{self.POSTGRES_PORT}/{self.POSTGRES_DB}"

    @property
    def mongo_database_url(self) -> str:
        """The MongoDB URL; user and password are percent-escaped."""
        address = f"{self.MONGO_HOST}:{self.MONGO_PORT}/{self.MONGO_DB}"
        password = self.MONGO_PASSWORD.get_secret_value()
        if not (self.MONGO_USER and password):
            return f"mongodb://{address}"
        credentials = f"{quote_plus(self.MONGO_USER)}:{quote_plus(password)}"
        return f"mongodb://{credentials}@{address}?authSource={quote_plus(self.MONGO_AUTH_SOURCE)}"

    @property
    def mongo_location(self) -> str:
        """Host, port and database, for messages: never the credentials."""
        return f"{self.MONGO_HOST}:{self.MONGO_PORT}/{self.MONGO_DB}"


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
    """The process's settings, read once; tests call `get_settings.cache_clear()`."""
    return Settings()
