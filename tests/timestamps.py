"""Timestamp assertions shared by the route tests."""

from datetime import datetime, timedelta


def parse_utc(value: str) -> datetime:
    """Parse ISO 8601 and insist on an explicit UTC offset (`Z` or `+00:00`)."""
    assert value.endswith(("Z", "+00:00")), value
    parsed = datetime.fromisoformat(value)
    assert parsed.utcoffset() == timedelta(0)
    return parsed
