"""Trends and top gaps, on known histories: pass rate per run, service, resource type and
LocalStack version (SemVer and CalVer in release order); gaps clustered by signature with
their counts, services, types, first/last seen and impact weight."""

from __future__ import annotations

from pathlib import Path

import pytest

from lsqm.records import Category
from lsqm.reporting.gaps import blockers, impact, top_gaps
from lsqm.reporting.history import (
    History as Loaded,
)
from lsqm.reporting.history import (
    pass_rate_by_resource_type,
    pass_rate_by_run,
    pass_rate_by_service,
    pass_rate_by_version,
    service_matrix,
    status_history,
)
from lsqm.store import ArtifactStore

from .conftest import UNSUPPORTED
from .histories import PASSED, R1, R2, R3, R4, History, failed


def test_pass_rate_per_run_service_and_resource_type(two_runs: History) -> None:
    loaded = Loaded.load(two_runs.store)
    assert [(r.run_id, r.summary.PASSED, r.summary.total) for r in pass_rate_by_run(loaded)] == [
        (R1, 5, 9),
        (R2, 3, 9),
    ]
    head = loaded.latest
    by_service = {
        r.name: (r.passed, r.total, r.unmeasured) for r in pass_rate_by_service(loaded, head)
    }
    assert by_service == {
        "dynamodb": (0, 1, 0),
        "iam": (0, 2, 2),  # lambda_env (environment) and iam_harness (harness): not measured
        "kinesis": (0, 1, 0),
        "lambda": (0, 1, 1),
        "s3": (0, 1, 0),
        "sns": (0, 1, 0),
        "sqs": (2, 3, 0),
        "ssm": (1, 1, 0),
    }
    by_type = {r.name: (r.passed, r.total) for r in pass_rate_by_resource_type(loaded, head)}
    assert by_type["aws_sqs_queue"] == (2, 3) and by_type["aws_s3_bucket"] == (0, 1)
    matrix = service_matrix(loaded)
    assert matrix.run_ids == [R1, R2]
    assert matrix.cell("ssm", R1) is None  # new_arch was not in R1
    assert (matrix.cell("sqs", R1).passed, matrix.cell("sqs", R1).total) == (2, 3)  # type: ignore[union-attr]


def test_versions_sort_semver_and_calver_in_release_order(tmp_path: Path) -> None:
    h = History(ArtifactStore(tmp_path / "store"))
    h.arch("a")
    h.arch("b")
    gap = failed(Category.EMULATOR_ERROR, "500")
    # Runs in time on versions out of order: a CalVer release, back to SemVer, ...
    h.run(R1, "2026.3.0", {"a": PASSED, "b": gap})
    h.run(R2, "4.14.0", {"a": PASSED, "b": PASSED})
    h.run(R3, "4.9.0", {"a": gap, "b": gap})
    h.run(R4, "2026.10.0", {"a": PASSED, "b": PASSED})
    versions = pass_rate_by_version(Loaded.load(h.store))
    assert [v.version for v in versions] == ["4.9.0", "4.14.0", "2026.3.0", "2026.10.0"]
    assert [(v.latest.run_id, v.latest.rate) for v in versions] == [
        (R3, 0.0),
        (R2, 1.0),
        (R1, 0.5),
        (R4, 1.0),
    ]


def test_top_gaps_cluster_by_signature_with_impact(tmp_path: Path) -> None:
    h = History(ArtifactStore(tmp_path / "store"))
    cognito = "aws_cognito_user_pool:InternalFailure:501: not emulated"
    h.arch("pool_a", ("cognito-idp",), ("aws_cognito_user_pool",))
    h.arch("pool_b", ("cognito-idp", "iam"), ("aws_cognito_user_pool", "aws_iam_role"))
    h.arch("famous", ("kinesis",), ("aws_kinesis_stream",), stars=9999)
    h.arch("twin_1", ("sqs",), ("aws_sqs_queue",))
    h.arch("twin_2", ("sqs",), ("aws_sqs_queue",))
    h.arch("env", ("lambda",), ("aws_lambda_function",))
    h.arch("fine")
    sqs = "test_x: AssertionError: assert <*> == <*>"
    h.run(
        R1,
        "4.14.0",
        {
            "pool_a": failed(Category.EMULATOR_UNSUPPORTED, cognito),
            "fine": PASSED,
            "twin_1": PASSED,
            "twin_2": PASSED,
        },
    )
    h.run(
        R2,
        "2026.3.0",
        {
            "pool_a": failed(Category.EMULATOR_UNSUPPORTED, cognito),
            "pool_b": failed(Category.EMULATOR_UNSUPPORTED, cognito),
            "famous": failed(Category.EMULATOR_UNSUPPORTED, UNSUPPORTED),
            "twin_1": failed(Category.EMULATOR_BEHAVIOUR, sqs),
            "twin_2": failed(Category.EMULATOR_BEHAVIOUR, sqs),
            "env": failed(Category.ENVIRONMENT, "lambda cannot execute without Docker"),
            "fine": PASSED,
        },
    )
    loaded = Loaded.load(h.store)
    gaps = top_gaps(loaded)
    # One famous architecture (log10(10000) = 4, so weight 5) outweighs two plain ones (2).
    assert [(g.signature, g.count, g.weight) for g in gaps] == [
        (UNSUPPORTED, 1, 5.0),
        (cognito, 2, 2.0),
        (sqs, 2, 2.0),
    ]
    assert impact(9999) == pytest.approx(5.0)
    famous, pools, twins = gaps
    assert famous.popularity == 9999 and famous.category is Category.EMULATOR_UNSUPPORTED
    assert pools.names == ["pool_a", "pool_b"]
    assert pools.services == ["cognito-idp", "iam"]
    assert pools.resource_types == ["aws_cognito_user_pool"]  # named by the signature
    assert (pools.first_seen, pools.last_seen) == (R1, R2)
    assert (twins.first_seen, twins.last_seen) == (R2, R2)
    assert twins.resource_types == ["aws_sqs_queue"] and twins.statuses == {"PARTIAL": 2}
    # What says nothing about the emulator is a blocker, never a gap.
    assert [(b.signature, b.category) for b in blockers(loaded)] == [
        ("lambda cannot execute without Docker", Category.ENVIRONMENT)
    ]
    # Gaps of an earlier run are that run's: first/last seen stop there.
    older = top_gaps(loaded, loaded.view(R1))
    assert [(g.signature, g.first_seen, g.last_seen) for g in older] == [(cognito, R1, R1)]
    assert top_gaps(loaded, limit=1) == gaps[:1]


def test_status_history_of_an_architecture(two_runs: History) -> None:
    loaded = Loaded.load(two_runs.store)
    strip = status_history(loaded, two_runs.hashes["new_arch"])
    assert [(run_id, row.status.value if row else None) for run_id, row in strip] == [
        (R1, None),
        (R2, "PASSED"),
    ]
    assert Loaded.load(two_runs.store, upto=R1).latest.run_id == R1
