"""What the rendered manifests promise, checked against the app, the image and each other."""

import pytest

from app.core.config import Settings
from app.health.router import CHECK_TIMEOUT_SECONDS
from devstack.manifests import Resource, container, environment, pod_spec, workload
from tests.budgets import UNAVAILABLE_WITHIN_SECONDS
from tests.containers.dockerfile import stages
from tests.deploy.pod import writable_paths

WORKLOADS = ["Deployment", "Job"]


def labels(resource: Resource) -> dict[str, str]:
    found: dict[str, str] = resource["spec"]["template"]["metadata"]["labels"]
    return found


def selects(selector: dict[str, str], resource: Resource) -> bool:
    return selector.items() <= labels(resource).items()


def test_web_pods_run_one_worker_each_and_two_replicas_by_default(
    production: list[Resource], deployment: Resource, web_env: dict[str, str]
) -> None:
    autoscaler = workload(production, "HorizontalPodAutoscaler")

    assert web_env["WEB_CONCURRENCY"] == "1"
    assert autoscaler["spec"]["scaleTargetRef"]["name"] == deployment["metadata"]["name"]
    assert autoscaler["spec"]["minReplicas"] == 2
    # The autoscaler owns the count: an apply must not reset it.
    assert "replicas" not in deployment["spec"]


def test_web_pods_and_migration_run_one_image_with_the_same_settings(
    production: list[Resource], deployment: Resource, job: Resource
) -> None:
    assert container(job)["image"] == container(deployment)["image"]
    assert environment(production, job) == environment(production, deployment)
    assert environment(production, job)["ENVIRONMENT"] == "production"


@pytest.mark.parametrize("kind", WORKLOADS)
def test_pods_run_as_the_image_user_without_privileges(
    production: list[Resource], kind: str
) -> None:
    resource = workload(production, kind)
    pod, spec = pod_spec(resource), container(resource)
    user, group = map(int, stages()["runtime"].arguments("USER")[-1].split(":"))

    assert pod["automountServiceAccountToken"] is False
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert (pod["securityContext"]["runAsUser"], pod["securityContext"]["runAsGroup"]) == (
        user,
        group,
    )
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert spec["securityContext"] == {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "capabilities": {"drop": ["ALL"]},
    }
    assert writable_paths(resource) == ["/tmp"]  # noqa: S108  # an emptyDir, not a shared /tmp


def test_readiness_timeout_outlasts_the_apps_answer_budget(
    deployment: Resource, web_env: dict[str, str]
) -> None:
    probe = container(deployment)["readinessProbe"]
    settings = Settings.model_validate(web_env)

    # Each database check is cut at CHECK_TIMEOUT_SECONDS, after its connect timeout, so the
    # answer (a 503 in an outage) comes before the probe gives up.
    assert settings.POSTGRES_CONNECT_TIMEOUT < CHECK_TIMEOUT_SECONDS
    assert settings.MONGO_TIMEOUT_MS / 1000 < CHECK_TIMEOUT_SECONDS
    # The HTTP contract: /health/ready answers within 3 s whatever the databases do.
    assert CHECK_TIMEOUT_SECONDS < UNAVAILABLE_WITHIN_SECONDS < probe["timeoutSeconds"]
    assert probe["httpGet"]["path"] == "/health/ready"


def test_liveness_and_startup_probes_ask_health_not_readiness(deployment: Resource) -> None:
    # `/health` touches no database (tests/health): an outage never restarts a pod.
    spec = container(deployment)

    assert spec["livenessProbe"]["httpGet"]["path"] == "/health"
    assert spec["startupProbe"]["httpGet"]["path"] == "/health"


def test_grace_period_outlasts_the_pause_and_the_longest_request(
    deployment: Resource, web_env: dict[str, str]
) -> None:
    pause = container(deployment)["lifecycle"]["preStop"]["sleep"]["seconds"]
    settings = Settings.model_validate(web_env)
    longest_request = settings.POSTGRES_POOL_TIMEOUT + settings.POSTGRES_COMMAND_TIMEOUT

    assert pod_spec(deployment)["terminationGracePeriodSeconds"] > pause + longest_request


def test_migration_job_is_bounded_and_cleaned_up(job: Resource) -> None:
    assert container(job)["command"] == ["python", "-m", "app.migrations"]
    assert pod_spec(job)["restartPolicy"] == "Never"
    assert job["spec"]["backoffLimit"] >= 1
    assert job["spec"]["activeDeadlineSeconds"] > 0
    assert job["spec"]["ttlSecondsAfterFinished"] > 0


def test_service_and_disruption_budget_select_the_web_pods_only(
    production: list[Resource], deployment: Resource, job: Resource
) -> None:
    service = workload(production, "Service")
    budget = workload(production, "PodDisruptionBudget")
    (port,) = container(deployment)["ports"]

    for selector in (service["spec"]["selector"], budget["spec"]["selector"]["matchLabels"]):
        assert selects(selector, deployment)
        assert not selects(selector, job)
    assert service["spec"]["ports"][0]["targetPort"] == port["name"]


def test_network_policy_admits_only_the_app_port_and_covers_both_pods(
    production: list[Resource], deployment: Resource, job: Resource
) -> None:
    policy = workload(production, "NetworkPolicy")
    (port,) = container(deployment)["ports"]

    assert selects(policy["spec"]["podSelector"]["matchLabels"], deployment)
    assert selects(policy["spec"]["podSelector"]["matchLabels"], job)
    assert policy["spec"]["policyTypes"] == ["Ingress", "Egress"]
    assert policy["spec"]["ingress"] == [{"ports": [{"port": port["name"], "protocol": "TCP"}]}]
    egress_ports = {p["port"] for rule in policy["spec"]["egress"] for p in rule["ports"]}
    assert egress_ports == {53, 5432, 27017}


def test_pgbouncer_overlay_pools_the_web_pods_and_migrates_directly(
    production: list[Resource], pgbouncer: list[Resource], web_env: dict[str, str]
) -> None:
    web = environment(pgbouncer, workload(pgbouncer, "Deployment"))
    migrate = environment(pgbouncer, workload(pgbouncer, "Job"))

    assert web["POSTGRES_TRANSACTION_POOLER"] == "true"
    assert web["POSTGRES_HOST"] != web_env["POSTGRES_HOST"]
    # The migration's advisory lock needs a session of its own: straight to PostgreSQL.
    assert migrate["POSTGRES_TRANSACTION_POOLER"] == "false"
    assert (migrate["POSTGRES_HOST"], migrate["POSTGRES_PORT"]) == (
        web_env["POSTGRES_HOST"],
        web_env["POSTGRES_PORT"],
    )
