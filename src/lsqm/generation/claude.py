"""The Claude generator: tests written by a model through the official ``anthropic`` SDK.

The prompt carries the architecture's files (within a byte budget; what was cut is said
in the prompt and recorded in app.json), the resource inventory, and the test contract.
The answer comes back as a ``write_tests`` tool call (structured output, never "find the
first brace"). Every answer goes through the gate; one repair round feeds the gate's
findings back. Rate limits, 5xx and overload are retried with backoff (the SDK's own
retries are off, so each attempt is seen and budgeted here); an answer cut at
``max_tokens`` is asked again with more room. Third-party errors are wrapped here.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import anthropic

from lsqm.errors import (
    GateRefused,
    GenerationError,
    MalformedAnswer,
    TokenBudgetExhausted,
    ToolMissing,
)
from lsqm.generation.architecture import Architecture
from lsqm.generation.gate import gate
from lsqm.generation.interface import GeneratedApp, ResourceCoverage
from lsqm.generation.rules.generator import support_files

DEFAULT_MODEL = "claude-sonnet-5-5"
MAX_TOKENS_CAP = 64_000
CHARS_PER_TOKEN = 3.0  # conservative: real prompts of HCL + JSON run at ~3.5-4
TEXT_SUFFIXES = (".tf", ".tfvars", ".json", ".yaml", ".yml", ".md", ".py", ".js", ".sh", ".tpl")
# USD per million tokens (input, output), by model family.
PRICES = {"opus": (15.0, 75.0), "sonnet": (3.0, 15.0), "haiku": (1.0, 5.0)}

TOOL = {
    "name": "write_tests",
    "description": "Store the pytest modules that test this architecture once deployed.",
    "input_schema": {
        "type": "object",
        "required": ["files", "coverage"],
        "properties": {
            "files": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["name", "content"],
                    "properties": {
                        "name": {"type": "string", "description": "flat file name: test_x.py"},
                        "content": {"type": "string"},
                    },
                },
            },
            "coverage": {
                "type": "array",
                "description": "for each resource address: how the tests cover it",
                "items": {
                    "type": "object",
                    "required": ["address", "level"],
                    "properties": {
                        "address": {"type": "string"},
                        "level": {"enum": ["behavioural", "existence", "none"]},
                    },
                },
            },
            "notes": {"type": "string"},
        },
    },
}

CONTRACT = """You write pytest tests for an AWS architecture defined in Terraform, after it
has been deployed to LocalStack. The tests must find out whether the emulator behaves like
AWS for this architecture: exercise each resource through the AWS API (send and receive a
message, put and get an object, start an execution, invoke) and check that what the
configuration asked for is what the API reports. A test that cannot fail is worthless.

What a test sees (the contract; nothing else is available):
- Working directory: a folder holding your files plus the conftest.py shown below and
  lsqm's checks modules (lsqm_checks.py, lsqm_checks_*.py: already present, like
  conftest.py: do not write files with those names).
- Environment: AWS_ENDPOINT_URL (a plain boto3.client("sqs") talks to the emulator),
  AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_DEFAULT_REGION; LSQM_TF_STATE = path of
  `terraform show -json` (the deployed state), LSQM_TF_OUTPUTS = path of `terraform output -json`.
- The fixtures `state` (State: .instances(address) returns the state resources at an address
  without instance keys, each with "values"; .find(type, **values)) and `aws`
  (aws(service, resource) returns a boto3 client) from conftest.py.
- Python with pytest and boto3 only. Standard library otherwise.

Rules:
- Take every identifier (bucket names, queue URLs, ARNs, ids) from the state, never from
  resource names or guesses. One test per behaviour, named for what it checks.
- No subprocess, os.system, sockets, package installs, eval/exec; no network except the
  emulator (urllib.request to URLs built from AWS_ENDPOINT_URL is allowed).
