"""A log line's message in either format: production writes JSON lines, elsewhere text."""

import json
from datetime import datetime


def message(line: str) -> str:
    """The `message` of a JSON line; a text line as it is."""
    if not line.startswith("{"):
        return line
    text = json.loads(line)["message"]
    assert isinstance(text, str)
    return text


def seconds_between(output: str, first: str, last: str) -> float:
    """Seconds between the first JSON lines whose messages contain `first` and `last`, by the
    times the app wrote on them: a process's start and exit, which no setting bounds, are out."""
    lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]

    def written(part: str) -> datetime:
        times = [line["time"] for line in lines if part in line["message"]]
        assert times, f"no line with {part!r} in:\n{output}"
        return datetime.fromisoformat(times[0])

    return (written(last) - written(first)).total_seconds()
