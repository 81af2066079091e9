"""The directory `python -m app.serve` gives its workers for their metrics."""

import os
import sys
from pathlib import Path

import pytest

from app.core.config import Settings
from app.observability.metrics_directory import MULTIPROCESS_DIR_VARIABLE, metrics_directory
from tests.commands import run_command


def test_a_temporary_metrics_directory_is_removed_and_forgotten_after_serving(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(MULTIPROCESS_DIR_VARIABLE, raising=False)

    with metrics_directory(settings.model_copy(update={"METRICS": True}), workers=2):
        directory = Path(os.environ[MULTIPROCESS_DIR_VARIABLE])
        assert directory.is_dir()

    assert not directory.exists()
    assert MULTIPROCESS_DIR_VARIABLE not in os.environ


@pytest.mark.slow
def test_the_serving_supervisor_imports_neither_fastapi_nor_prometheus_client() -> None:
    # It only watches its workers: both cost each start ~0.3 s of CPU and their memory.
    script = (
        "import sys, app.serve; print(sorted({'fastapi', 'prometheus_client'} & set(sys.modules)))"
    )

    result = run_command([sys.executable, "-c", script])

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
