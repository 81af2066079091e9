"""Run a container's command on this machine, as the container would run it."""

import os

from tests.containers.tools import tool


def container_env(**settings: str) -> dict[str, str]:
    """This environment with `settings`, and the dev group's scripts first on PATH.

    In the image the venv's `bin` leads PATH; here `.venv/bin` stands in for it.
    """
    path = f"{tool('python').parent}{os.pathsep}{os.environ.get('PATH', '')}"
    return {**os.environ, **settings, "PATH": path}
