"""What a cluster would provide, stood in for locally: the database addresses the manifests
name, served by throwaway servers; databases on them; pods started on them; the Job run."""

import asyncio
import secrets
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path

from app.core.config import Settings
from devstack.manifests import Resource, container, environment
from tests.databases import create_postgres_database, drop_mongo_database, drop_postgres_database
from tests.deploy.pod import Pod, pod_env

Addresses = dict[tuple[str, str], int]
"""For each host and port the manifests name, the local port serving it here."""


def address(env: dict[str, str], prefix: str) -> tuple[str, str]:
    """The host and port `env` names for POSTGRES or MONGO."""
    return env[f"{prefix}_HOST"], env[f"{prefix}_PORT"]


def served_here(env: dict[str, str], addresses: Addresses) -> dict[str, str]:
    """`env` with the database addresses it names replaced by the local ones: only hosts and
    ports change."""
    local = dict(env)
    for prefix in ("POSTGRES", "MONGO"):
        local[f"{prefix}_HOST"] = "127.0.0.1"
        local[f"{prefix}_PORT"] = str(addresses[address(env, prefix)])
    return local


def settings_of(env: dict[str, str]) -> Settings:
    """Settings of `env` alone: a URL in this process's environment must not win."""
    values = {k: v for k, v in env.items() if k in Settings.model_fields}
    return Settings.model_validate({"POSTGRES_URL": "", "MONGO_URL": "", **values})


@asynccontextmanager
async def database_on(addresses: Addresses, web_env: dict[str, str]) -> AsyncIterator[str]:
    """An existing, empty PostgreSQL database of its own (the Job's starting point); dropped
    afterwards, with the MongoDB database of the same name."""
    name = f"syncdesk_deploy_{secrets.token_hex(4)}"
    settings = settings_of(served_here(web_env, addresses))
    await create_postgres_database(settings, name)
    try:
        yield name
    finally:
        await drop_postgres_database(settings, name)
        await drop_mongo_database(settings, name)


StartPod = Callable[[Resource, str], Pod]


@contextmanager
def pods_on(addresses: Addresses, resources: list[Resource], logs: Path) -> Iterator[StartPod]:
    """Start a workload's container on the local addresses and a database; all stopped
    afterwards."""
    started: list[Pod] = []

    def start(resource: Resource, database: str) -> Pod:
        manifest_env = served_here(environment(resources, resource), addresses)
        env = pod_env(manifest_env, POSTGRES_DB=database, MONGO_DB=database)
        pod = Pod(resource, env, logs / f"pod-{len(started)}.log")
        started.append(pod)
        pod.start()
        return pod

    try:
        yield start
    finally:
        for pod in started:
            pod.terminate()


async def run_job(start_pod: StartPod, job: Resource, database: str) -> None:
    """The migration Job's container on `database`, to a successful end."""
    migrate = start_pod(job, database)
    status = await asyncio.to_thread(migrate.wait_exit, 60)
    assert status == 0, migrate.output()


def past_startup(pod: Pod, resource: Resource) -> Pod:
    """`pod` once its startup probe passes."""
    pod.wait_answering(f"{pod.url}{container(resource)['startupProbe']['httpGet']['path']}")
    return pod
