"""Why something failed: turn terraform and pytest output into a ``category`` from a fixed
vocabulary and a ``signature`` that clusters identical failures across architectures.

The order of the checks is the policy: environment limits (no Docker for Lambda, a provider
that cannot be installed, a provider too old for the configuration) are recognised before
anything is blamed on the emulator, and the emulator is blamed only when its answer says so.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from lsqm.records import Category, TraceCall, unsupported

# Categories whose deploy failure is FAILED: the emulator answered and the answer broke it.
FAILED_CATEGORIES = frozenset(
    {
        Category.EMULATOR_UNSUPPORTED,
        Category.EMULATOR_ERROR,
        Category.EMULATOR_REJECTED,
        Category.EMULATOR_BEHAVIOUR,
        Category.PROVIDER_CRASH,
    }
)


@dataclass(frozen=True)
class Failure:
    category: Category
    signature: str
    message: str
    test: str = ""  # the failing test's name, for a test failure


# Matched against the output with whitespace folded (terraform wraps at 78 columns).
_ENVIRONMENT = [
    (
        re.compile(
            r"lambda-runtime|Docker (?:is )?not available|docker daemon|Cannot connect to the "
            r"Docker|function is currently in the following state: Failed|"
            r"LastUpdateStatus\W{0,5}Failed|"
            # LocalEmu without Docker: the reason is left empty (its log says "Docker is not
            # available ... but required to run Lambda functions").
            r"Error while creating lambda: ?(?:with |$)",
            re.I,
        ),
        "lambda cannot execute without Docker",
    ),
    (
        re.compile(r"Installation of ([\w.-]+(?: [\w.-]+)?) failed"),
        "the emulator could not install {0} at run time (offline?)",
    ),
    (
        re.compile(r"Unrecognized remote plugin message|failed to instantiate provider"),
        "terraform could not start its provider plugin",
    ),
    (
        # An exact pin ("5.65.0") has no operator; a range ("~> 5.0", ">= 4, < 6") has.
        re.compile(
            r"(?:versions for provider ([\w.-]+/[\w.-]+): )?no available releases match the "
            r"given constraints ((?:[~<>=!]*\s?v?[0-9][0-9A-Za-z.+\-]*(?:,\s?)?)+)"
        ),
        "provider version constraint not satisfiable: {all}",
    ),
    (
        # A dependency lock file shipped with the configuration pins what the mirror lacks.
        re.compile(
            r"versions for provider ([\w.-]+/[\w.-]+): the previously-selected version "
            r"(v?[0-9][0-9A-Za-z.+\-]*) is no longer available"
        ),
        "provider version locked in .terraform.lock.hcl not available: {all}",
    ),
    (
        re.compile(r"does not support Terraform version ([0-9][0-9A-Za-z.\-]*)"),
        "terraform {0} does not meet the configuration's required_version",
    ),
    (re.compile(r"Unsupported Terraform Core version"), "terraform version constraint not met"),
    (
        re.compile(r"provider (registry\.[^\s]+) was not found in any of the search locations"),
        "provider not available offline: {0}",
    ),
    (
        re.compile(
            r"(could not connect to|Failed to retrieve available versions|no such host|"
            r"Could not download module|Failed to download module|dial tcp: lookup)",
            re.I,
        ),
        "network needed: {0}",
    ),
    (
        re.compile(
            r'The provider [\w/.-]+ does not support (?:resource|data source) type "([^"]+)"|'
            r'Invalid (?:resource|data source) type.{0,200}?"(aws_[^"]+)"',
            re.I,
        ),
        "resource type unknown to the installed provider: {0}",
    ),
    (
        re.compile(r'An argument named "([^"]+)" is not expected here'),
        "argument unknown to the installed provider: {0}",
    ),
    (
        re.compile(r'Blocks of type "([^"]+)" are not expected here'),
        "block type unknown to the installed provider: {0}",
    ),
    (
        re.compile(r"expected (\w+) to be one of \[[^\]]*\], got ([^\s]+)"),
        "value unknown to the installed provider: {0}",
    ),
]

_UNAVAILABLE = re.compile(
    r"connection refused|connect: connection reset|(?:: |unexpected )EOF\b|Connection aborted|"
    r"EndpointConnectionError|Could not connect to the endpoint URL|RemoteDisconnected|"
    r"Connection was closed before we received a valid response",
)
_UNSUPPORTED = re.compile(
    r"not yet been emulated|not yet implemented|not implemented|not included in your current "
    r"license|pro feature|NotImplemented|is not enabled|"
    # MiniStack's answer for a route or action it does not handle (404/400)
    r"Unknown [\w ]{2,40} (?:path|route|operation|action): ",
    re.I,
)
_STATUS = re.compile(r"(?:status code|StatusCode):? (\d{3})")
# The AWS error code: "...(name): InvalidAttributeValue: ..." (SDK v1) or "api error X:" (v2).
_API_CODE = re.compile(r"(?:api error |: )([A-Z][a-zA-Z0-9]+(?:\.[A-Za-z]+)?): ")
_RESOURCE = re.compile(r"with ((?:module\.[\w-]+\.)*(?:data\.)?(aws_[a-z0-9_]+))\.")


def normalise(message: str) -> str:
    """A message with run-specific parts (ids, names in quotes, URLs, numbers) replaced."""
    text = message.strip().splitlines()[0] if message.strip() else ""
    # The status is in the signature's label already; request ids differ on every call.
    text = re.sub(r",? ?status code: \d+, request id: \S*", "", text)
    text = re.sub(r"RequestID: [^,\s]+,? ?", "", text)
    text = re.sub(r"arn:aws[\w-]*:[^\s\"',)]+", "<arn>", text)
    text = re.sub(r"https?://[^\s\"',)]+", "<url>", text)
    text = re.sub(
        r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "<id>", text, flags=re.I
    )
    text = re.sub(r"\b[0-9a-f]{12,}\b", "<id>", text, flags=re.I)
    text = re.sub(r"\(([^()]*)\)", "(<*>)", text)
    text = re.sub(r"'[^']*'|\"[^\"]*\"", "<*>", text)
    text = re.sub(r"\b\d{4,}\b", "<n>", text)
    return re.sub(r"\s+", " ", text)[:200]


# Summaries that only announce other errors; the next error says what is wrong.
_WRAPPERS = ("Terraform encountered problems during initiali",)


def first_error(output: str) -> str:
    """The first telling ``Error:`` block of terraform output (summary and detail lines)."""
    blocks = re.findall(
        r"Error: (.+?)(?=\n[\s│]*\n[\s│]*(?:with|on) |\n\n\n|\nError: |\Z)", output, re.S
    )
    blocks = [re.sub(r"^│ ?", "", b, flags=re.M).strip() for b in blocks]
    telling = [b for b in blocks if not b.startswith(_WRAPPERS)]
    if telling or blocks:
        return str((telling or blocks)[0])
    lines = [ln for ln in output.strip().splitlines() if ln.strip()]
    return lines[-1] if lines else ""


_PANIC = re.compile(r"panic: ([^\n]+)")
_PANIC_FRAME = re.compile(r"goroutine \d+ \[running\]:\n[^\n(]*\.(\w+)\(")


def classify_terraform(stage: str, output: str) -> Failure:
    """Category and signature of a failed ``init``/``apply``/``destroy``.

    Terraform reports every failed resource. An emulator gap (501, not implemented) in any of
    them is reported even beside an environment limit: it does not depend on the environment
    (with Docker for Lambda, the same API would still be missing)."""
    primary = _classify_output(stage, output)
    if primary.category in (Category.EMULATOR_UNSUPPORTED, Category.PROVIDER_CRASH):
        return primary
    for segment in _error_segments(output):
        gap = _emulator_answer(stage, segment)
        if gap is not None and gap.category is Category.EMULATOR_UNSUPPORTED:
            also = f" (also: {primary.signature})" if primary.signature != gap.signature else ""
            return Failure(gap.category, gap.signature, gap.message + also)
    return primary


def _error_segments(output: str) -> list[str]:
    """Each ``Error:`` of terraform's output with the lines after it (its ``with`` line)."""
    parts = re.split(r"(?m)^(?=[│\s]*Error: )", output)
    return [p for p in parts if p.lstrip("│ \t").startswith("Error: ")]


