"""Shared fixtures. End-to-end tests use the real toolchain that ``lsqm setup`` provisions
(LocalStack as a host process, Terraform + the offline AWS provider), cached across runs."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from lsqm.config import Settings, load_settings
from lsqm.store import ArtifactStore
from lsqm.toolchain.localstack_install import LocalStackInstall, ensure_localstack
from lsqm.toolchain.terraform_install import TerraformToolchain, ensure_terraform

FIXTURES = Path(__file__).parent / "fixtures"
ARCHS = FIXTURES / "archs"
REPO = Path(__file__).resolve().parent.parent
# The shared corpus beside the checkout: the nearest ancestor holding shared/corpus (a
# worktree sits deeper than the main checkout).
CORPUS = next(
    (d / "shared" / "corpus" for d in REPO.parents if (d / "shared" / "corpus").is_dir()),
    REPO.parent / "shared" / "corpus",
)
# .ci/run sets this: there the corpus must be present, and its tests never skip.
REQUIRE_CORPUS = "LSQM_REQUIRE_CORPUS"


def corpus_dir(name: str) -> Path:
    """A folder of the shared corpus beside the repository; the calling test is skipped
    when it is absent (a plain clone), and fails instead where it is required (CI)."""
    folder = CORPUS / name
    if not folder.is_dir():
        message = f"the shared corpus is not beside the repository (looked for {folder})"
        if os.environ.get(REQUIRE_CORPUS) == "1":
            pytest.fail(f"{message}; {REQUIRE_CORPUS}=1 requires it")
        pytest.skip(message)
    return folder


# Fixtures that need what only a provisioned machine has: the real toolchain cache, which they
# fill when missing (Terraform and its providers, LocalStack), and Debian's Chromium.
PROVISIONED = frozenset({"cache_dir", "toolchain", "localstack", "e2e_settings", "browser"})


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A test that needs a provisioned machine is end-to-end, marked or not: the fast loop
    (``-m "not e2e"``, scripts/test.sh --unit) must never download or install anything."""
    for item in items:
        if PROVISIONED & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.e2e)


# Read once: the autouse fixture below keeps every test's own settings apart from the caller's.
_CACHE_DIR = os.environ.get("LSQM_CACHE_DIR")


@pytest.fixture(autouse=True)
def _no_real_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    """Plant fake secrets in lsqm's own environment: no child may ever see them."""
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_" + "A" * 36)
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-" + "B" * 40)
    monkeypatch.setenv("SLACK_WEBHOOK_URL", "https://hooks.slack.com/services/T000/B000/XXXX")
    for name in [n for n in os.environ if n.startswith("LSQM_") and n != REQUIRE_CORPUS]:
        monkeypatch.delenv(name)


@pytest.fixture(scope="session")
def cache_dir() -> Path:
    return Path(_CACHE_DIR) if _CACHE_DIR else load_settings().cache_dir


@pytest.fixture(scope="session")
def toolchain(cache_dir: Path) -> TerraformToolchain:
    return ensure_terraform(Settings(cache_dir=cache_dir))


@pytest.fixture(scope="session")
def localstack(cache_dir: Path) -> LocalStackInstall:
    return ensure_localstack(cache_dir, Settings().localstack_version)


@pytest.fixture
def store(tmp_path: Path) -> ArtifactStore:
    return ArtifactStore(tmp_path / "artifacts")


@pytest.fixture
def e2e_settings(
    cache_dir: Path, toolchain: TerraformToolchain, localstack: LocalStackInstall, tmp_path: Path
) -> Settings:
    """Settings for an end-to-end run on the host runtime (toolchain already provisioned)."""
    return Settings(
        artifacts_dir=tmp_path / "artifacts", cache_dir=cache_dir, runtime="host", timeout=600
    )
