"""Which databases development may drop: the ones the development tooling owns.

Development drops and recreates every table at each start. That is safe only on a server made
for it: one on this machine (a loopback address or a Unix socket: `just dev`'s throwaway
servers, a local install) or compose's `postgres` service (`just up`, the devcontainer). Any
other host, a managed service above all, is refused unless POSTGRES_DEV_RECREATE_ANY_HOST says
its data is throwaway.
"""

from ipaddress import ip_address

from app.core.config import InsecureSettingsError, Settings

# The PostgreSQL service of compose.yaml, as the app container reaches it.
COMPOSE_SERVICE = "postgres"


def is_development_host(host: str) -> bool:
    """Whether `host` is this machine or compose's PostgreSQL service."""
    if host in ("localhost", COMPOSE_SERVICE) or host.startswith("/"):
        return True
    try:
        return ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a name: anything but the two above may be someone's real database


def ensure_development_database(settings: Settings) -> None:
    """Refuse, in one line, to recreate the tables of a database development does not own."""
    if settings.POSTGRES_DEV_RECREATE_ANY_HOST or is_development_host(settings.POSTGRES_HOST):
        return
    raise InsecureSettingsError(
        f"development drops and recreates every table, and PostgreSQL at "
        f"{settings.postgres_location} (from {settings.postgres_source}) is not a local or "
        f"compose database: set ENVIRONMENT=production to serve it with migrations, or "
        f"POSTGRES_DEV_RECREATE_ANY_HOST=true if its data is throwaway"
    )
