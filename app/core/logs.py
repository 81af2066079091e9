"""The app's own log lines: where each database is, as startup facts; never a password."""

import logging

from app.core.config import Settings

logger = logging.getLogger("app")


def show_info_lines() -> None:
    """Print the app's INFO lines on stderr, unless the host process configured logging itself."""
    if logger.handlers or logging.getLogger().handlers:
        return
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(levelname)s:     %(message)s"))  # uvicorn's look
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)


def log_database_locations(settings: Settings) -> None:
    """One line per database: host, port, database, and which settings named them."""
    postgres = [f"from {settings.postgres_source}"]
    if sslmode := settings.postgres_ssl_options.get("sslmode"):
        postgres.append(f"sslmode={sslmode}")
    if settings.POSTGRES_TRANSACTION_POOLER:
        postgres.append("behind a transaction pooler")
    logger.info("PostgreSQL at %s (%s)", settings.postgres_location, ", ".join(postgres))
    logger.info("MongoDB at %s (from %s)", settings.mongo_location, settings.mongo_source)
