"""Strangers' code sees only its workspace: terraform (with its provider) and the tests run in
a bwrap sandbox. Planted architectures try to read host files through variables, locals and
``templatefile``, and a test walks ``/`` and ``$HOME``; nothing of the host reaches the store,
and the verdicts stay right (a read that fails inside the sandbox is ``terraform_config``)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from lsqm import sandbox
from lsqm.config import Settings
from lsqm.errors import ToolMissing
from lsqm.ingest import add_local
from lsqm.records import Result
from lsqm.store import ArtifactStore
from lsqm.toolchain.terraform_install import TerraformToolchain
from lsqm.validation.run import execute, plan_run

# One architecture per way a static check may not follow a host path: a variable's
# default, a local built from one, a template read through templatefile().
READS = {
    "reads_via_variable": """
variable "path" {{
  default = "/etc/hostname"
}}

locals {{
  content = file(var.path)
}}
""",
    "reads_via_local": """
variable "home" {{
  default = "{home}"
}}

locals {{
  content = file("${{var.home}}/.ssh/id_rsa")
}}
""",
    "reads_via_templatefile": """
locals {{
  beside  = "{beside}"
  content = templatefile(local.beside, {{}})
}}
""",
}
READ_COMMON = """
provider "aws" {
  region = "us-east-1"
}

resource "aws_ssm_parameter" "leak" {
  name  = "/lsqm/leak"
  type  = "String"
  value = local.content
}

output "leaked" {
  value     = aws_ssm_parameter.leak.value
  sensitive = true
}
"""

QUEUE = """\
provider "aws" {
  region = "us-east-1"
}

resource "aws_sqs_queue" "q" {
  name = "lsqm-sandbox-walk"
}

output "queue_url" {
  value = aws_sqs_queue.q.id
}
"""

WALK_TEST = """\
import os
from pathlib import Path

import boto3

PLANTED_PATHS = {paths!r}
# The planted secrets, reversed: this file itself is stored, and must not carry them.
SECRETS = [s[::-1] for s in {secrets_reversed!r}]
SKIP = {{"/usr", "/proc", "/dev", "/sys"}}


def test_the_queue_answers():
    url = boto3.client("sqs").list_queues()["QueueUrls"][0]
    assert url.endswith("lsqm-sandbox-walk")


def test_nothing_planted_is_visible_from_inside():
    # Where they were planted first: a leak fails at once, its text in the failure.
    leaked = {{p: Path(p).read_text() for p in PLANTED_PATHS if Path(p).exists()}}
    assert leaked == {{}}
    seen, hits = [], []
    for top in ("/", os.environ["HOME"], "/root", "/etc", "/tmp"):
        for folder, dirs, files in os.walk(top):
            # System files are the same on any machine; processes are read below.
            dirs[:] = [d for d in dirs if Path(folder, d).as_posix() not in SKIP]
            for name in files:
                path = Path(folder) / name
                seen.append(path.as_posix())
                try:
                    text = path.read_bytes()[: 1 << 20].decode(errors="replace")
                except OSError:
                    continue
                hits += [f"{{path}}: {{text[:200]}}" for s in SECRETS if s in text]
    processes = [p for p in os.listdir("/proc") if p.isdigit()]
    for pid in processes:
        try:
            environ = Path("/proc", pid, "environ").read_bytes().decode(errors="replace")
        except OSError:
            continue
        hits += [f"process {{pid}}: {{environ}}" for s in SECRETS if s in environ]
    assert "/etc/resolv.conf" in seen or "/etc/hosts" in seen  # it did walk
    assert len(processes) < 10, processes  # its own processes, not the host's
    assert hits == [], hits  # a leak fails here, and its text reaches the store
