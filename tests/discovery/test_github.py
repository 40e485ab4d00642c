"""GitHub sources against a local server that answers like the REST API: pagination by Link
headers, rate-limit headers, ETags and 304s, a 500 then success, secondary limits (403/429
with Retry-After), and an exhausted primary budget."""

from __future__ import annotations

import io
import tarfile

import pytest

from lsqm.store import ArtifactStore
from tests.discovery.helpers import S3_TF, SQS_TF, FakeGitHub, FakeRepo, Lsqm


def _configure(lsqm: Lsqm, github: FakeGitHub, spec: dict) -> None:
    lsqm.discovery["github_api_url"] = github.base
    lsqm.sources([spec])


def _repo(extra: dict[str, bytes] | None = None) -> FakeRepo:
    return FakeRepo(
        {
            "README.md": b"samples",
            "s3-terraform/main.tf": S3_TF.encode(),
            "sqs-terraform/main.tf": SQS_TF.encode(),
            "sqs-terraform/policy.json": b"{}",
            "cdk-python/app.py": b"print()",
            "other/main.tf": S3_TF.encode(),
            **(extra or {}),
        }
    )


def test_repos_source_with_path_globs_and_conditional_requests(
    lsqm: Lsqm, github: FakeGitHub
) -> None:
    github.repos["aws-samples/patterns"] = _repo()
    spec = {"name": "gh", "kind": "github_repos", "repos": ["aws-samples/patterns"]}
    _configure(lsqm, github, {**spec, "paths": ["*-terraform"]})
    code, first = lsqm.json("mine")
    assert code == 0, first
    assert (first["candidates_seen"], first["accepted"], first["fetched"]) == (2, 2, 1)
    archs = {a["name"]: a for a in lsqm.architectures().values()}
    assert set(archs) == {"patterns/s3-terraform", "patterns/sqs-terraform"}
    sqs = archs["patterns/sqs-terraform"]
    assert sqs["source"]["url"] == "https://github.com/aws-samples/patterns"
    assert sqs["source"]["commit"] and sqs["origin"]["stars"] == 5
    stored = ArtifactStore(lsqm.artifacts).architecture_dir(sqs["hash"])
    assert (stored / "policy.json").read_bytes() == b"{}"

    github.log.clear()
    code, second = lsqm.json("mine")
    assert (second["accepted"], second["unchanged_accepted"], second["fetched"]) == (0, 2, 0)
    statuses = [status for _path, status in github.log]
    assert statuses == [304, 304, 304]  # repo, commit, tree: nothing else, no tarball
    assert not any("tarball" in path for path, _ in github.log)

    # a new commit that changes one folder: only it is fetched and decided again
    github.repos["aws-samples/patterns"].files["sqs-terraform/main.tf"] = SQS_TF.replace(
        "lsqm-test-queue", "new"
    ).encode()
    code, third = lsqm.json("mine")
    assert (third["accepted"], third["unchanged_accepted"], third["fetched"]) == (1, 1, 1)


def test_server_error_then_success_is_retried(lsqm: Lsqm, github: FakeGitHub) -> None:
    github.repos["o/r"] = _repo()
    github.fault(r"/repos/o/r", FakeGitHub.error_500, FakeGitHub.error_500)
    github.fault(r"/repos/o/r/git/trees/\w+", FakeGitHub.error_500)
    _configure(lsqm, github, {"name": "gh", "kind": "github_repos", "repos": ["o/r"]})
    code, out = lsqm.json("mine")
    assert code == 0, out
    assert (out["accepted"], out["duplicates"]) == (2, 1)  # other/ is s3-terraform/ again
    assert [s for p, s in github.log if p == "/repos/o/r"] == [500, 500, 200]


def test_secondary_rate_limits_are_waited_out(lsqm: Lsqm, github: FakeGitHub) -> None:
    github.repos["o/r"] = _repo()
    github.fault(r"/repos/o/r/commits/main", FakeGitHub.secondary_limit("1"))
    github.fault(r"/repos/o/r", FakeGitHub.too_many("0"))
    _configure(lsqm, github, {"name": "gh", "kind": "github_repos", "repos": ["o/r"]})
    code, _out, err = lsqm("mine", "--format", "json")
    assert code == 0, err
    assert "rate limit: waiting 1s" in err
    assert [s for p, s in github.log if p == "/repos/o/r/commits/main"] == [403, 200]