def _classify_output(stage: str, output: str) -> Failure:
    # Terraform wraps its messages at 78 columns: match on the text with whitespace folded.
    flat = " ".join(output.split())
    error = " ".join(first_error(output).split())
    where = _RESOURCE.search(output)
    resource = where.group(2) if where else ""
    panic = _PANIC.search(output)
    if panic and "plugin crashed" in flat:
        frame = _PANIC_FRAME.search(output)
        where_crashed = frame.group(1) if frame else resource or "the provider"
        signature = f"provider crashed in {where_crashed}: {normalise(panic.group(1))}"
        return Failure(Category.PROVIDER_CRASH, signature, f"{error} ({panic.group(1)})")
    for pattern, template in _ENVIRONMENT:
        match = pattern.search(flat)
        if match:
            detail = (
                next((g for g in match.groups() if g), match.group(0)) if match.groups() else ""
            )
            if "{all}" in template:  # every group that matched, in order
                detail = " ".join(g.strip().rstrip(".,") for g in match.groups() if g)
                template = template.replace("{all}", "{0}")
            # No resource name in the signature: the same limit clusters across architectures.
            signature = (
                template.format(detail.strip().rstrip(".")) if "{0}" in template else template
            )
            return Failure(Category.ENVIRONMENT, signature, error or signature)
    if _STATUS.search(flat) is None and _UNAVAILABLE.search(flat):
        return Failure(Category.EMULATOR_UNAVAILABLE, f"{stage}: emulator unreachable", error)
    answer = _emulator_answer(stage, output)
    if answer is not None:
        return answer
    label = resource or stage
    if stage == "apply" and re.search(r"timeout while waiting for state|unexpected state", error):
        return Failure(Category.EMULATOR_ERROR, _signature(label, error), error)
    # No answer from the emulator is in evidence: terraform or the provider refused the
    # configuration before any call, so the emulator is not to blame.
    return Failure(Category.TERRAFORM_CONFIG, _signature(label, error), error)


