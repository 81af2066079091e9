"""`just dev`: the app with reload, on throwaway PostgreSQL and MongoDB servers.

Ctrl-C (or SIGTERM) stops the app and both servers and deletes their data. Where the
environment names servers (POSTGRES_HOST and MONGO_HOST, as in the devcontainer), the app
runs on those instead. Either way `.env` applies, except POSTGRES_URL and MONGO_URL: the
app in development drops and recreates its tables, so it only ever gets the servers named here.
"""

import os
import signal
import subprocess
import sys
from types import FrameType

from dotenv import dotenv_values

from app.core.config import ENV_FILE_VARIABLE
from devstack.app_process import APP_FACTORY, PROJECT_ROOT
from devstack.servers import answers_ok, running_servers, wait_until

HOST = os.environ.get("DEV_HOST", "127.0.0.1")
PORT = int(os.environ.get("DEV_PORT", "8000"))


def main() -> int:
    """Run until interrupted; the exit status is the app's."""
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        if os.environ.get("POSTGRES_HOST") and os.environ.get("MONGO_HOST"):
            # Inside compose or the devcontainer: use the servers the environment names.
            return _serve(_app_env(), "the servers named")
        print("Starting throwaway PostgreSQL and MongoDB servers...", flush=True)
        with running_servers() as (postgres, mongo):
            where = f"PostgreSQL 18 on port {postgres.port}, {mongo.kind} on port {mongo.port}"
            return _serve(_app_env(postgres.env(), mongo.env()), where)
    except KeyboardInterrupt:
        return 0
    finally:
        print("Stopped.", flush=True)


def _app_env(*servers: dict[str, str]) -> dict[str, str]:
    """`.env`, then the environment, then the servers; never a database URL."""
    env = {**_dotenv(), **os.environ}
    for server in servers:
        env |= server
    # The app reads no `.env` of its own: it would bring back the URLs blanked here.
    return env | {
        "ENVIRONMENT": "development",
        "POSTGRES_URL": "",
        "MONGO_URL": "",
        ENV_FILE_VARIABLE: "",
    }


def _dotenv() -> dict[str, str]:
    path = os.environ.get(ENV_FILE_VARIABLE, ".env")
    if not path:
        return {}
    values = dotenv_values(PROJECT_ROOT / path)
    return {name: value for name, value in values.items() if value is not None}


def _serve(env: dict[str, str], databases: str) -> int:
    app = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            APP_FACTORY,
            "--reload",
            "--reload-dir",
            "app",
            "--host",
            HOST,
            "--port",
            str(PORT),
        ],
        cwd=PROJECT_ROOT,
        env=env,
    )
    try:
        wait_until(lambda: _ready(app), timeout=120, what="the app")
        print(
            f"\nReady: http://{HOST}:{PORT}  (API docs: /docs, readiness: /health/ready)\n"
            f"Databases: {databases}. Ctrl-C stops everything.\n",
            flush=True,
        )
        return app.wait()
    finally:
        if app.poll() is None:
            app.send_signal(signal.SIGINT)
            app.wait(15)


def _ready(app: subprocess.Popen[bytes]) -> bool:
    if app.poll() is not None:
        raise SystemExit(app.returncode or 1)
    return answers_ok(f"http://{HOST}:{PORT}/health/ready", timeout=2)


def _interrupt(signum: int, frame: FrameType | None) -> None:
    # The first signal starts the shutdown; later ones (a second Ctrl-C, or uv and just
    # forwarding the same one) must not cut the servers' cleanup short.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise KeyboardInterrupt


if __name__ == "__main__":
    sys.exit(main())