def test_exhausted_budget_stops_politely_and_keeps_what_was_found(
    lsqm: Lsqm, github: FakeGitHub
) -> None:
    github.repos["org/a-terraform"] = FakeRepo({"main.tf": S3_TF.encode()})
    github.repos["org/b-terraform"] = FakeRepo({"main.tf": SQS_TF.encode()})
    github.fault(r"/repos/org/b-terraform/commits/main", github.primary_exhausted)
    _configure(lsqm, github, {"name": "org", "kind": "github_orgs", "orgs": ["org"]})
    code, out = lsqm.json("mine")
    assert code == 1
    assert out["budget_exhausted"] is True and out["accepted"] == 1
    assert "rate limit reached; the budget returns at" in out["errors"][0]
    assert "what was found so far is kept" in out["errors"][0]
    assert len(lsqm.ledger()) == 1  # the decision made before the limit is remembered


def test_orgs_source_paginates_and_skips_forks_and_archived(lsqm: Lsqm, github: FakeGitHub) -> None:
    for i in range(5):
        github.repos[f"org/r{i}-terraform"] = FakeRepo(
            {"main.tf": SQS_TF.replace("queue", f"queue-{i}").encode()}, stars=i
        )
    github.repos["org/r1-terraform"].fork = True
    github.repos["org/r2-terraform"].archived = True
    github.repos["org/docs"] = FakeRepo({"main.tf": S3_TF.encode()})
    _configure(lsqm, github, {"name": "org", "kind": "github_orgs", "orgs": ["org"],
                              "repo_pattern": "*-terraform", "min_stars": 3})  # fmt: skip
    code, out = lsqm.json("mine")
    assert code == 0, out
    pages = [p for p, _ in github.log if p.startswith("/orgs/org/repos")]
    assert len(pages) == 3  # 6 repos, 2 per page, followed through Link rel="next"
    names = sorted(a["origin"]["repo"] for a in lsqm.architectures().values())
    assert names == ["org/r3-terraform", "org/r4-terraform"]
    assert {a["origin"]["stars"] for a in lsqm.architectures().values()} == {3, 4}
    code, again = lsqm.json("mine")
    assert again["accepted"] == 0 and again["unchanged_accepted"] == 2


def test_hostile_tarball_rejects_the_repository_with_path_escape(
    lsqm: Lsqm, github: FakeGitHub
) -> None:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in (("o-r-1/main.tf", S3_TF.encode()), ("o-r-1/../../../evil", b"x")):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    github.repos["o/r"] = FakeRepo({"main.tf": S3_TF.encode()}, tarball=buf.getvalue())
    _configure(lsqm, github, {"name": "gh", "kind": "github_repos", "repos": ["o/r"]})
    code, out = lsqm.json("mine")
    assert code == 0
    assert out["rejected_by_reason"] == {"path_escape": 1}
    reason = next(iter(lsqm.ledger().values()))["reasons"][0]
    assert reason["code"] == "path_escape" and "leaves the folder" in reason["detail"]
    github.log.clear()
    code, again = lsqm.json("mine")
    assert again["rejected_remembered"] == 1
    assert not any("tarball" in p for p, _ in github.log)  # not downloaded again


def test_missing_repository_is_reported_and_others_go_on(lsqm: Lsqm, github: FakeGitHub) -> None:
    github.repos["o/r"] = FakeRepo({"main.tf": S3_TF.encode()})
    _configure(lsqm, github, {"name": "gh", "kind": "github_repos", "repos": ["o/gone", "o/r"]})
    code, out = lsqm.json("mine")
    assert code == 1
    assert out["accepted"] == 1
    assert "o/gone was not found" in out["errors"][0]


def test_token_is_sent_to_the_api_and_written_nowhere(
    lsqm: Lsqm, github: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"
    monkeypatch.setenv("GITHUB_TOKEN", token)
    github.repos["o/r"] = FakeRepo({"main.tf": S3_TF.encode()})
    _configure(lsqm, github, {"name": "gh", "kind": "github_repos", "repos": ["o/r"]})
    code, out, err = lsqm("mine", "--format", "json")
    assert code == 0, err
    api_calls = [
        a for (p, _), a in zip(github.log, github.auth, strict=True) if "codeload" not in p
    ]
    assert api_calls and all(a == f"Bearer {token}" for a in api_calls)
    # the redirect to another origin (codeload) must not carry it
    assert [a for (p, _), a in zip(github.log, github.auth, strict=True) if "codeload" in p] == [
        None
    ]
    written = [p for p in lsqm.tmp.rglob("*") if p.is_file()]
    assert written and not any(token.encode() in p.read_bytes() for p in written)
    assert token not in out + err
