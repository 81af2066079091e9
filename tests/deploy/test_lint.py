"""`just lint-kubernetes`: every overlay renders and validates; a wrong field or probe fails it."""

import shutil
from pathlib import Path

import pytest

from devstack.manifests import KUSTOMIZE_ROOT, check, environment, overlays, render, workload

DEPLOYMENT = Path("base") / "deployment.yaml"


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A copy of deploy/kubernetes to break."""
    return Path(shutil.copytree(KUSTOMIZE_ROOT, tmp_path / "kubernetes"))


def edit(tree: Path, old: str, new: str) -> None:
    path = tree / DEPLOYMENT
    text = path.read_text()
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new))


def test_every_overlay_renders_and_validates(capsys: pytest.CaptureFixture[str]) -> None:
    assert check(KUSTOMIZE_ROOT), capsys.readouterr().err

    lines = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in lines] == [
        str(overlay.relative_to(KUSTOMIZE_ROOT)) for overlay in overlays()
    ]
    assert all(line.endswith(" valid for Kubernetes 1.30 and 1.37") for line in lines), lines


def test_a_misspelt_field_fails_the_check(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    edit(tree, "terminationGracePeriodSeconds:", "terminationGracePeriodSecond:")

    assert not check(tree)

    errors = capsys.readouterr().err
    assert "('terminationGracePeriodSecond' was unexpected)" in errors
    assert "overlays/production: Deployment/syncdesk: spec.template.spec:" in errors


def test_a_probe_on_a_path_the_app_lacks_fails_the_check(
    tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    edit(tree, "path: /health/ready", "path: /healthz")

    assert not check(tree)

    errors = capsys.readouterr().err
    assert "container app: readinessProbe: the app serves no GET /healthz" in errors


def test_a_probe_on_an_undeclared_port_fails_the_check(
    tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    edit(tree, "path: /health/ready\n              port: http", "path: /health/ready\n"
         "              port: 8080")  # fmt: skip

    assert not check(tree)

    assert "readinessProbe: port 8080 is not one of the container's" in capsys.readouterr().err


def test_the_secret_comes_from_the_example_never_a_real_secrets_env(tree: Path) -> None:
    overlay = tree / "overlays" / "production"
    (overlay / "secrets.env").write_text("POSTGRES_PASSWORD=a-real-secret\n")
    example = dict(
        line.split("=", 1)
        for line in (overlay / "secrets.env.example").read_text().splitlines()
        if line and not line.startswith("#")
    )

    resources = render(overlay)

    env = environment(resources, workload(resources, "Deployment"))
    assert env["POSTGRES_PASSWORD"] == example["POSTGRES_PASSWORD"] != "a-real-secret"
