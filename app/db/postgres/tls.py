"""libpq's `sslmode` and `sslrootcert` as asyncpg's `ssl` argument, with libpq's meaning.

| sslmode       | encrypted              | verifies                                     |
|---------------|------------------------|----------------------------------------------|
| `disable`     | no                     | nothing                                      |
| `allow`       | only if the server asks| nothing                                      |
| `prefer`      | if the server can      | nothing                                      |
| `require`     | yes                    | nothing; the chain when `sslrootcert` is set |
| `verify-ca`   | yes                    | the chain, against `sslrootcert`             |
| `verify-full` | yes                    | the chain and the host name                  |
"""

import ssl
from collections.abc import Mapping

from app.core.database_urls import SYSTEM_ROOT_CERTIFICATES

# Modes that verify nothing, whatever `sslrootcert` says.
UNVERIFIED_MODES = frozenset({"disable", "allow", "prefer"})


def ssl_argument(options: Mapping[str, str]) -> ssl.SSLContext | str | None:
    """asyncpg's `ssl` for these libpq options; None leaves asyncpg's default (`prefer`)."""
    sslmode, sslrootcert = options.get("sslmode"), options.get("sslrootcert")
    if sslmode is None or sslrootcert is None or sslmode in UNVERIFIED_MODES:
        # asyncpg applies libpq's rules to a mode name itself, ~/.postgresql/root.crt included.
        return sslmode
    return verifying_context(sslrootcert, check_hostname=sslmode == "verify-full")


def verifying_context(sslrootcert: str, *, check_hostname: bool) -> ssl.SSLContext:
    """A client context trusting `sslrootcert` (a PEM file, or `system`) and nothing else."""
    if sslrootcert == SYSTEM_ROOT_CERTIFICATES:
        context = ssl.create_default_context()
    else:
        context = ssl.create_default_context(cafile=sslrootcert)
    # verify-ca, and require with a root certificate (as in libpq), check the chain only.
    context.check_hostname = check_hostname
    return context
