"""The exact commands that reproduce an architecture's verdict, for its page: through lsqm
(``add``, ``validate --arch``), and with plain Terraform against a LocalStack on
``localhost:4566`` using the provider override lsqm writes for the run's provider version."""

from __future__ import annotations

from pathlib import Path

from lsqm.errors import StoreError
from lsqm.files import read_json
from lsqm.records import AppRecord, ArchitectureRecord, Result
from lsqm.reporting.history import RunView
from lsqm.store import ArtifactStore
from lsqm.terraform.provider_schema import ProviderCapabilities
from lsqm.terraform.workspace import render_provider

ENDPOINT = "http://localhost:4566"


def override_text(schemas: Path | None, version: str, endpoint: str, region: str) -> str | None:
    """The ``provider "aws"`` block lsqm writes for this provider version, rendered from the
    schema cache validate keeps (``<cache>/provider-schemas``); None when it is not there."""
    if schemas is None or not version or not schemas.is_dir():
        return None
    for path in sorted(schemas.glob(f"*aws_{version}.json")):
        try:
            data = read_json(path)
            caps = ProviderCapabilities(
                str(data["source"]),
                str(data["version"]),
                frozenset(data["arguments"]),
                tuple(data["endpoints"]),
            )
        except (StoreError, KeyError, TypeError):
            continue
        return render_provider(caps, endpoint, region)
    return None


def reproduce(
    store: ArtifactStore,
    result: Result,
    architecture: ArchitectureRecord,
    view: RunView,
    app: AppRecord | None,
    override: str | None,
) -> dict[str, list[str]]:
    """Commands that reproduce this verdict: through lsqm, and with plain terraform
    (``override``: the site's path of the provider override, when there is one)."""
    version = view.emulator_version
    arch_dir = store.architecture_dir(result.arch_hash)
    app_dir = store.app_dir(result.arch_hash)
    lsqm = [
        f"lsqm --artifacts {store.root} validate --arch {result.arch_hash}"
        + (f" --localstack-version {version}" if version != "unknown" else "")
    ]
    source = architecture.source
    if source.kind == "local" and source.path:
        tests = f" --tests {app.source}" if app is not None and app.source else ""
        name = result.name or result.arch_hash
        lsqm.insert(0, f"lsqm --artifacts {store.root} add {source.path}{tests} --name {name}")
    elif source.url:
        where = f"{source.url}{f' at {source.commit}' if source.commit else ''}"
        folder = f", folder {source.path}" if source.path else ""
        lsqm.insert(0, f"# mined from {where}{folder}; the store keeps the copy validated")
    work = f"/tmp/lsqm-{result.arch_hash}"
    env = (
        f"AWS_ENDPOINT_URL={ENDPOINT} AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test "
        f"AWS_DEFAULT_REGION={view.run.settings.region} LSQM_TF_OUTPUTS={work}/outputs.json "
        f"LSQM_TF_STATE={work}/state.json"
    )
    terraform = [
        f"cp -r {arch_dir} {work} && cd {work} && rm -f architecture.json",
        f'cp {override} lsqm_override.tf  # provider "aws" -> {ENDPOINT}'
        if override
        else '# add a provider "aws" override pointing every endpoint at ' + ENDPOINT,
        "terraform init && terraform apply -auto-approve",
        "terraform output -json > outputs.json && terraform show -json > state.json",
        *([f"(cd {app_dir} && {env} python -m pytest -q)"] if app is not None else []),
        "terraform destroy -auto-approve",
    ]
    return {"lsqm": lsqm, "terraform": terraform}