- Clean up what you create. Poll with a deadline rather than sleeping blindly.
- File names: flat lower-case module names starting with test_ and ending in .py.
Answer by calling the write_tests tool once, with the files and the coverage per resource."""


@dataclass
class TokenBudget:
    """Tokens allowed for the whole run; checked before every call with its estimate."""

    limit: int | None
    input_tokens: int = 0
    output_tokens: int = 0

    @property
    def used(self) -> int:
        return self.input_tokens + self.output_tokens

    def reserve(self, estimate: int) -> None:
        if self.limit is not None and self.used + estimate > self.limit:
            raise TokenBudgetExhausted(
                f"token budget {self.limit} would be exceeded: {self.used} used, "
                f"the next call may take {estimate}"
            )

    def record(self, input_tokens: int, output_tokens: int) -> None:
        self.input_tokens += input_tokens
        self.output_tokens += output_tokens


@dataclass
class Prompt:
    text: str
    included: list[str] = field(default_factory=list)
    cut: list[str] = field(default_factory=list)


def build_prompt(arch: Architecture, byte_budget: int) -> Prompt:
    """The user message: inventory, then files while they fit; what did not fit is named."""
    inventory = "\n".join(
        f"- {r.address}" + (" (count/for_each)" if r.repeated else "") for r in arch.resources
    )
    parts = [f"Architecture: {arch.name}\n\nResources (state addresses):\n{inventory or '- none'}"]
    if arch.remote_modules:
        parts.append("Modules not available offline: " + ", ".join(arch.remote_modules))
    prompt = Prompt(text="")
    used = sum(len(p.encode()) for p in parts)
    files = sorted(
        (p for p in arch.folder.rglob("*") if p.is_file() and p.name != "architecture.json"),
        key=lambda p: (p.suffix != ".tf", str(p)),
    )
    for path in files:
        rel = str(path.relative_to(arch.folder))
        if path.suffix not in TEXT_SUFFIXES:
            prompt.cut.append(f"{rel} (not text)")
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        block = f"=== {rel} ===\n{text}"
        if used + len(block.encode()) > byte_budget:
            prompt.cut.append(f"{rel} ({len(text.encode())} bytes, over the prompt budget)")
            continue
        parts.append(block)
        prompt.included.append(rel)
        used += len(block.encode())
    if prompt.cut:
        parts.append("Left out of this prompt: " + "; ".join(prompt.cut))
    parts.append("=== conftest.py (present) ===\n" + support_files()["conftest.py"])
    prompt.text = "\n\n".join(parts)
    return prompt


def price(model: str, input_tokens: int, output_tokens: int) -> float | None:
    for family, (per_in, per_out) in PRICES.items():
        if family in model:
            return round((input_tokens * per_in + output_tokens * per_out) / 1e6, 6)
    return None


def parse_answer(message: Any) -> tuple[dict[str, str], list[dict[str, Any]]]:
    """Files and coverage claims from a ``write_tests`` tool call; MalformedAnswer if absent
    or not of the declared shape."""
    calls = [b for b in message.content if getattr(b, "type", "") == "tool_use"]
    calls = [b for b in calls if b.name == TOOL["name"]]
    if not calls:
        raise MalformedAnswer("the answer has no write_tests tool call")
    data = calls[0].input
    if not isinstance(data, dict) or not isinstance(data.get("files"), list):
        raise MalformedAnswer("write_tests input has no 'files' list")
    files: dict[str, str] = {}
    for item in data["files"]:
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            raise MalformedAnswer(f"a file entry is not {{name, content}}: {str(item)[:80]}")
        if not isinstance(item.get("content"), str):
            raise MalformedAnswer(f"file {item['name']!r} has no text content")
        if item["name"] in files:
            raise MalformedAnswer(f"file {item['name']!r} given twice")
        files[item["name"]] = item["content"]
    coverage = data.get("coverage")
    claims = [c for c in coverage if isinstance(c, dict)] if isinstance(coverage, list) else []
    return files, claims


class ClaudeGenerator:
    name = "claude"

    def __init__(
        self,
        *,
        api_key: str,
        model: str = DEFAULT_MODEL,
        budget: TokenBudget | None = None,
        base_url: str | None = None,
        max_tokens: int = 16_000,
        prompt_bytes: int = 150_000,
        max_attempts: int = 5,
        backoff_s: float = 2.0,
        timeout_s: float = 600.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.model = model
        self.budget = budget or TokenBudget(limit=None)
        self.max_tokens = max_tokens
        self.prompt_bytes = prompt_bytes
        self.max_attempts = max_attempts
        self.backoff_s = backoff_s
        self.sleep = sleep
        self.client = anthropic.Anthropic(
            api_key=api_key, base_url=base_url, max_retries=0, timeout=timeout_s
        )

    def generate(self, arch: Architecture) -> GeneratedApp:
        prompt = build_prompt(arch, self.prompt_bytes)
        messages: list[dict[str, Any]] = [{"role": "user", "content": prompt.text}]
        usage = {"input": 0, "output": 0, "calls": 0}
        problems: list[str] = []
        for _round in range(2):  # the answer, then one repair with the gate's findings
            message = self._complete(messages, usage)
            try:
                files, claims = parse_answer(message)
                files = {k: v for k, v in files.items() if k not in _PROVIDED}
                files.update(_provided())
                report = gate(files)
                problems = report.problems
            except MalformedAnswer as exc:
                problems = [exc.message]
            if not problems:
                meta = {
                    "model": self.model,
                    "tokens": {"input": usage["input"], "output": usage["output"]},
                    "cost_usd": price(self.model, usage["input"], usage["output"]),
                    "calls": usage["calls"],
                    "prompt": {"files": prompt.included, "cut": prompt.cut},
                }
                return GeneratedApp(files, _coverage(arch, files, claims), meta, gate=report)
            messages += _repair(message, problems)
        raise GateRefused(problems)

    # -- one call, with budget, retries and truncation ---------------------------------------
    def _complete(self, messages: list[dict[str, Any]], usage: dict[str, int]) -> Any:
        max_tokens = self.max_tokens
        while True:
            message = self._call(messages, max_tokens, usage)
            if message.stop_reason != "max_tokens":
                return message
            if max_tokens >= MAX_TOKENS_CAP:
                raise GenerationError(f"the answer was cut at max_tokens={max_tokens}")
            max_tokens = min(max_tokens * 2, MAX_TOKENS_CAP)

    def _call(self, messages: list[dict[str, Any]], max_tokens: int, usage: dict[str, int]) -> Any:
        chars = len(CONTRACT) + len(json.dumps(messages)) + len(json.dumps(TOOL))
        estimate = int(chars / CHARS_PER_TOKEN) + max_tokens
        for attempt in range(1, self.max_attempts + 1):
            self.budget.reserve(estimate)
            try:
                message = self.client.messages.create(  # type: ignore[call-overload]
                    model=self.model,
                    max_tokens=max_tokens,
                    system=CONTRACT,
                    messages=messages,
                    tools=[TOOL],
                    tool_choice={"type": "tool", "name": TOOL["name"]},
                )
            except anthropic.AuthenticationError as exc:
                raise ToolMissing(
                    "the Anthropic API refused ANTHROPIC_API_KEY; set a valid key"
                ) from exc
            except (anthropic.RateLimitError, anthropic.InternalServerError) as exc:
                if attempt == self.max_attempts:
                    raise GenerationError(f"Anthropic API kept failing: {_describe(exc)}") from exc
                self.sleep(self._wait(exc.response, attempt))
                continue
            except anthropic.APIStatusError as exc:
                if exc.status_code >= 500 and attempt < self.max_attempts:
                    self.sleep(self._wait(exc.response, attempt))
                    continue
                raise GenerationError(f"Anthropic API error: {_describe(exc)}") from exc
            except anthropic.APIConnectionError as exc:
                if attempt == self.max_attempts:
                    raise GenerationError(f"cannot reach the Anthropic API: {exc}") from exc
                self.sleep(self.backoff_s * 2 ** (attempt - 1))
                continue
            used_in = int(getattr(message.usage, "input_tokens", 0) or 0)
            used_out = int(getattr(message.usage, "output_tokens", 0) or 0)
            self.budget.record(used_in, used_out)
            usage["input"] += used_in
            usage["output"] += used_out
            usage["calls"] += 1
            return message
        raise AssertionError("unreachable")

    def _wait(self, response: Any, attempt: int) -> float:
        """Backoff: the server's retry-after when it gives one (capped), else exponential."""
        header = response.headers.get("retry-after") if response is not None else None
        try:
            if header is not None:
                return min(max(float(header), 0.0), 60.0)
        except ValueError:
            pass
        return min(float(self.backoff_s * 2 ** (attempt - 1)), 60.0)


