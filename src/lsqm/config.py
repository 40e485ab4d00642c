"""Settings: read once, here, from config.yaml, then the environment, then CLI options.

Precedence (last wins): defaults < config file < environment (``LSQM_*``) < command line.
A bad file or value becomes a :class:`~lsqm.errors.UsageError` naming the key and the fix.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from lsqm.errors import UsageError

DEFAULT_LOCALSTACK_VERSION = "2026.3.0"

# Environment variables lsqm reads, and the setting each one fills.
ENV_SETTINGS = {
    "LSQM_ARTIFACTS": "artifacts_dir",
    "LSQM_CACHE_DIR": "cache_dir",
    "LSQM_LOCALSTACK_VERSION": "localstack_version",
    "LSQM_RUNTIME": "runtime",
    "LSQM_ENDPOINT": "endpoint",
    "LSQM_TERRAFORM": "terraform",
    "LSQM_ANTHROPIC_MODEL": "anthropic_model",
    "ANTHROPIC_BASE_URL": "anthropic_base_url",
    "ANTHROPIC_API_KEY": "anthropic_api_key",
}


# Services LocalStack's core (community) edition serves: the default target of `mine`.
COMMUNITY_SERVICES = (
    "acm",
    "apigateway",
    "cloudformation",
    "cloudwatch",
    "config",
    "dynamodb",
    "dynamodbstreams",
    "ec2",
    "es",
    "events",
    "firehose",
    "iam",
    "kinesis",
    "kms",
    "lambda",
    "logs",
    "opensearch",
    "redshift",
    "resource-groups",
    "resourcegroupstaggingapi",
    "route53",
    "route53resolver",
    "s3",
    "s3control",
    "scheduler",
    "secretsmanager",
    "ses",
    "sns",
    "sqs",
    "ssm",
    "stepfunctions",
    "sts",
    "support",
    "swf",
    "transcribe",
)

# Providers `mine` keeps by default: AWS and the hashicorp utility providers real Terraform
# uses alongside it (none of them calls anything outside the workspace).
DEFAULT_PROVIDERS = ("aws", "archive", "local", "null", "random", "time", "tls")


class DiscoverySettings(BaseModel):
    """What `mine` keeps (the standalone filter's policy) and how it talks to GitHub/Registry."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    sources_file: Path | None = Field(
        default=None, description="sources.yaml; default: ./sources.yaml when present"
    )
    allowed_providers: list[str] = Field(
        default_factory=lambda: list(DEFAULT_PROVIDERS),
        description="providers a kept architecture may use (terraform init installs them from "
        "the registry; offline, validate reports one it cannot install as ERROR/environment)",
    )
    supported_services: list[str] = Field(
        default_factory=lambda: list(COMMUNITY_SERVICES),
        description="services the target emulator offers; an architecture using others is "
        "kept and says which (its gaps are what validate measures)",
    )
    skip_unsupported_services: bool = Field(
        default=False,
        description="reject architectures that use services outside supported_services",
    )
    allow_exec: bool = Field(
        default=False, description="keep local-exec/remote-exec provisioners and external data"
    )
    max_file_bytes: int = Field(default=5 * 1024 * 1024, gt=0)
    max_candidate_bytes: int = Field(default=50 * 1024 * 1024, gt=0)
    github_api_url: str = "https://api.github.com"
    registry_url: str = "https://registry.terraform.io"
    github_token_env: str = Field(
        default="GITHUB_TOKEN", description="environment variable holding an optional token"
    )
    http_retries: int = Field(default=4, ge=0, le=10)
    http_backoff_s: float = Field(default=1.0, ge=0)
    http_max_wait_s: float = Field(
        default=120.0, ge=0, description="longest rate-limit wait before giving up politely"
    )
    http_timeout_s: float = Field(default=30.0, gt=0)
    git_timeout_s: float = Field(default=300.0, gt=0)


def _default_cache() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "lsqm"


class Settings(BaseModel):
    """Every knob lsqm has. Unknown keys are an error, so typos do not pass silently."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    artifacts_dir: Path = Path("lsqm-artifacts")
    cache_dir: Path = Field(default_factory=_default_cache)
    localstack_version: str = DEFAULT_LOCALSTACK_VERSION
    runtime: Literal["auto", "host", "docker", "external"] = "auto"
    endpoint: str | None = None
    region: str = "us-east-1"
    terraform: str | None = Field(
        default=None, description="terraform or tofu executable; default: PATH, then offline"
    )
    offline_toolchain: bool = Field(
        default=False, description="always use the offline Terraform 1.0.3 + aws 3.39.0 toolchain"
    )
    parallel: int = Field(default=1, ge=1, le=16)
    timeout: float = Field(default=600.0, gt=0, description="limit for each stage, in seconds")
    relax_provider_constraints: bool = Field(
        default=False,
        description="rewrite provider version constraints the available providers cannot meet",
    )
    share_provider_process: bool = Field(
        default=True,
        description="one AWS provider process per architecture instead of one per terraform "
        "phase (about twice as fast; terraform's own processes where it could differ)",
    )
    eager_services: list[str] = Field(
        default_factory=list,
        description="services LocalStack loads at start-up (default: lazily, on first use)",
    )
    dynamodb_via_moto: bool = Field(
        default=True, description="serve DynamoDB with moto on the host runtime (no Java offline)"
    )
    generator: Literal["rules", "claude"] = "rules"
    anthropic_api_key: SecretStr | None = Field(
        default=None, description="only from the environment (ANTHROPIC_API_KEY); never logged"
    )
    anthropic_model: str = "claude-sonnet-5-5"
    anthropic_base_url: str | None = None
    anthropic_max_tokens: int = Field(default=16_000, ge=256, le=64_000)
    generate_budget_tokens: int | None = Field(
        default=None, ge=1, description="tokens one `generate --generator claude` run may use"
    )
    prompt_bytes: int = Field(
        default=150_000, ge=1_000, description="architecture files carried in a prompt, at most"
    )
    discovery: DiscoverySettings = Field(default_factory=DiscoverySettings)


def load_settings(config_file: Path | None = None, **overrides: Any) -> Settings:
    """Build the settings from the file (if any), the environment, then ``overrides``."""
    data: dict[str, Any] = {}
    if config_file is not None:
        data.update(_read_yaml(config_file))
    for var, key in ENV_SETTINGS.items():
        if os.environ.get(var):
            data[key] = os.environ[var]
    data.update({k: v for k, v in overrides.items() if v is not None})
    try:
        return Settings(**data)
    except ValidationError as exc:
        raise UsageError(_explain(exc, config_file)) from None


def github_token(settings: Settings) -> str | None:
    """The optional GitHub token, read from the variable the settings name (never stored)."""
    return os.environ.get(settings.discovery.github_token_env) or None


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot read config file {path}: {exc.strerror}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise UsageError(f"config file {path} is not valid YAML{where}; fix its syntax") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise UsageError(
            f"config file {path} must be a mapping of settings, not a {type(data).__name__}"
        )
    return data


def _explain(exc: ValidationError, source: Path | None) -> str:
    err = exc.errors()[0]
    key = ".".join(str(p) for p in err["loc"]) or "settings"
    where = f" in {source}" if source else ""
    if err["type"] == "extra_forbidden":
        known = ", ".join(sorted(Settings.model_fields))
        return f"unknown setting '{key}'{where}; known settings: {known}"
    return f"setting '{key}'{where} is invalid: {err['msg']}"
