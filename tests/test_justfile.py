"""The justfile's recipes: each documented, each `uv run` checking the lock."""

import json
import os
import subprocess

from devstack.app_process import PROJECT_ROOT
from tests.containers.tools import tool

JUSTFILES = [PROJECT_ROOT / "justfile", PROJECT_ROOT / "docker" / "containers.just"]


def test_every_uv_run_checks_the_lock() -> None:
    runs = [
        line.strip()
        for justfile in JUSTFILES
        for line in justfile.read_text().splitlines()
        if "{{uv}} run" in line
    ]

    assert runs
    assert [run for run in runs if "{{uv}} run --locked" not in run] == []


def test_every_recipe_has_a_doc_comment() -> None:
    dump = subprocess.run(
        [str(tool("just")), "--dump", "--dump-format", "json"],
        cwd=PROJECT_ROOT,
        env={**os.environ, "UV": "uv"},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    recipes = json.loads(dump.stdout)["recipes"]

    assert [name for name, recipe in recipes.items() if not recipe["doc"]] == []
