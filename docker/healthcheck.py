"""The app container's healthcheck: exit 0 when `/health/ready` answers 200, else 1.

The slim image has no curl, so this uses the standard library only. Usage:
`python docker/healthcheck.py [URL]`, the URL defaulting to the app inside its container.
"""

import http.client
import sys
import urllib.request

DEFAULT_URL = "http://127.0.0.1:8000/health/ready"
# `/health/ready` answers within 3 s even when a database hangs; past this, the app itself hangs.
TIMEOUT_SECONDS = 4.0


def check(url: str) -> str | None:
    """None when `url` answers 200 in time, else why not."""
    if not url.startswith(("http://", "https://")):
        return f"not an HTTP URL: {url}"
    try:
        # The scheme is checked above: no file:// or custom opener can be reached.
        with urllib.request.urlopen(url, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
            status: int = response.status
    except (OSError, http.client.HTTPException) as exc:
        return f"{url}: {exc}"
    return None if status == 200 else f"{url}: HTTP {status}"


def main(argv: list[str]) -> int:
    problem = check(argv[1] if len(argv) > 1 else DEFAULT_URL)
    if problem is not None:
        print(f"unhealthy: {problem}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
