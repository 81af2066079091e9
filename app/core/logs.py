"""The app's own startup lines: where each database is; never a password."""

import logging

from app.core.config import Settings

logger = logging.getLogger("app")


def log_database_locations(settings: Settings) -> None:
    """One line per database: host, port, database, and which settings named them."""
    postgres = [f"from {settings.postgres_source}"]
    if sslmode := settings.postgres_ssl_options.get("sslmode"):
        postgres.append(f"sslmode={sslmode}")
    if settings.POSTGRES_TRANSACTION_POOLER:
        postgres.append("behind a transaction pooler")
    logger.info("PostgreSQL at %s (%s)", settings.postgres_location, ", ".join(postgres))
    logger.info("MongoDB at %s (from %s)", settings.mongo_location, settings.mongo_source)
