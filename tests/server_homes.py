"""Throwaway servers' homes in a folder of a test's own, and the processes running there."""

from pathlib import Path

import psutil


def processes_in(folder: Path) -> list[psutil.Process]:
    """Running processes with `folder` in their command line."""
    return [
        process
        for process in psutil.process_iter(["cmdline"])
        if str(folder) in " ".join(process.info["cmdline"] or [])
    ]
