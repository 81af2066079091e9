""".ci/run and the GitHub workflow: the same commands, the README's test command among them."""

import re
from typing import Any

import yaml

from devstack.app_process import PROJECT_ROOT

CI_RUN = PROJECT_ROOT / ".ci" / "run"
WORKFLOW = PROJECT_ROOT / ".github" / "workflows" / "ci.yml"
README = PROJECT_ROOT / "README.md"
STEPS_MARKER = "# Steps"


def commands(script: str) -> list[str]:
    """The lines a shell runs: no blank lines, no comments."""
    return [line for line in script.splitlines() if line.strip() and line.lstrip()[0] != "#"]


def ci_run_steps() -> list[list[str]]:
    """.ci/run's commands below its steps marker, one list per paragraph."""
    _, steps = CI_RUN.read_text().split(f"\n{STEPS_MARKER}\n")
    return [commands(paragraph) for paragraph in steps.split("\n\n")]


def workflow_steps() -> list[list[str]]:
    """The workflow's `run` steps, in order."""
    workflow: dict[str, Any] = yaml.safe_load(WORKFLOW.read_text())
    (job,) = workflow["jobs"].values()
    return [commands(step["run"]) for step in job["steps"] if "run" in step]


def readme_test_command() -> str:
    """The second command of the README's quick start."""
    quick_start = re.search(r"## Quick start\n.*?```sh\n(.*?)```", README.read_text(), re.S)
    assert quick_start is not None
    return quick_start[1].splitlines()[1]


def test_workflow_runs_the_commands_of_ci_run_step_by_step() -> None:
    assert workflow_steps() == ci_run_steps()


def test_ci_runs_the_readme_test_command_word_for_word() -> None:
    assert [readme_test_command()] in ci_run_steps()


def test_ci_lints_before_it_tests() -> None:
    steps = ci_run_steps()

    assert steps.index(["python3 -m uv run --locked just lint"]) < steps.index(
        [readme_test_command()]
    )


def test_the_readme_shows_every_check_ci_runs_word_for_word() -> None:
    checks = [step[0] for step in ci_run_steps() if step[0].startswith("python3 -m uv run")]

    assert checks
    assert all(f"\n{check}\n" in README.read_text() for check in checks), checks
