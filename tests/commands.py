"""Commands run to their end in a process of their own, their output kept for the assertions."""

import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

from devstack.app_process import PROJECT_ROOT

# A guard against a hung command, not a time budget: each command here ends in seconds, and a
# CPU-starved machine must not turn a slow one into a failure.
HANG_GUARD_SECONDS = 300.0


def run_command(
    argv: Sequence[str | Path],
    *,
    cwd: Path = PROJECT_ROOT,
    env: Mapping[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run `argv` from `cwd` (the project root by default); a failure is returned, not raised."""
    return subprocess.run(
        [str(arg) for arg in argv],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=HANG_GUARD_SECONDS,
        check=False,
    )
