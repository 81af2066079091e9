"""Schemathesis against the running app, as its CLI runs: every check, every phase.

Examples, coverage, fuzzing and stateful sequences, with a bounded number of cases per
operation so the suite stays fast. A failure shows Schemathesis' report, which ends with
the run's seed: `FUZZ_SEED=<seed>` reruns the same cases.
"""

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from devstack.app_process import PROJECT_ROOT, AppProcess

# Starts app or server processes, or waits out timeouts: `just test-fast` leaves it out.
pytestmark = pytest.mark.slow

PHASES = "examples,coverage,fuzzing,stateful"
MAX_EXAMPLES = 50
TIMEOUT_SECONDS = 120
HOOKS = "tests.reliability.fuzz_hooks"


def schemathesis_run(url: str, seed: str | None) -> list[str]:
    """The CLI command testing the API whose schema is at `url`."""
    argv = [sys.executable, "-m", "schemathesis.cli", "run", url]
    argv += ["--checks", "all", "--phases", PHASES, "--max-examples", str(MAX_EXAMPLES)]
    argv += ["--generation-database", "none", "--no-color", "--request-timeout", "10"]
    return argv + (["--seed", seed] if seed else [])


@pytest.mark.long
def test_api_keeps_to_its_openapi_schema(
    start_app: Callable[..., AppProcess], scratch_env: dict[str, str], tmp_path: Path
) -> None:
    # Echo off: SQL lines are not under test here (1.2 s of the test's 16 s of CPU).
    app = start_app({**scratch_env, "ENVIRONMENT": "development", "POSTGRES_ECHO": "false"})
    env = {**os.environ, "SCHEMATHESIS_HOOKS": HOOKS, "PYTHONPATH": str(PROJECT_ROOT)}

    result = subprocess.run(
        schemathesis_run(f"{app.url}/openapi.json", os.environ.get("FUZZ_SEED")),
        cwd=str(tmp_path),  # its cache directory goes there, not into the project
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_SECONDS,
        check=False,
    )

    assert result.returncode == 0, result.stdout[-20_000:] + result.stderr[-5_000:]
    assert "Selected: 11/11" in result.stdout
