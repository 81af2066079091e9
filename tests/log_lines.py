"""A log line's message in either format: production writes JSON lines, elsewhere text."""

import json


def message(line: str) -> str:
    """The `message` of a JSON line; a text line as it is."""
    if not line.startswith("{"):
        return line
    text = json.loads(line)["message"]
    assert isinstance(text, str)
    return text
