"""POSTGRES_URL and MONGO_URL as managed services hand them out: parsed and checked.

Errors name what is wrong, never the URL: it holds a password.
"""

from collections.abc import Mapping
from pathlib import Path
from urllib.parse import unquote_plus

from sqlalchemy import URL
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

# What managed services hand out; all mean PostgreSQL, reached here through asyncpg.
POSTGRES_URL_SCHEMES = frozenset({"postgres", "postgresql", "postgresql+asyncpg"})
# libpq's modes, weakest first; asyncpg implements the same ones.
SSL_MODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")
# The only query parameters of POSTGRES_URL: libpq's TLS options, turned into asyncpg's `ssl`.
POSTGRES_URL_QUERY_KEYS = frozenset({"sslmode", "sslrootcert"})
# `sslrootcert=system`: the operating system's certificate authorities, as in libpq 16+.
SYSTEM_ROOT_CERTIFICATES = "system"
MONGO_URL_SCHEMES = ("mongodb://", "mongodb+srv://")


def parse_postgres_url(text: str) -> URL:
    """POSTGRES_URL parsed by SQLAlchemy and checked: scheme, host, database, TLS options."""
    try:
        url = make_url(text)
    except (ArgumentError, ValueError):
        raise ValueError(
            "POSTGRES_URL is not a URL of the form postgresql://user:password@host:port/database"
        ) from None
    if url.drivername not in POSTGRES_URL_SCHEMES:
        raise ValueError("POSTGRES_URL must start with postgres:// or postgresql://")
    if not (url.host and url.database):
        raise ValueError("POSTGRES_URL must name a host and a database")
    if "@" in url.host:
        raise ValueError("POSTGRES_URL: percent-escape '@' in the user name and password (%40)")
    if unknown := sorted(set(url.query) - POSTGRES_URL_QUERY_KEYS):
        raise ValueError(
            f"POSTGRES_URL: unsupported parameter(s) {', '.join(unknown)}; "
            f"supported: {', '.join(sorted(POSTGRES_URL_QUERY_KEYS))}"
        )
    _check_ssl_options(url.query)
    return url


def _check_ssl_options(query: Mapping[str, str | tuple[str, ...]]) -> None:
    sslmode, sslrootcert = query.get("sslmode"), query.get("sslrootcert")
    if isinstance(sslmode, tuple) or isinstance(sslrootcert, tuple):
        raise ValueError("POSTGRES_URL: sslmode and sslrootcert may appear once each")
    if sslmode is not None and sslmode not in SSL_MODES:
        raise ValueError(f"POSTGRES_URL: sslmode must be one of {', '.join(SSL_MODES)}")
    if sslrootcert not in (None, SYSTEM_ROOT_CERTIFICATES) and not Path(sslrootcert).is_file():
        raise ValueError(f"POSTGRES_URL: sslrootcert file {sslrootcert} does not exist")


def mongo_url_parts(text: str) -> tuple[str, str]:
    """The host list (for mongodb+srv, the SRV name) and database of a MongoDB URL."""
    scheme = next((scheme for scheme in MONGO_URL_SCHEMES if text.startswith(scheme)), None)
    if scheme is None:
        raise ValueError("MONGO_URL must start with mongodb:// or mongodb+srv://")
    # The driver's own split: credentials end at the last "@", the hosts at the first "/".
    authority, _, path = text.removeprefix(scheme).partition("/")
    hosts, database = authority.rpartition("@")[2], path.partition("?")[0]
    if "@" in database:
        raise ValueError("MONGO_URL: percent-escape '/' in the user name and password (%2F)")
    if not hosts:
        raise ValueError("MONGO_URL must name a host")
    return hosts, unquote_plus(database)
