"""Serve the app for production: `python -m app.serve [--host HOST] [--port PORT]`.

uvicorn runs `WEB_CONCURRENCY` worker processes (one per CPU unless set) without reload, and
trusts X-Forwarded-* headers only from `FORWARDED_ALLOW_IPS`. SIGTERM stops accepting, lets
the requests in flight finish, closes each worker's database clients and exits.
"""

import argparse
import os
import sys

import uvicorn
from pydantic import ValidationError

from app.core.config import get_settings

APP = "app.main:app"


def available_cpus() -> int:
    """CPUs this process may run on: its affinity mask (a container's cpuset) where known."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The address to bind; everything else comes from the settings."""
    parser = argparse.ArgumentParser(prog="python -m app.serve", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port to bind (default 8000)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    """Run uvicorn with the workers and trusted proxies the settings name."""
    args = parse_args(argv)
    try:
        settings = get_settings()
    except ValidationError as exc:
        sys.exit(f"Invalid settings: {exc}")
    uvicorn.run(
        APP,
        host=args.host,
        port=args.port,
        workers=settings.WEB_CONCURRENCY or available_cpus(),
        proxy_headers=True,
        forwarded_allow_ips=settings.FORWARDED_ALLOW_IPS,
    )


if __name__ == "__main__":
    main()
