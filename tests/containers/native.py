"""Run a container's command on this machine, as the container would run it."""

import os
import shutil
from pathlib import Path

from devstack.app_process import PROJECT_ROOT
from tests.containers.dockerfile import Stage
from tests.containers.tools import tool

DOCKERIGNORED = shutil.ignore_patterns("__pycache__", "*.py[cod]")


def container_env(**settings: str) -> dict[str, str]:
    """This environment with `settings`, and the test group's scripts first on PATH.

    In the image the venv's `bin` leads PATH; here `.venv/bin` stands in for it.
    """
    path = f"{tool('python').parent}{os.pathsep}{os.environ.get('PATH', '')}"
    return {**os.environ, **settings, "PATH": path}


def copy_build_context(stage: Stage, workdir: Path) -> Path:
    """`workdir` laid out as the stage's image has it: what its COPY instructions take from
    the build context (not from other stages), without the caches .dockerignore keeps out."""
    for copy in stage.arguments("COPY"):
        *sources, destination = copy.split()
        if any(source.startswith("--from=") for source in sources):
            continue
        target = workdir / destination
        for source in sources:
            origin = PROJECT_ROOT / source
            if origin.is_dir():
                shutil.copytree(origin, target, ignore=DOCKERIGNORED, dirs_exist_ok=True)
            else:
                target.mkdir(parents=True, exist_ok=True)
                shutil.copy2(origin, target / origin.name)
    return workdir