"""


# Planted on disk by the fixture below, and in lsqm's environment by tests/conftest.py.
CANARIES = ("CANARY-SSH-KEY-5b1c", "CANARY-BESIDE-STORE-77ad", "ghp_AAAA", "sk-ant-BBBB")


@pytest.fixture
def planted(tmp_path: Path) -> dict[str, Path]:
    """Secrets where a stranger's code would look: beside the store, in a home's .ssh."""
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    (home / ".ssh" / "id_rsa").write_text("CANARY-SSH-KEY-5b1c\n")
    beside = tmp_path / "secret-beside-the-store.txt"
    beside.write_text("CANARY-BESIDE-STORE-77ad\n")
    found: dict[str, Path] = {}
    for name, text in READS.items():
        folder = tmp_path / name
        folder.mkdir()
        (folder / "main.tf").write_text(text.format(home=home, beside=beside) + READ_COMMON)
        found[name] = folder
    walker = tmp_path / "walks_host"
    (walker / "tests").mkdir(parents=True)
    (walker / "main.tf").write_text(QUEUE)
    (walker / "tests" / "test_walk.py").write_text(
        WALK_TEST.format(
            paths=[str(home / ".ssh" / "id_rsa"), str(beside)],
            secrets_reversed=[c[::-1] for c in CANARIES],
        )
    )
    return {"home": home, "beside": beside, "walker": walker, **found}


def _validate(settings: Settings, toolchain: TerraformToolchain, *archs: Path) -> dict[str, Result]:
    store = ArtifactStore(settings.artifacts_dir)
    hashes = [add_local(store, a, a / "tests" if (a / "tests").is_dir() else None) for a in archs]
    plan = plan_run(store, run_id=None, arch=hashes, shard=None)
    execute(settings, store, plan, on_result=lambda _r: None, toolchain=toolchain)
    return {r.name: r for r in store.results(plan.run_id).values()}


def _store_text(root: Path) -> str:
    return "".join(p.read_text(errors="replace") for p in root.rglob("*") if p.is_file())


@pytest.mark.e2e
def test_nothing_of_the_host_reaches_the_store(
    e2e_settings: Settings, toolchain: TerraformToolchain, planted: dict[str, Path]
) -> None:
    assert sandbox.find_bwrap(), "bwrap must work here (scripts/test.sh installs bubblewrap)"
    by_name = _validate(e2e_settings, toolchain, *(planted[n] for n in READS), planted["walker"])
    store = ArtifactStore(e2e_settings.artifacts_dir)
    for name, path in zip(
        READS, ("/etc/hostname", planted["home"] / ".ssh/id_rsa", planted["beside"]), strict=True
    ):
        reads = by_name[name]
        assert (reads.status, reads.category) == ("ERROR", "terraform_config"), reads.message
        log = (store.logs_dir(reads.run_id, reads.arch_hash) / "apply.log").read_text()
        assert f'no file exists at "{path}"' in " ".join(log.split()), (name, log[-800:])
    walker = by_name["walks_host"]
    assert (walker.status, walker.tests.passed) == ("PASSED", 2), walker.message
    run = store.run(walker.run_id)
    assert run.sandbox == "bwrap" and run.warnings == []
    text = _store_text(store.root)
    for canary in CANARIES:
        assert canary not in text, canary
    hostname = Path("/etc/hostname").read_text().strip()
    sandboxed = [p for p in store.root.rglob("*") if p.is_file() and p.name != "emulator.log"]
    if len(hostname) >= 6:
        assert not any(hostname in p.read_text(errors="replace") for p in sandboxed)


@pytest.mark.e2e
def test_without_the_sandbox_the_same_architecture_leaks(
    e2e_settings: Settings, toolchain: TerraformToolchain, planted: dict[str, Path]
) -> None:
    """The check above can fail: unsandboxed, the planted reads succeed and land in state."""
    e2e_settings.sandbox = "off"
    by_name = _validate(e2e_settings, toolchain, *(planted[n] for n in READS), planted["walker"])
    assert {by_name[n].status for n in READS} == {"ERROR"}  # deployed; no tests to run
    walker = by_name["walks_host"]  # it saw the planted files, and said so
    assert (walker.status, walker.tests.failed) == ("PARTIAL", 1), walker.message
    store = ArtifactStore(e2e_settings.artifacts_dir)
    run = store.run(by_name["reads_via_local"].run_id)
    assert run.sandbox == "none" and "sandbox turned off" in run.warnings[0]
    text = _store_text(store.root)
    assert "CANARY-SSH-KEY-5b1c" in text and "CANARY-BESIDE-STORE-77ad" in text


def test_required_sandbox_without_bwrap_is_a_missing_tool(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no bwrap to be found
    sandbox.find_bwrap.cache_clear()
    try:
        with pytest.raises(ToolMissing, match="apt-get install bubblewrap"):
            sandbox.choose("required")
        base, warnings = sandbox.choose("auto")
        assert base is None and "no filesystem sandbox" in warnings[0]
    finally:
        monkeypatch.setenv("PATH", os.environ["PATH"])
        sandbox.find_bwrap.cache_clear()
