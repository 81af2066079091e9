"""Application settings, read from the environment and an optional `.env` file."""

from functools import lru_cache
from typing import Literal
from urllib.parse import quote_plus

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import URL

Environment = Literal["development", "test", "production"]
MongoDriver = Literal["motor", "pymongo"]

DEFAULT_POSTGRES_PASSWORD = "postgres"  # noqa: S105  # the seed's development default


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
    MONGO_DRIVER: MongoDriver = Field(
        default="motor",
        description="MongoDB driver: `motor` or `pymongo` (PyMongo's async API, Motor's successor)",
    )

    MAX_BODY_BYTES: int = Field(default=1_048_576, gt=0)

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
