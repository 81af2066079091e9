"""Which xdist worker's share each test is in, and in what order.

`--dist worksteal` hands each worker an equal-sized contiguous block of the collection and lets
an idle worker take the end of the longest queue. Each block is built here: its share of the
expensive tests first, heaviest first, shared so that the blocks cost about the same; its quick
tests last, for idle workers to take.

The tests that use one of the fixtures starting servers or an app of their own go to one block
together: spread over four workers, they started those servers four times (~10 s of CPU a run on
2 cores, for the reliability tests' `stack` alone).
"""

from collections import Counter
from dataclasses import dataclass, field

import pytest

# Fixtures that start servers or an app of their own, once in each worker whose tests use them,
# and what a start costs in the seconds below (servers: initdb, MongoDB twice, an app).
SHARED_PROCESS_FIXTURES = {
    "stack": 5.0,
    "pod_servers": 5.0,
    "servers": 5.0,
    "json_log_app": 1.0,
    "live_app": 1.0,
}
# What a test costs, roughly, in seconds of a run on 2 cores (fitted to one): markers are all
# there is to go by.
LONG_COST = 11.0
SLOW_COST = 2.0
# A slow function with more cases than this makes one request each to an app started once:
# its cases share SLOW_COST.
MANY_CASES = 4


@dataclass
class _Unit:
    """Tests that go to one block together."""

    cost: float
    tests: list[pytest.Item] = field(default_factory=list)


def block_sizes(count: int, workers: int) -> list[int]:
    """The sizes of the blocks xdist's work stealing first hands `workers` workers."""
    sizes = []
    for remaining in range(workers, 0, -1):
        sizes.append(count // remaining)
        count -= sizes[-1]
    return sizes


def schedule(tests: list[pytest.Item], workers: int) -> list[pytest.Item]:
    """`tests` reordered into `workers` blocks of xdist's sizes."""
    units, quick = _expensive_units(tests), _quick(tests)
    blocks: list[list[pytest.Item]] = [[] for _ in range(workers)]
    costs = [0.0] * workers
    # Heaviest first, each to the block that costs least so far.
    for unit in sorted(units, key=lambda unit: -unit.cost):
        cheapest = costs.index(min(costs))
        blocks[cheapest] += unit.tests
        costs[cheapest] += unit.cost
    for block, size in zip(blocks, block_sizes(len(tests), workers), strict=True):
        taken = max(size - len(block), 0)
        block += quick[:taken]
        quick = quick[taken:]
    blocks[-1] += quick  # left over only if one block's expensive tests outnumber its size
    return [test for block in blocks for test in block]


def _expensive_units(tests: list[pytest.Item]) -> list[_Unit]:
    """One unit per shared-process fixture in use and one per other slow test, in collection
    order."""
    cases = Counter(_function(test) for test in tests)
    by_fixture: dict[str, _Unit] = {}
    units: list[_Unit] = []
    for test in tests:
        fixture = _shared_process_fixture(test)
        if fixture is None and not _is_slow(test):
            continue
        if fixture is None:
            unit = _Unit(cost=0.0)
            units.append(unit)
        elif fixture not in by_fixture:
            unit = by_fixture[fixture] = _Unit(cost=SHARED_PROCESS_FIXTURES[fixture])
            units.append(unit)
        else:
            unit = by_fixture[fixture]
        unit.tests.append(test)
        unit.cost += _cost(test, cases[_function(test)])
    return units


def _quick(tests: list[pytest.Item]) -> list[pytest.Item]:
    return [test for test in tests if not _is_slow(test) and _shared_process_fixture(test) is None]


def _cost(test: pytest.Item, cases: int) -> float:
    if test.get_closest_marker("long") is not None:
        return LONG_COST
    if test.get_closest_marker("slow") is not None:
        return SLOW_COST / cases if cases > MANY_CASES else SLOW_COST
    return 0.0


def _is_slow(test: pytest.Item) -> bool:
    return test.get_closest_marker("slow") is not None  # long ones too: `slow` leaves out both


def _shared_process_fixture(test: pytest.Item) -> str | None:
    fixtures = getattr(test, "fixturenames", ())  # a test function's, with what they use
    return next((name for name in SHARED_PROCESS_FIXTURES if name in fixtures), None)


def _function(test: pytest.Item) -> str:
    return test.nodeid.split("[", 1)[0]
