"""Stores with known histories, written through the real store as validate writes them
(records, result files, logs), for the reporting tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from lsqm.records import (
    ArchitectureRecord,
    Attempt,
    Category,
    EmulatorInfo,
    Result,
    Run,
    RunStatus,
    StageRecord,
    Status,
    TerraformInfo,
    TestCase,
    TestCounts,
    summarize,
)
from lsqm.store import ArtifactStore

# Run ids sort by time as strings; these are four weekly runs.
R1 = "20261102T040000Z-aaaaaa"
R2 = "20261109T040000Z-bbbbbb"
R3 = "20261116T040000Z-cccccc"
R4 = "20261123T040000Z-dddddd"


@dataclass(frozen=True)
class V:
    """A verdict as a test states it."""

    status: Status
    category: Category | None = None
    signature: str = ""
    flaky: bool = False
    duration: float = 10.0


PASSED = V(Status.PASSED)


def failed(category: Category, signature: str, flaky: bool = False) -> V:
    status = {
        Category.EMULATOR_BEHAVIOUR: Status.PARTIAL,
        Category.TIMEOUT: Status.TIMEOUT,
        Category.ENVIRONMENT: Status.ERROR,
        Category.HARNESS: Status.ERROR,
        Category.NO_TESTS: Status.ERROR,
        Category.TERRAFORM_CONFIG: Status.ERROR,
    }.get(category, Status.FAILED)
    return V(status, category, signature, flaky)


@dataclass
class History:
    store: ArtifactStore
    hashes: dict[str, str] = field(default_factory=dict)  # name -> hash

    def arch(
        self,
        name: str,
        services: tuple[str, ...] = ("sqs",),
        resource_types: tuple[str, ...] = ("aws_sqs_queue",),
        stars: int = 0,
        source: Path | None = None,
    ) -> str:
        folder = self.store.root.parent / "sources" / name
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "main.tf").write_text(
            f'resource "aws_sqs_queue" "q" {{\n  name = "{name}"\n}}\n', encoding="utf-8"
        )
        record = ArchitectureRecord(
            name=name,
            services=list(services),
            resource_types=list(resource_types),
            origin={"stars": stars} if stars else {},
        )
        record.source.path = str(source or folder)
        arch_hash = self.store.add_architecture(folder, record)
        self.hashes[name] = arch_hash
        return arch_hash

    def run(
        self,
        run_id: str,
        version: str,
        verdicts: dict[str, V],
        status: RunStatus = RunStatus.COMPLETE,
    ) -> Run:
        results = []
        for name, v in verdicts.items():
            arch_hash = self.hashes[name]
            result = make_result(run_id, arch_hash, name, v)
            self.store.write_result(result)
            results.append(result)
        day = run_id[:8]
        run = Run(
            run_id=run_id,
            started_at=f"{day[:4]}-{day[4:6]}-{day[6:]}T04:00:00Z",
            finished_at=f"{day[:4]}-{day[4:6]}-{day[6:]}T04:12:30Z",
            status=status,
            architectures=sorted(self.hashes[n] for n in verdicts),
            terraform=TerraformInfo(version="1.11.4", providers={"hashicorp/aws": "3.39.0"}),
            emulator=EmulatorInfo(runtime="host", version=version),
            summary=summarize(results),
        )
        self.store.write_run(run)
        return run


def make_result(run_id: str, arch_hash: str, name: str, v: V) -> Result:
    passed = v.status is Status.PASSED
    deployed = passed or v.status is Status.PARTIAL
    stages = {
        "init": StageRecord(ok=True, seconds=0.5, exit_code=0),
        "apply": StageRecord(ok=deployed, seconds=4.0, exit_code=0 if deployed else 1),
    }
    if deployed:
        stages["plan"] = StageRecord(ok=True, seconds=1.0, exit_code=0)
        stages["test"] = StageRecord(ok=passed, seconds=2.0, exit_code=0 if passed else 1)
        stages["destroy"] = StageRecord(ok=True, seconds=1.0, exit_code=0)
    tests = TestCounts()
    cases: list[TestCase] = []
    if deployed:
        tests = TestCounts(total=2, passed=2 if passed else 1, failed=0 if passed else 1)
        cases = [
            TestCase(name="test_app::test_one", outcome="passed", seconds=0.2),
            TestCase(
                name="test_app::test_two",
                outcome="passed" if passed else "failed",
                seconds=0.3,
                message="" if passed else "AssertionError: assert '45' == '999'",
            ),
        ]
    attempts = []
    if v.flaky:
        other = Status.PASSED if v.status is not Status.PASSED else Status.PARTIAL
        attempts = [Attempt(status=other, duration_s=v.duration)]
    return Result(
        arch_hash=arch_hash,
        name=name,
        run_id=run_id,
        status=v.status,
        category=v.category,
        signature=v.signature,
        message=v.signature or "",
        tests=tests,
        test_cases=cases,
        stages=stages,
        started_at="2026-11-02T04:01:00Z",
        duration_s=v.duration,
        attempts=attempts,
        flaky=v.flaky,
    )


APPLY_LOG = """aws_s3_bucket.site: Creating...

Error: error creating S3 Bucket (site): InternalError: We encountered an internal error.
	status code: 500, request id: 0f1e2d3c

  with aws_s3_bucket.site,
  on main.tf line 1, in resource "aws_s3_bucket" "site":
   1: resource "aws_s3_bucket" "site" {
"""

EMULATOR_LOG = """2026-11-09T04:01:02.100  INFO --- [   asgi_gw_0] localstack.request.aws     : AWS s3.CreateBucket => 500 (InternalError)
2026-11-09T04:01:02.200  INFO --- [   asgi_gw_1] localstack.request.aws     : AWS sts.GetCallerIdentity => 200
"""


def write_logs(
    store: ArtifactStore,
    run_id: str,
    arch_hash: str,
    apply: str = APPLY_LOG,
    emulator: str = EMULATOR_LOG,
) -> Path:
    """The logs validate keeps for one architecture: stage logs and the emulator's window."""
    folder = store.logs_dir(run_id, arch_hash)
    (folder / "init.log").write_text("Terraform has been successfully initialized!\n")
    (folder / "apply.log").write_text(apply)
    (folder / "emulator.log").write_text(emulator)
    return folder
