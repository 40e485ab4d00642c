"""`lsqm mine` over local folders and real git repositories made in the test."""

from __future__ import annotations

import json
from pathlib import Path

from lsqm.discovery.local import scan_tree
from tests.discovery.helpers import S3_TF, SQS_TF, Lsqm, commit, make_git_repo, write_tree

SAMPLES = {
    "s3/main.tf": S3_TF,
    "sqs/main.tf": SQS_TF,
    "sqs/README.md": "a queue",
    "needs-var/main.tf": S3_TF + 'variable "region" {}\n',
    "modules/queue/main.tf": SQS_TF,  # a module, not a candidate
    "uses-module/main.tf": 'module "q" {\n  source = "../modules/queue"\n}\n',
}


def test_local_source_stores_accepted_and_remembers_rejected(lsqm: Lsqm, tmp_path: Path) -> None:
    src = write_tree(tmp_path / "samples", SAMPLES)
    lsqm.sources([{"name": "samples", "kind": "local", "path": str(src)}])
    code, first = lsqm.json("mine")
    assert code == 0, first
    assert (first["candidates_seen"], first["accepted"], first["rejected"]) == (4, 3, 1)
    assert first["rejected_by_reason"] == {"required_variable": 1}
    archs = {a["name"]: a for a in lsqm.architectures().values()}
    assert set(archs) == {"samples/s3", "samples/sqs", "samples/uses-module"}
    sqs = archs["samples/sqs"]
    assert sqs["source"] == {"kind": "local", "name": "samples", "url": str(src), "path": "sqs",
                             "commit": None}  # fmt: skip
    assert sqs["services"] == ["sqs"] and sqs["resource_types"] == ["aws_sqs_queue"]
    assert sqs["hash"] and sqs["discovered_at"] and sqs["root"] == "."
    # the module is stored with its caller, relative layout kept
    mod = archs["samples/uses-module"]
    stored = lsqm.artifacts / "architectures" / mod["hash"]
    assert mod["root"] == "uses-module"
    assert (stored / "uses-module/main.tf").is_file()
    assert (stored / "modules/queue/main.tf").is_file()
    assert mod["local_modules"] == ["modules/queue"]

    code, second = lsqm.json("mine")
    assert (second["accepted"], second["unchanged_accepted"], second["rejected_remembered"]) == (
        0, 3, 1)  # fmt: skip
    assert second["tf_files_parsed"] == 0  # nothing read again

    # a change to a module re-decides the candidate that uses it, and only that one
    (src / "modules/queue/main.tf").write_text(SQS_TF.replace("lsqm-test-queue", "other"))
    code, third = lsqm.json("mine")
    assert third["accepted"] == 1 and third["unchanged_accepted"] == 2
    assert third["tf_files_parsed"] == 2


def test_reformatting_does_not_make_a_new_architecture(lsqm: Lsqm, tmp_path: Path) -> None:
    src = write_tree(tmp_path / "a", {"s3/main.tf": S3_TF})
    write_tree(tmp_path / "b", {"s3/main.tf": "# a comment\n" + S3_TF.replace("  ", "    ")})
    _code, out = lsqm.json("mine", "--source", str(tmp_path / "a"), "--source", str(tmp_path / "b"))
    assert (out["accepted"], out["duplicates"]) == (1, 1)
    assert src.is_dir()


def test_limit_counts_newly_accepted(lsqm: Lsqm, tmp_path: Path) -> None:
    src = write_tree(tmp_path / "s", {f"q{i}/main.tf": SQS_TF.replace("queue", f"q{i}")
                                      for i in range(5)} | {"bad/main.tf": "x = 1\n"})  # fmt: skip
    code, out = lsqm.json("mine", "--source", str(src), "--limit", "2")
    assert out["accepted"] == 2 and out["limit_reached"] is True
    code, out = lsqm.json("mine", "--source", str(src), "--limit", "2")
    assert out["accepted"] == 2 and out["unchanged_accepted"] == 2
    code, out = lsqm.json("mine", "--source", str(src))
    assert code == 0
    assert out["accepted"] == 1 and out["unchanged_accepted"] == 4


def test_git_source_clones_fetches_and_sees_new_commits(lsqm: Lsqm, tmp_path: Path) -> None:
    repo = make_git_repo(tmp_path / "repo", SAMPLES)
    url = repo.as_uri()
    lsqm.sources([{"name": "repo", "kind": "git", "url": url, "paths": ["s*", "needs-var"]}])
    code, first = lsqm.json("mine")
    assert code == 0, first
    assert (first["candidates_seen"], first["accepted"], first["rejected"]) == (3, 2, 1)
    head = commit(repo, {"sqs/main.tf": SQS_TF.replace("lsqm-test-queue", "renamed")}, "rename")
    code, second = lsqm.json("mine")
    assert (second["accepted"], second["unchanged_accepted"], second["rejected_remembered"]) == (
        1, 1, 1)  # fmt: skip
    sqs = [a for a in lsqm.architectures().values() if a["source"]["commit"] == head]
    assert len(sqs) == 1 and sqs[0]["source"]["kind"] == "git" and sqs[0]["source"]["url"] == url
    code, third = lsqm.json("mine")
    assert third["tf_files_parsed"] == 0 and third["accepted"] == 0


