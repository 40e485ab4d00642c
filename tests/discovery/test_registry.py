"""The Terraform Registry source against a local server that speaks the v1 modules API:
offset pagination, verified and downloads filters, examples as candidates, source fetched
through X-Terraform-Get (tarball, zip, git::), nothing fetched again for a known version."""

from __future__ import annotations

from pathlib import Path

from tests.discovery.helpers import SQS_TF, FakeModule, FakeRegistry, Lsqm, git, make_git_repo

MODULE_TF = 'variable "name" {}\nresource "aws_sqs_queue" "q" {\n  name = var.name\n}\n'
EXAMPLE_TF = 'module "queue" {\n  source = "../../"\n  name   = "{n}"\n}\n'


def _files(extra: dict[str, str] | None = None) -> dict[str, bytes]:
    files = {
        "main.tf": MODULE_TF,
        "examples/complete/main.tf": EXAMPLE_TF.replace("{n}", "complete"),
        "examples/with-remote/main.tf": 'module "vpc" {\n  source = "terraform-aws-modules/'
        'vpc/aws"\n}\nresource "aws_sqs_queue" "q" {}\n',
        **(extra or {}),
    }
    return {k: v.encode() for k, v in files.items()}


def _configure(lsqm: Lsqm, registry: FakeRegistry, **spec: object) -> None:
    lsqm.discovery["registry_url"] = registry.base
    lsqm.sources([{"name": "registry", "kind": "terraform_registry", **spec}])


def test_registry_modules_and_examples_are_candidates(lsqm: Lsqm, registry: FakeRegistry) -> None:
    registry.modules = [
        FakeModule("tam", "sqs", "4.0.0", 900_000, _files()),
        FakeModule(
            "tam",
            "sns",
            "1.0.0",
            500_000,
            _files({"examples/complete/main.tf": EXAMPLE_TF.replace("{n}", "sns")}),
            archive="zip",
        ),
        FakeModule("tam", "tiny", "0.1.0", 10, _files()),  # below the downloads threshold
        FakeModule("someone", "unverified", "1.0.0", 900_000, _files(), verified=False),
    ]
    _configure(lsqm, registry, min_downloads=1000, max_modules=10)
    code, out = lsqm.json("mine")
    assert code == 0, out
    assert out["candidates_seen"] == 6  # 2 modules x (root + 2 examples)
    assert out["accepted"] == 2
    assert out["rejected_by_reason"] == {"remote_module": 2, "required_variable": 2}
    archs = {a["name"]: a for a in lsqm.architectures().values()}
    assert set(archs) == {"tam-sqs/examples/complete", "tam-sns/examples/complete"}
    arch = archs["tam-sqs/examples/complete"]
    assert arch["root"] == "examples/complete" and arch["local_modules"] == ["."]
    assert arch["source"]["kind"] == "terraform_registry" and arch["source"]["commit"] == "4.0.0"
    assert arch["origin"]["downloads"] == 900_000

    registry.log.clear()
    code, again = lsqm.json("mine")
    assert again["accepted"] == 0 and again["unchanged_accepted"] == 2
    assert again["rejected_remembered"] == 4
    assert not any("download" in p or "archives" in p for p in registry.log)


def test_registry_pagination_follows_next_offset(lsqm: Lsqm, registry: FakeRegistry) -> None:
    registry.modules = [
        FakeModule(
            "tam", f"m{i}", "1.0.0", 5000, {"main.tf": SQS_TF.replace("queue", f"q{i}").encode()}
        )
        for i in range(5)
    ]
    _configure(lsqm, registry, max_modules=4, page_size=2)
    code, out = lsqm.json("mine")
    assert code == 0, out
    assert out["accepted"] == 4
    listing = [p for p in registry.log if p.startswith("/v1/modules?")]
    assert len(listing) == 2 and "offset=2" in listing[1]


def test_registry_git_source_is_cloned(lsqm: Lsqm, registry: FakeRegistry, tmp_path: Path) -> None:
    repo = make_git_repo(tmp_path / "mod", {k: v.decode() for k, v in _files().items()})
    git(repo, "tag", "v2.0.0")
    registry.modules = [
        FakeModule(
            "tam", "gitmod", "2.0.0", 5000, _files(), archive=f"git::{repo.as_uri()}?ref=v2.0.0"
        ),
    ]
    _configure(lsqm, registry)
    code, out = lsqm.json("mine")
    assert code == 0, out
    assert out["accepted"] == 1
    assert next(iter(lsqm.architectures().values()))["name"] == "tam-gitmod/examples/complete"
