"""Reading wrk's report: the figures `just bench` prints come from here."""

import pytest

from bench.wrk import WrkResult, parse_report

REPORT = """\
Running 1s test @ http://127.0.0.1:18777/items
  1 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.77ms  729.38us  12.62ms   90.22%
    Req/Sec     2.27k    83.03     2.42k    72.73%
  Latency Distribution
     50%  {p50}
     75%    1.96ms
     90%    2.33ms
     99%  {p99}
  2483 requests in 1.10s, 1.23MB read
{errors}Requests/sec:   2256.95
Transfer/sec:      1.12MB
"""


def report(p50: str = "1.67ms", p99: str = "3.77ms", errors: str = "") -> str:
    return REPORT.format(p50=p50, p99=p99, errors=errors)


def test_a_clean_report_gives_its_figures_in_milliseconds() -> None:
    assert parse_report(report()) == WrkResult(
        requests=2483, requests_per_second=2256.95, p50_ms=1.67, p99_ms=3.77, errors=0
    )


def test_latencies_in_microseconds_and_seconds_are_converted() -> None:
    # wrk pads a latency in seconds with a trailing space.
    result = parse_report(report(p50="830.00us", p99="1.20s "))

    assert (result.p50_ms, result.p99_ms) == pytest.approx((0.83, 1200.0))


def test_non_2xx_answers_and_socket_errors_count_as_errors() -> None:
    errors = (
        "  Socket errors: connect 1, read 2, write 0, timeout 4\n  Non-2xx or 3xx responses: 10\n"
    )

    assert parse_report(report(errors=errors)).errors == 17


def test_latencies_in_seconds_padded_by_wrk_are_read() -> None:
    # wrk pads latencies of whole seconds with a trailing space, e.g. "1.83s ".
    result = parse_report(report(p50="1.83s ", p99="1.86s "))

    assert (result.p50_ms, result.p99_ms) == pytest.approx((1830.0, 1860.0))
