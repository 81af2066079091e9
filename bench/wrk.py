"""Drive a URL with wrk and read its figures."""

import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

CONNECTIONS = 32
UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


@dataclass(frozen=True)
class WrkResult:
    requests: int
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    errors: int


def require_wrk() -> None:
    """Exit with install advice when wrk is missing."""
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: `sudo apt-get install wrk` (Debian) or `brew install wrk`.")


def run_wrk(
    url: str,
    seconds: int,
    script: Path | None = None,
    *args: str,
    connections: int = CONNECTIONS,
) -> WrkResult:
    """One wrk run: one thread, 32 connections unless told, latency percentiles."""
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "5s"]
    if script is not None:
        command += ["-s", str(script)]
    command.append(url)
    if args:
        command += ["--", *args]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return parse_report(output)


def parse_report(output: str) -> WrkResult:
    """The figures of a `wrk --latency` report; non-2xx answers and socket errors are errors."""
    requests = int(_find(r"(\d+) requests in", output))
    non_2xx = int(_find(r"Non-2xx or 3xx responses: (\d+)", output, "0"))
    socket_errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", output))
    return WrkResult(
        requests=requests,
        requests_per_second=float(_find(r"Requests/sec:\s+([\d.]+)", output)),
        p50_ms=_latency(output, "50%"),
        p99_ms=_latency(output, "99%"),
        errors=non_2xx + socket_errors,
    )


def _latency(output: str, percentile: str) -> float:
    match = re.search(rf"^\s+{percentile}\s+([\d.]+)(us|ms|s)\s*$", output, re.M)
    if match is None:
        raise ValueError(f"wrk output lacks the {percentile} latency:\n{output}")
    return float(match.group(1)) * UNIT_MS[match.group(2)]


def _find(pattern: str, text: str, default: str | None = None) -> str:
    match = re.search(pattern, text)
    if match is None:
        if default is None:
            raise ValueError(f"wrk output lacks {pattern!r}:\n{text}")
        return default
    return match.group(1)