def test_git_source_failure_is_an_error_not_a_traceback(lsqm: Lsqm, tmp_path: Path) -> None:
    code, out, err = lsqm("mine", "--source", (tmp_path / "nope").as_uri())
    assert code == 1
    assert "git clone failed" in out + err
    assert "Traceback" not in out + err


def test_explain_prints_every_reason(lsqm: Lsqm, tmp_path: Path) -> None:
    folder = write_tree(tmp_path / "x", {"main.tf": 'variable "a" {}\nvariable "b" {}\n'
                                         'data "template_file" "p" {}\n'})  # fmt: skip
    code, out, err = lsqm("mine", "--explain", str(folder), "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["accepted"] is False
    assert [r["code"] for r in doc["reasons"]] == [
        "no_aws_resources",
        "required_variable",
        "required_variable",
        "provider_not_allowed",
    ]
    assert all(set(r) == {"code", "detail"} for r in doc["reasons"])
    code, out, err = lsqm("mine", "--explain", str(folder))
    assert "rejected" in out and "required_variable" in out
    assert not lsqm.artifacts.exists()  # explain stores nothing


def test_default_source_is_the_bundled_examples(lsqm: Lsqm) -> None:
    code, out = lsqm.json("--dry-run", "mine")
    assert code == 0
    assert out["candidates_seen"] >= 1
    assert list(out["sources"]) == ["examples"]


def test_broken_sources_yaml_is_one_clear_sentence(lsqm: Lsqm, tmp_path: Path) -> None:
    path = tmp_path / "sources.yaml"
    lsqm.discovery["sources_file"] = str(path)
    (tmp_path / "x").mkdir()
    (tmp_path / "y").mkdir()
    cases = {
        "sources: [\n": "not valid YAML at line",
        "sources:\n  - name: a\n    kind: ftp\n": "needs 'kind', one of",
        "sources:\n  - name: a\n    kind: git\n": "missing required field 'url'",
        "sources:\n  - name: a\n    kind: local\n    path: x\n    colour: red\n": "unknown field",
        "sources:\n  - {name: a, kind: local, path: x}\n  - {name: a, kind: local, path: y}\n":
            "used twice",
        "sources: 3\n": "non-empty list",
        "sources:\n  - {name: a, kind: local, path: nowhere}\n": "field 'path': no folder",
        "sources: []\nextra: 1\n": "unknown top-level key 'extra'",
        "sources:\n  - just-a-name\n": "source 1 must be a mapping",
        "sources:\n  - {name: a, kind: github_orgs, orgs: [a], min_stars: -1}\n":
            "field 'min_stars' is invalid: Input should be greater than or equal to 0 (got '-1')",
    }  # fmt: skip
    for text, expected in cases.items():
        path.write_text(text)
        code, _out, err = lsqm("mine")
        message = " ".join(err.split())  # the console wraps long lines
        assert code == 2, text
        assert expected in message, message
        assert message.startswith("error: sources file") and message.count(". ") == 0
        assert "Traceback" not in err
    path.write_text("sources:\n  - {name: a, kind: local, path: x}\n")
    code, _out, err = lsqm("mine", "--source", "no-such-source")
    assert code == 2 and "unknown source" in err


def test_scan_tree_digests_change_only_where_files_change(tmp_path: Path) -> None:
    src = write_tree(tmp_path, {"a/main.tf": S3_TF, "b/main.tf": SQS_TF})
    before = scan_tree(src)
    (src / "b/main.tf").write_text(SQS_TF + "\n# changed\n")
    after = scan_tree(src)
    assert before.digests["a"] == after.digests["a"]
    assert before.digests["b"] != after.digests["b"]
    assert before.digests["."] != after.digests["."]
    assert after.tf_dirs == {"a": 1, "b": 1}


COGNITO_TF = 'resource "aws_cognito_user_pool" "pool" {\n  name = "p"\n}\n'


def test_services_outside_the_emulator_are_kept_and_a_new_policy_decides_again(
    lsqm: Lsqm, tmp_path: Path
) -> None:
    src = write_tree(tmp_path / "s", {"cognito/main.tf": COGNITO_TF, "sqs/main.tf": SQS_TF})
    lsqm.discovery["skip_unsupported_services"] = True
    _code, skipped = lsqm.json("mine", "--source", str(src))
    assert (skipped["accepted"], skipped["rejected_by_reason"]) == (1, {"service_not_supported": 1})

    # The default keeps it: the decision taken under the other policy is not reused.
    del lsqm.discovery["skip_unsupported_services"]
    _code, kept = lsqm.json("mine", "--source", str(src))
    assert (kept["accepted"], kept["unchanged_accepted"], kept["rejected"]) == (1, 1, 0)
    archs = {a["name"]: a for a in lsqm.architectures().values()}
    cognito = archs[f"{src.name}/cognito"]
    assert cognito["services"] == ["cognito-idp"]
    assert cognito["unsupported_services"] == ["cognito-idp"]
    assert archs[f"{src.name}/sqs"]["unsupported_services"] == []