def _emulator_answer(stage: str, output: str) -> Failure | None:
    """The failure the emulator's own answer explains (an HTTP status or an AWS error code
    in the first error of ``output``), else None."""
    flat = " ".join(output.split())
    error = " ".join(first_error(output).split())
    where = _RESOURCE.search(output)
    resource = where.group(2) if where else ""
    status_match = _STATUS.search(flat)
    status = int(status_match.group(1)) if status_match else None
    code_match = _API_CODE.search(error)
    code = code_match.group(1) if code_match else ""
    if status is None and not code:
        return None
    if status == 501 or _UNSUPPORTED.search(error):
        category = Category.EMULATOR_UNSUPPORTED
    elif status is not None and status >= 500:
        category = Category.EMULATOR_ERROR
    else:
        category = Category.EMULATOR_REJECTED
    label = ":".join(x for x in (resource or stage, code, str(status) if status else "") if x)
    return Failure(category, _signature(label, _after_code(error, code)), error)


def _signature(label: str, message: str) -> str:
    """``label: normalised message``; just the label when the message says nothing more."""
    text = normalise(message)
    return f"{label}: {text}" if text else label


def _after_code(error: str, code: str) -> str:
    if code and code in error:
        return error.split(code, 1)[1].lstrip(": ")
    return error


# Errors raised by the test's own AWS client before (or instead of) reaching the emulator.
_CLIENT_SIDE = re.compile(
    r"\b(ParamValidationError|NoRegionError|NoCredentialsError|UnknownServiceError|"
    r"InvalidEndpointConfigurationError|UnknownParameterError)\b"
)
_DNS = re.compile(
    r"Name or service not known|Temporary failure in name resolution|nodename nor servname|"
    r"NameResolutionError|getaddrinfo failed|No address associated with hostname"
)
_CALLED_URL = re.compile(r"endpoint URL: \"(https?://[^\"/]+)")


def _netloc(url: str) -> str:
    return urlsplit(url).netloc.lower()


def classify_test_failure(text: str, test_id: str = "", endpoint: str | None = None) -> Failure:
    """:func:`_test_failure`, with the test's name kept (for :func:`name_by_trace`)."""
    failure = _test_failure(text, test_id, endpoint)
    return dataclasses.replace(failure, test=test_id.rsplit("::", 1)[-1])


def _test_failure(text: str, test_id: str = "", endpoint: str | None = None) -> Failure:
    """Category of one failed or errored test, from its message and traceback.

    A failure inside the test's own client (a parameter it validated, a host name that does
    not resolve, a call to a host other than the emulator ``endpoint``) is the harness's, not
    the emulator's. A failed assertion's message alone ("assert <*> == <*>") would cluster
    unrelated failures, so its signature starts with the test's name (what it checks)."""
    first = next(
        (ln.strip() for ln in text.splitlines() if ln.strip().startswith("E ")),
        text.strip().splitlines()[0] if text.strip() else "",
    )
    message = first.removeprefix("E").strip()
    for pattern, template in _ENVIRONMENT[:1]:
        if pattern.search(text):
            return Failure(Category.ENVIRONMENT, template, message)
    if re.search(
        r"fixture '[^']+' not found|ModuleNotFoundError|ImportError|SyntaxError|"
        r"NameError|KeyError: 'LSQM_",
        text,
    ):
        return Failure(Category.HARNESS, f"test code: {normalise(message)}", message)
    client = _CLIENT_SIDE.search(text)
    if client:
        return Failure(Category.HARNESS, f"test client: {client.group(1)}", message)
    called = _CALLED_URL.search(text)
    if called and endpoint and _netloc(called.group(1)) != _netloc(endpoint):
        host = _netloc(called.group(1))
        return Failure(
            Category.HARNESS, f"test client: called {host}, not the emulator endpoint", message
        )
    if _DNS.search(text):
        return Failure(Category.HARNESS, "test client: a host name did not resolve", message)
    if _UNAVAILABLE.search(text) and "ClientError" not in text:
        return Failure(Category.EMULATOR_UNAVAILABLE, "test: emulator unreachable", message)
    status_match = re.search(r"\(([A-Za-z.]+)\) when calling the (\w+) operation", text)
    if _UNSUPPORTED.search(text) or re.search(r"\b501\b", message):
        sig = f"{status_match.group(2)}:{status_match.group(1)}" if status_match else "test"
        return Failure(Category.EMULATOR_UNSUPPORTED, f"{sig}: {normalise(message)}", message)
    if re.search(r"InternalError|InternalFailure|ServiceUnavailable|\b50[0-9]\b", message):
        return Failure(Category.EMULATOR_ERROR, f"test: {normalise(message)}", message)
    if status_match:
        sig = f"{status_match.group(2)}:{status_match.group(1)}: {normalise(message)}"
    else:
        test = test_id.rsplit("::", 1)[-1].split("[", 1)[0]
        sig = f"{test}: {normalise(message)}" if test else normalise(message)
    return Failure(Category.EMULATOR_BEHAVIOUR, sig, message)


