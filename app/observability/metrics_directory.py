"""Where the workers of `python -m app.serve` keep their metrics: Prometheus's multiprocess mode.

Kept apart from `app.observability.metrics`, which imports FastAPI and prometheus_client: the
serving command's supervisor needs only this, and imports neither.
"""

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from app.core.config import Settings

MULTIPROCESS_DIR_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"


@contextmanager
def metrics_directory(settings: Settings, workers: int) -> Iterator[None]:
    """An empty `PROMETHEUS_MULTIPROC_DIR` for the workers' metrics while they run, when
    there are several workers (or the variable names one); a temporary one is removed after."""
    named = os.environ.get(MULTIPROCESS_DIR_VARIABLE)
    if not settings.METRICS or (not named and workers == 1):
        yield
        return
    directory = Path(named) if named else Path(tempfile.mkdtemp(prefix="syncdesk-metrics-"))
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob("*.db"):
        stale.unlink()
    os.environ[MULTIPROCESS_DIR_VARIABLE] = str(directory)  # inherited by the workers
    try:
        yield
    finally:
        if not named:
            del os.environ[MULTIPROCESS_DIR_VARIABLE]  # names a directory removed below
            shutil.rmtree(directory, ignore_errors=True)
