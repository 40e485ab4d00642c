"""Settings: read once, here, from ``lsqm.yaml``, then the environment, then CLI options.

Precedence (last wins): defaults < config file < environment < command line. Every setting
``name`` can be set as ``LSQM_NAME`` (``LSQM_DISCOVERY_NAME`` for ``discovery.name``); a few
have the names the seed's workflow uses (``ANTHROPIC_API_KEY``, ``LOCALSTACK_AUTH_TOKEN``).
A bad file or value becomes a :class:`~lsqm.errors.UsageError` naming the file, the key and
what is wrong. YAML files (this one and ``sources.yaml``) are read through :func:`read_yaml`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal, get_origin

import yaml
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from lsqm.errors import UsageError

DEFAULT_LOCALSTACK_VERSION = "2026.3.0"
DEFAULT_MOTO_VERSION = "5.2.5"  # moto[server] for `--emulator moto`, date-locked like LocalStack
CONFIG_FILE = "lsqm.yaml"  # read from the working directory when --config is not given
ENV_PREFIX = "LSQM_"

# Variables named as the seed's workflow and its users name them, besides LSQM_<NAME>.
ENV_ALIASES = {
    "LSQM_ARTIFACTS": "artifacts_dir",
    "ANTHROPIC_BASE_URL": "anthropic_base_url",
    "ANTHROPIC_API_KEY": "anthropic_api_key",
    "LOCALSTACK_AUTH_TOKEN": "localstack_auth_token",
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
    emulator: Literal["localstack", "moto"] = Field(
        default="localstack",
        description="which emulator validate runs: LocalStack, or moto's server (host or external)",
    )
    moto_version: str = DEFAULT_MOTO_VERSION
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
    sandbox: Literal["auto", "required", "off"] = Field(
        default="auto",
        description="run terraform and tests in a bwrap filesystem sandbox: auto (when "
        "bwrap works; a warning in run.json otherwise), required (refuse without), off",
    )
    rerun_failures: int = Field(
        default=0,
        ge=0,
        le=5,
        description="rerun a failing architecture up to N times; a verdict that changes is "
        "recorded as flaky with every attempt kept",
    )
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
    localstack_auth_token: SecretStr | None = Field(
        default=None,
        description="LOCALSTACK_AUTH_TOKEN, for the docker image; only that container gets it",
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
    """Build the settings from the file (if any), the environment, then ``overrides``
    (command-line options; None means "not given")."""
    data: dict[str, Any] = {}
    if config_file is not None:
        found = read_yaml(config_file, "config file")
        if found is not None and not isinstance(found, dict):
            raise UsageError(
                f"config file {config_file} must be a mapping of settings, "
                f"not a {type(found).__name__}"
            )
        data.update(found or {})
    for key, value in settings_from_env().items():
        if isinstance(value, dict):
            data[key] = {**(data.get(key) or {}), **value}
        else:
            data[key] = value
    data.update({k: v for k, v in overrides.items() if v is not None})
    try:
        return Settings(**data)
    except ValidationError as exc:
        where = f" in {config_file}" if config_file else ""
        raise UsageError(explain_invalid(exc, "setting", where, Settings)) from None


def settings_from_env(environ: dict[str, str] | None = None) -> dict[str, Any]:
    """Settings given as environment variables: ``LSQM_<NAME>`` for every setting,
    ``LSQM_DISCOVERY_<NAME>`` for discovery's, and :data:`ENV_ALIASES`."""
    env = dict(os.environ if environ is None else environ)
    found: dict[str, Any] = {}
    discovery: dict[str, Any] = {}
    for var, key in ENV_ALIASES.items():
        if env.get(var):
            found[key] = env[var]
    for key, field in Settings.model_fields.items():
        value = env.get(f"{ENV_PREFIX}{key.upper()}")
        if value and key != "discovery":
            found[key] = _env_value(field.annotation, value)
    for key, field in DiscoverySettings.model_fields.items():
        value = env.get(f"{ENV_PREFIX}DISCOVERY_{key.upper()}")
        if value:
            discovery[key] = _env_value(field.annotation, value)
    if discovery:
        found["discovery"] = discovery
    return found


def _env_value(annotation: Any, value: str) -> Any:
    """Lists come as comma-separated text; everything else is parsed by the model."""
    if get_origin(annotation) is list:
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


def bundled_examples() -> Path | None:
    """The repository's ``examples/`` folder (the embedded default source), when present."""
    package_root = Path(__file__).resolve().parents[2]
    for candidate in (package_root / "examples", Path("examples")):
        if candidate.is_dir():
            return candidate
    return None


def github_token(settings: Settings) -> str | None:
    """The optional GitHub token, read from the variable the settings name (never stored)."""
    return os.environ.get(settings.discovery.github_token_env) or None


def read_yaml(path: Path, what: str) -> Any:
    """Parse a YAML file lsqm reads (``what``: "config file", "sources file"); a missing,
    unreadable or malformed file is a UsageError naming the file and the line."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot read {what} {path}: {exc.strerror}") from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise UsageError(f"{what} {path} is not valid YAML{where}; fix its syntax") from None


def explain_invalid(
    exc: ValidationError, noun: str, where: str, model: type[BaseModel] | None = None
) -> str:
    """One sentence for the first problem pydantic found: which key, and what is wrong."""
    err = exc.errors()[0]
    key = ".".join(str(p) for p in err["loc"]) or noun
    if err["type"] == "extra_forbidden":
        known = f"; known {noun}s: {', '.join(sorted(model.model_fields))}" if model else ""
        return f"unknown {noun} '{key}'{where}{known}"
    if err["type"] == "missing":
        return f"{noun} '{key}'{where} is required"
    return f"{noun} '{key}'{where} is invalid: {err['msg']}"
