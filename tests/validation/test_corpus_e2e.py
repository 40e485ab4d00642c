"""The real-corpus check: every folder of ``../shared/corpus`` mined, generated and validated
with lsqm's defaults, through the CLI as a user runs it. Each verdict is compared with the
one read and explained by hand in ``docs/verdicts-on-real-terraform.md`` (the table is
``tests/fixtures/corpus_verdicts.json``): a changed verdict is either a fix or a lie, and a
person decides which before the table changes."""

from __future__ import annotations

import contextlib
import io
import json
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


def test_the_doc_explains_every_verdict_that_is_not_passed() -> None:
    text = DOC.read_text(encoding="utf-8")
    for name, verdict in EXPECTED["validated"].items():
        if verdict["status"] != "PASSED":
            assert f"`{name}`" in text, f"{name} is not explained in {DOC.name}"
            assert verdict["signature"] in text, verdict["signature"]
    for name in EXPECTED["rejected"]:
        assert f"`{name}`" in text, f"the rejection of {name} is not explained"
