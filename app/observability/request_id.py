"""The id of the request being served, for log lines and spans; taken from the caller or made."""

import os
import re
from contextvars import ContextVar

HEADER = "X-Request-ID"
# A caller's id is kept only if it is short and plain: it is written into every log line and
# echoed in a header, so anything else (newlines, quotes, a megabyte) is replaced, never echoed.
ACCEPTED = re.compile(rb"[A-Za-z0-9._:-]{1,128}")

current_request_id: ContextVar[str | None] = ContextVar("request_id", default=None)


def request_id_for(incoming: bytes | None) -> str:
    """The caller's id when it is acceptable, else a new one."""
    if incoming is not None and ACCEPTED.fullmatch(incoming):
        return incoming.decode("ascii")
    return os.urandom(16).hex()  # 128 random bits, as a uuid4 has (less its version bits)
