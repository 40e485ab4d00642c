"""The weekly job end to end, with real LocalStack, Terraform and git: ``lsqm run`` twice
against a local bare repository, then from a fresh clone; and two shards of one run as two
concurrent processes in separate clones, merged, against the same architectures unsharded.

To keep the suite under 30 minutes these use two to four bundled examples through a
``sources.yaml`` local source (the embedded default's own kind of source and files) rather
than all fourteen; ``test_examples_e2e`` runs all of them."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from lsqm.config import load_settings
from lsqm.ingest import add_local
from lsqm.pipeline.stages import push
from lsqm.store import ArtifactStore

from ..helpers import (
    EXAMPLES,
    LSQM,
    bare_repo,
    cli_env,
    git,
    lsqm,
    remote_files,
    sources_yaml,
)

pytestmark = pytest.mark.e2e


def _runs(remote: Path) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for path in remote_files(remote):
        parts = path.split("/")
        if parts[0] == "runs" and parts[2] == "results":
            found.setdefault(parts[1], []).append(parts[3].removesuffix(".json"))
    return found


def test_run_twice_then_from_a_fresh_clone(
    tmp_path: Path, cache_dir: Path, httpserver: HTTPServer
) -> None:
    remote = bare_repo(tmp_path / "remote.git")
    sources_yaml(tmp_path, ["sqs_dlq", "ssm_parameters"])
    # A local server stands in for Slack's incoming webhook; the URL is a secret lsqm reads.
    httpserver.expect_request("/services/T0/B0/weekly", method="POST").respond_with_data("ok")
    hook = httpserver.url_for("/services/T0/B0/weekly")
    env = cli_env(
        cache_dir, ARTIFACT_REPO=str(remote), SLACK_WEBHOOK_URL=hook,
        LSQM_REPORT_URL="https://example.org/lsqm",
    )  # fmt: skip

    def run(store: str) -> dict[str, dict[str, object]]:
        done = lsqm("--artifacts", store, "run", "--format", "json", cwd=tmp_path, env=env)
        assert hook not in done.stderr + done.stdout  # the webhook is never printed
        data = json.loads(done.stdout)
        assert data["summary"]["PASSED"] == 2, done.stderr
        return dict(data["stages"])

    def messages() -> list[dict[str, object]]:
        return [json.loads(request.get_data()) for request, _response in httpserver.log]

    first = run("store")
    assert first["sync"]["facts"] == {"what": f"empty remote from {remote}"}
    assert first["mine"]["facts"]["new"] == 2 and first["generate"]["facts"]["generated"] == 2
    assert first["push"]["status"] == "ran"
    assert first["compare"]["reason"] == "the store's first run: nothing to compare with"
    assert (tmp_path / "lsqm-report" / "index.html").is_file()
    (message,) = messages()  # exactly one per run
    assert message["text"] == "lsqm: 100.0% passed (2/2), first run"
    second = run("store")
    assert (second["mine"]["facts"]["new"], second["mine"]["facts"]["unchanged"]) == (0, 2)
    assert second["generate"]["status"] == "skipped"
    assert second["compare"]["facts"] == {"what": "no change"}  # no regression, no fix
    assert len(messages()) == 2
    text = json.dumps(messages()[1])
    assert messages()[1]["text"] == "lsqm: 100.0% passed (2/2), no change"
    assert "Regressions" not in text and "https://example.org/lsqm/index.html" in text
    runs = _runs(remote)
    assert len(runs) == 2 and all(len(hashes) == 2 for hashes in runs.values())
    assert second["validate"]["facts"]["run"] == max(runs)  # validated everything again
    # a third run on another machine: a fresh clone sees the history and adds to it
    third = run("fresh")
    assert third["sync"]["facts"]["what"].startswith(f"cloned from {remote}")
    assert third["mine"]["facts"]["new"] == 0
    status = lsqm("--artifacts", "fresh", "status", "--format", "json", cwd=tmp_path, env=env)
    assert json.loads(status.stdout)["runs"] == 3
    assert len(messages()) == 3
    assert len(_runs(remote)) == 3
    assert len(git("log", "--format=%H", "main", cwd=remote).split()) == 3


def test_two_shards_in_two_clones_merge_into_the_unsharded_verdicts(
    tmp_path: Path, cache_dir: Path
) -> None:
    remote = bare_repo(tmp_path / "remote.git")
    env = cli_env(cache_dir, ARTIFACT_REPO=str(remote))
    seed = ArtifactStore(tmp_path / "seed")
    names = ["sqs_dlq", "ssm_parameters", "dynamodb_table", "iam_role"]
    for name in names:
        add_local(seed, EXAMPLES / name, EXAMPLES / name / "tests", name)
    os.environ["ARTIFACT_REPO"] = str(remote)
    try:
        push(load_settings(), seed)
    finally:
        del os.environ["ARTIFACT_REPO"]
    for clone in ("one", "two", "merged", "whole"):
        lsqm("--artifacts", clone, "sync", cwd=tmp_path, env=env)
    run_id = "20261206T000000Z-shards"
    shards = []
    for index, clone in ((1, "one"), (2, "two")):
        argv = [str(LSQM), "--artifacts", clone, "validate", "--shard", f"{index}/2"]
        argv += ["--run-id", run_id, "--format", "json"]
        pipes = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE}
        shards.append(subprocess.Popen(argv, cwd=tmp_path, env=env, text=True, **pipes))
    outputs = [p.communicate(timeout=900) for p in shards]
    assert [p.returncode for p in shards] == [0, 0], [err for _out, err in outputs]
    parts = [{r["arch_hash"] for r in json.loads(out)["results"]} for out, _err in outputs]
    assert parts[0] and parts[1] and not parts[0] & parts[1]
    merged = lsqm("--artifacts", "merged", "merge", "one", "two", "--format", "json",
                  cwd=tmp_path, env=env)  # fmt: skip
    report = json.loads(merged.stdout)
    assert report["status"] == "complete" and report["shards"]["merged"] == [1, 2]
    whole = lsqm("--artifacts", "whole", "validate", "--format", "json", cwd=tmp_path, env=env)
    unsharded = json.loads(whole.stdout)
    store = ArtifactStore(tmp_path / "merged")
    verdicts = {h: (r.status, r.category, r.tests.passed) for h, r in store.results(run_id).items()}
    expected = {r["arch_hash"]: (r["status"], r["category"], r["tests"]["passed"])
                for r in unsharded["results"]}  # fmt: skip
    assert verdicts == expected and len(verdicts) == len(names)
    assert store.run(run_id).summary.to_json() == unsharded["summary"]
    pushed = lsqm("--artifacts", "merged", "push", cwd=tmp_path, env=env)
    assert "pushed" in pushed.stdout
    assert f"runs/{run_id}/run.json" in remote_files(remote)
