"""The order xdist's work stealing gets the tests in (`tests.scheduling`)."""

from dataclasses import dataclass, field

import pytest

from tests.scheduling import block_sizes, schedule


@dataclass
class FakeTest:
    nodeid: str
    markers: tuple[str, ...] = ()
    fixturenames: list[str] = field(default_factory=list)

    def get_closest_marker(self, name: str) -> object | None:
        return name if name in self.markers else None


def blocks(tests: list[FakeTest], workers: int) -> list[list[str]]:
    ordered = schedule(tests, workers)  # type: ignore[arg-type]
    result, start = [], 0
    for size in block_sizes(len(ordered), workers):
        result.append([test.nodeid for test in ordered[start : start + size]])
        start += size
    return result


def quick(count: int) -> list[FakeTest]:
    return [FakeTest(f"test_quick.py::test_{n}") for n in range(count)]


LONG = ("slow", "long")


@pytest.mark.parametrize(("count", "workers"), [(612, 4), (10, 4), (3, 1), (7, 2)])
def test_block_sizes_are_xdists_first_split(count: int, workers: int) -> None:
    sizes = block_sizes(count, workers)

    assert sum(sizes) == count
    assert max(sizes) - min(sizes) <= 1
    assert sizes == sorted(sizes)  # xdist gives each next worker len(pending) // workers left


def test_every_test_is_scheduled_once() -> None:
    tests = [FakeTest("a.py::test_long", LONG), FakeTest("b.py::test_slow", ("slow",)), *quick(9)]

    ordered = schedule(tests, 4)  # type: ignore[arg-type]

    assert sorted(test.nodeid for test in ordered) == sorted(test.nodeid for test in tests)


def test_tests_sharing_servers_of_their_own_run_in_one_block() -> None:
    stack = [FakeTest(f"r.py::test_fault_{n}", ("slow",), ["stack"]) for n in range(6)]
    stack.append(FakeTest("r.py::test_quick_on_the_stack", (), ["stack"]))
    tests = [*stack, *[FakeTest(f"x.py::test_long_{n}", LONG) for n in range(3)], *quick(30)]

    with_stack = [block for block in blocks(tests, 4) if "r.py::test_fault_0" in block]

    assert len(with_stack) == 1
    assert {test.nodeid for test in stack} <= set(with_stack[0])


def test_long_tests_are_shared_among_the_blocks() -> None:
    tests = [*[FakeTest(f"x.py::test_long_{n}", LONG) for n in range(4)], *quick(36)]

    assert [sum("long" in nodeid for nodeid in block) for block in blocks(tests, 4)] == [1] * 4


def test_each_block_starts_with_its_expensive_tests_the_heaviest_first() -> None:
    tests = [*quick(6), FakeTest("s.py::test_slow", ("slow",)), FakeTest("l.py::test_long", LONG)]

    (block,) = blocks(tests, 1)

    assert block[:2] == ["l.py::test_long", "s.py::test_slow"]


def test_the_cases_of_a_slow_function_with_many_share_its_cost() -> None:
    # 20 one-request cases cost one slow test in all: they balance one slow test, not ten.
    many = [FakeTest(f"h.py::test_input[{n}]", ("slow",)) for n in range(20)]
    tests = [FakeTest("s.py::test_slow", ("slow",)), *many, *quick(20)]

    first, second = blocks(tests, 2)

    assert "s.py::test_slow" in first
    assert not [nodeid for nodeid in first if "test_input" in nodeid]
    assert {test.nodeid for test in many} <= set(second)