# Which failure explains a set of failed tests best: the emulator's own faults first, then
# what the environment lacks, then the harness. Every category has a place (checked below).
_PRIORITY: tuple[Category, ...] = (
    Category.EMULATOR_UNAVAILABLE,
    Category.EMULATOR_UNSUPPORTED,
    Category.EMULATOR_ERROR,
    Category.EMULATOR_REJECTED,
    Category.PROVIDER_CRASH,
    Category.EMULATOR_BEHAVIOUR,
    Category.TIMEOUT,
    Category.ENVIRONMENT,
    Category.TERRAFORM_CONFIG,
    Category.HARNESS,
    Category.NO_TESTS,
)
assert set(_PRIORITY) == set(Category), "every category needs a place in _PRIORITY"


def dominant(failures: list[Failure]) -> Failure:
    """The failure that explains a set best: emulator faults first, then environment."""
    return min(failures, key=lambda f: _PRIORITY.index(f.category))


# Failures the emulator's answers explain: the trace can name the operation behind them.
_NAMED_BY_TRACE = frozenset(
    {
        Category.EMULATOR_UNSUPPORTED,
        Category.EMULATOR_ERROR,
        Category.EMULATOR_REJECTED,
        Category.EMULATOR_BEHAVIOUR,
    }
)


def broken(call: TraceCall) -> bool:
    """Whether the emulator answered this call with a fault of its own (5xx, 501, or an
    error code saying it is not implemented: ``records.unsupported``)."""
    return call.status >= 500 or unsupported(call)


def name_by_trace(failure: Failure, trace: Sequence[TraceCall], stage: str) -> Failure:
    """The failure with a signature naming the operation behind it, from the emulator's side.

    Among the failing stage's calls (a test failure: the failing test's), the first the
    emulator answered with a fault names it: ``apigatewayv2.CreateApi 501 InternalFailure``.
    Else a refused deploy names the last call refused with the error code terraform reported,
    and a failing test its own last call: ``sqs.ReceiveMessage: test_dlq: <message>``.
    The category stays as decided; without a telling call the failure is unchanged."""
    if failure.category not in _NAMED_BY_TRACE:
        return failure
    calls = [c for c in trace if c.caller == stage]
    if stage == "test" and failure.test:
        calls = [c for c in calls if c.test == failure.test]
    fault = min((c for c in calls if broken(c)), key=lambda c: c.first, default=None)
    if fault is not None and fault.operation:
        return dataclasses.replace(failure, signature=_call_label(fault))
    if stage != "test":
        refused = [
            c
            for c in calls
            if 400 <= c.status < 500 and c.error_code and c.error_code in failure.message
        ]
        last = max(refused, key=lambda c: c.last, default=None)
        if last is not None and last.operation and failure.category is Category.EMULATOR_REJECTED:
            return dataclasses.replace(failure, signature=_call_label(last))
        return failure
    last = max(calls, key=lambda c: c.last, default=None)
    if last is None or not last.operation or not failure.test:
        return failure
    name = failure.test.split("[", 1)[0]
    signature = _signature(f"{last.service}.{last.operation}: {name}", failure.message)
    return dataclasses.replace(failure, signature=signature)


def _call_label(call: TraceCall) -> str:
    """``service.Operation STATUS ErrorCode``."""
    return " ".join(
        x for x in (f"{call.service}.{call.operation}", str(call.status), call.error_code) if x
    )
