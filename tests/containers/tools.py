"""Where the test group's command-line tools live: beside this interpreter."""

import sysconfig
from pathlib import Path


def tool(name: str) -> Path:
    """A console script of the environment running the tests (`.venv/bin`, or the image's)."""
    path = Path(sysconfig.get_path("scripts")) / name
    assert path.exists(), f"{name} not installed: run `uv sync --group test`"
    return path
