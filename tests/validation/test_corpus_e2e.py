"""The real-corpus check: every folder of ``../shared/corpus`` mined, generated and validated
with lsqm's defaults, through the CLI as a user runs it. Each verdict is compared with the
one read and explained by hand in ``docs/verdicts-on-real-terraform.md`` (the table is
``tests/fixtures/corpus_verdicts.json``): a changed verdict is either a fix or a lie, and a
person decides which before the table changes."""

from __future__ import annotations

import contextlib
import io
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from lsqm.cli import main
from lsqm.store import ArtifactStore
from lsqm.toolchain.terraform_install import TerraformToolchain, registry_reachable

from ..conftest import FIXTURES, REPO, corpus_dir

pytestmark = pytest.mark.e2e

EXPECTED = json.loads((FIXTURES / "corpus_verdicts.json").read_text())
DOC = REPO / "docs" / "verdicts-on-real-terraform.md"
PREFIX = "localstack-terraform-samples/"


def _lsqm(config: Path, *args: str) -> tuple[int, Any]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(["--config", str(config), *args, "--format", "json"])
    return code, json.loads(out.getvalue())


def test_every_corpus_verdict_is_the_one_explained(
    tmp_path: Path, cache_dir: Path, toolchain: TerraformToolchain
) -> None:
    corpus = corpus_dir("localstack-terraform-samples")
    # The table was read for the offline toolchain: with the registry in reach, terraform
    # would install hashicorp/random and 23 verdicts would rightly change.
    assert not registry_reachable(), "the expected verdicts are for the offline toolchain"
    config = tmp_path / "lsqm.yaml"
    config.write_text(
        f"artifacts_dir: {tmp_path / 'art'}\ncache_dir: {cache_dir}\nparallel: 2\ntimeout: 300\n"
    )
    code, mined = _lsqm(config, "mine", "--source", str(corpus))
    assert code == 0 and mined["accepted"] == len(EXPECTED["validated"])
    ledger = ArtifactStore(tmp_path / "art").discovery_ledger()
    rejected = {
        key.split("#", 1)[1]: sorted({r["code"] for r in entry["reasons"]})
        for key, entry in ledger.items()
        if not entry["accepted"]
    }
    assert rejected == EXPECTED["rejected"]

    code, generated = _lsqm(config, "generate")
    assert code == 0 and generated["counts"] == {"generated": len(EXPECTED["validated"])}
    code, validated = _lsqm(config, "validate")
    assert code == 0
    found = {
        r["name"].removeprefix(PREFIX): {
            "status": r["status"], "category": r["category"], "signature": r["signature"]
        }
        for r in validated["results"]
    }  # fmt: skip
    changed = {
        name: (EXPECTED["validated"].get(name), verdict)
        for name, verdict in found.items()
        if EXPECTED["validated"].get(name) != verdict
    }
    assert changed == {}, "read each changed verdict, then update the doc and the table"
    assert sorted(found) == sorted(EXPECTED["validated"])
    _coverage_names_what_blocks_the_corpus(config, validated["results"])


def _coverage_names_what_blocks_the_corpus(config: Path, results: list[dict[str, Any]]) -> None:
    """``lsqm coverage`` on the corpus's stored run: each operation a verdict fails at is
    ranked by the architectures it blocks (API Gateway v2's CreateApi blocks three), is
    scored unsupported (501), and an operation only passing architectures call is correct."""
    code, coverage = _lsqm(config, "coverage")
    assert code == 0
    [target] = coverage["targets"]
    assert target["results"] == len(EXPECTED["validated"]) and target["traced"] > 0
    label = target["label"]
    ops = {op["operation"]: op for op in coverage["operations"]}
    fails_at = Counter(
        v["signature"].split(" ", 1)[0]
        for v in EXPECTED["validated"].values()
        if v["category"] == "emulator_unsupported"
    )
    assert fails_at == {
        "apigatewayv2.CreateApi": 3,
        "apigatewayv2.CreateDomainName": 1,
        "cognito-idp.CreateUserPool": 1,
    }
    for name, count in fails_at.items():
        assert ops[name]["blocks"] == count, name
        assert ops[name]["cells"][label]["unsupported"] >= count
        assert ops[name]["cells"][label]["score"] == "unsupported"
    ranked = [op["operation"] for op in coverage["operations"]]
    assert ranked[0] == "apigatewayv2.CreateApi"
    passed = [r for r in results if r["status"] == "PASSED"]
    called_by_passing = {
        f"{c['service']}.{c['operation']}" for r in passed for c in r["trace"] if c["operation"]
    }
    assert "sqs.CreateQueue" in called_by_passing  # s3-sqs-notifications
    assert ops["sqs.CreateQueue"]["cells"][label]["score"] == "correct"
    scores = coverage["scores"][label]
    assert scores["unsupported"] >= 3 and scores["correct"] > scores["unsupported"]


def test_the_doc_explains_every_verdict_that_is_not_passed() -> None:
    text = DOC.read_text(encoding="utf-8")
    for name, verdict in EXPECTED["validated"].items():
        if verdict["status"] != "PASSED":
            assert f"`{name}`" in text, f"{name} is not explained in {DOC.name}"
            assert verdict["signature"] in text, verdict["signature"]
    for name in EXPECTED["rejected"]:
        assert f"`{name}`" in text, f"the rejection of {name} is not explained"
