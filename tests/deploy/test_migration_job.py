"""The migration Job's container, run as its pod runs it, and web pods that start before it ends."""

import asyncio

import pytest
from uvicorn.config import STARTUP_FAILURE

from app.migrations.config import head_revisions
from app.migrations.revision import current_revisions
from devstack.manifests import Resource, container
from tests.deploy.local_cluster import Addresses, StartPod, served_here, settings_of
from tests.deploy.pod import Pod
from tests.log_lines import message

# Starts app or server processes, or waits out timeouts: `just test-fast` leaves it out.
pytestmark = pytest.mark.slow

JOB_SECONDS = 60
# uvicorn's status for an app that could not start: the kubelet restarts the container.


async def exit_status(pod: Pod) -> int:
    return await asyncio.to_thread(pod.wait_exit, JOB_SECONDS)


async def at_head(database: str, web_env: dict[str, str], addresses: Addresses) -> bool:
    settings = settings_of({**served_here(web_env, addresses), "POSTGRES_DB": database})
    return await current_revisions(settings) == head_revisions()


async def test_job_migrates_an_empty_database_and_exits_0(
    start_pod: StartPod,
    job: Resource,
    empty_database: str,
    web_env: dict[str, str],
    addresses: Addresses,
) -> None:
    migrate = start_pod(job, empty_database)

    assert await exit_status(migrate) == 0, migrate.output()
    assert await at_head(empty_database, web_env, addresses)


async def test_two_jobs_at_once_both_migrate_and_exit_0(
    start_pod: StartPod,
    job: Resource,
    empty_database: str,
    web_env: dict[str, str],
    addresses: Addresses,
) -> None:
    first, second = start_pod(job, empty_database), start_pod(job, empty_database)

    statuses = await asyncio.gather(exit_status(first), exit_status(second))

    assert list(statuses) == [0, 0], first.output() + second.output()
    assert await at_head(empty_database, web_env, addresses)


async def test_web_pod_before_the_job_exits_3_naming_it_then_serves_once_it_ran(
    start_pod: StartPod, deployment: Resource, job: Resource, empty_database: str
) -> None:
    early = start_pod(deployment, empty_database)

    assert await exit_status(early) == STARTUP_FAILURE
    (line,) = [line for line in early.output().splitlines() if "Startup failed" in line]
    command = " ".join(job_command(job))
    assert message(line).endswith(
        f"run `just migrate` (in the image: `{command}`), then start the app"
    )

    assert await exit_status(start_pod(job, empty_database)) == 0
    restarted = start_pod(deployment, empty_database)  # the kubelet's restart, with back-off
    probe = container(deployment)["readinessProbe"]["httpGet"]["path"]
    await asyncio.to_thread(restarted.wait_answering, f"{restarted.url}{probe}")


def job_command(job: Resource) -> list[str]:
    command: list[str] = container(job)["command"]
    return command
