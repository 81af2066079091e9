"""`app.models` registers every table: the database layer needs no router imported to see them."""

import json
import subprocess
import sys

from app.core.config import Settings
from tests.commands import run_command
from tests.databases import tables

# Tables seen by `app.models` alone, then after importing every feature folder's models.py.
REGISTRY_AGAINST_EVERY_MODULE = """
import importlib, json, pathlib
from app.models import metadata
registered = sorted(metadata.tables)
for path in sorted(pathlib.Path("app").glob("*/models.py")):
    importlib.import_module(".".join(path.with_suffix("").parts))
print(json.dumps([registered, sorted(metadata.tables)]))
"""

INIT_WITHOUT_ROUTERS = """
import asyncio, sys
from app.db import init_postgres_db
asyncio.run(init_postgres_db())
assert not any(name.endswith(".router") for name in sys.modules), "a router was imported"
"""


def python(code: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`code` in a fresh interpreter, so only what it imports is loaded."""
    return run_command([sys.executable, "-c", code], env=env)


def test_registry_imports_every_models_module() -> None:
    result = python(REGISTRY_AGAINST_EVERY_MODULE)

    registered, everything = json.loads(result.stdout)
    assert registered == everything
    assert "items" in registered


async def test_init_postgres_db_creates_the_registered_tables_without_the_routers(
    scratch_env: dict[str, str], settings: Settings
) -> None:
    result = python(INIT_WITHOUT_ROUTERS, {**scratch_env, "ENVIRONMENT": "development"})

    assert result.returncode == 0, result.stderr
    scratch = settings.model_copy(update={"POSTGRES_DB": scratch_env["POSTGRES_DB"]})
    assert await tables(scratch) == {"items"}