_PROVIDED = tuple(support_files())  # conftest.py and the lsqm_checks*.py modules


def _provided() -> dict[str, str]:
    return support_files()


def _describe(exc: anthropic.APIStatusError) -> str:
    return f"HTTP {exc.status_code} {type(exc).__name__}"


def _repair(message: Any, problems: list[str]) -> list[dict[str, Any]]:
    """The conversation turn that shows the model why its answer was refused."""
    findings = "The gate refused these tests:\n- " + "\n- ".join(problems[:20])
    findings += "\nFix them and call write_tests again with the complete files."
    content = [b.model_dump(exclude_none=True) for b in message.content]
    calls = [b for b in message.content if getattr(b, "type", "") == "tool_use"]
    if not calls:
        return [
            {"role": "assistant", "content": content or "(no answer)"},
            {"role": "user", "content": findings},
        ]
    reply = {
        "type": "tool_result",
        "tool_use_id": calls[0].id,
        "is_error": True,
        "content": findings,
    }
    return [{"role": "assistant", "content": content}, {"role": "user", "content": [reply]}]


def _coverage(
    arch: Architecture, files: dict[str, str], claims: list[dict[str, Any]]
) -> list[ResourceCoverage]:
    """The model's coverage claims, kept only where a test module names the resource."""
    claimed = {str(c.get("address")): str(c.get("level")) for c in claims}
    tests_text = "\n".join(t for n, t in files.items() if n.startswith("test_"))
    out = []
    for resource in arch.resources:
        level = claimed.get(resource.address, "none")
        if level not in ("behavioural", "existence") or resource.address not in tests_text:
            reason = "" if level == "none" else "claimed, but no test names this address"
            out.append(ResourceCoverage(resource.address, resource.type, "none", reason=reason))
        else:
            out.append(ResourceCoverage(resource.address, resource.type, level))  # type: ignore[arg-type]
    return out
