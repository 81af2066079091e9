"""Reading an app process's JSON log lines."""

import json
from typing import Any

from devstack.app_process import ServingProcess


def json_lines(process: ServingProcess) -> list[dict[str, Any]]:
    """Every line the process wrote, each parsed as a JSON object (a line that is not fails)."""
    lines = [line for line in process.output().splitlines() if line.strip()]
    parsed = [json.loads(line) for line in lines]
    assert all(isinstance(line, dict) for line in parsed)
    return parsed


def lines_of_request(process: ServingProcess, request_id: str) -> list[dict[str, Any]]:
    """The JSON lines written while serving the request with this id."""
    return [line for line in json_lines(process) if line.get("request_id") == request_id]
