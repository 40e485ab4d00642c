"""The checks of stepfunctions resources (part of ``lsqm_checks``; see its docstring).

Copied verbatim into every generated app beside ``lsqm_checks.py``.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import datetime
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError
from lsqm_checks_core import Aws, Client, Resource, json_equal, values, wait_for

# -- Step Functions --------------------------------------------------------------------
# What an execution does is in its definition. For the states whose behaviour the
# definition fixes (Pass, Wait, Choice, Succeed, Fail) the check works the outcome out for
# an input it builds from the Choice rules, preferring one that reaches success, and
# expects exactly that. Where a state's behaviour is not in the definition (a Task calls
# another service, Map and Parallel run branches), it expects only that the execution
# starts: anything more would be an invented expectation.
JSON_PATH = re.compile(r"(?<![$\w])\$((?:\.[A-Za-z_]\w*)+)")
SFN_WAIT_LIMIT_S = 10.0  # longest total Wait a check sits through
SFN_MAX_STEPS = 100  # transitions simulated before a loop counts as unpredictable
SFN_TRIES = 40  # inputs tried in search of one that reaches success
SFN_STATUSES = {
    "RUNNING",
    "SUCCEEDED",
    "FAILED",
    "TIMED_OUT",
    "ABORTED",
    "PENDING_REDRIVE",
}
_SFN_FIELDS = {
    "Type",
    "Comment",
    "Next",
    "End",
    "InputPath",
    "OutputPath",
    "QueryLanguage",
}
_SFN_STATE_FIELDS = {
    "Pass": {"Result", "ResultPath", "Parameters"},
    "Wait": {"Seconds", "Timestamp", "SecondsPath", "TimestampPath"},
    "Choice": {"Choices", "Default"},
    "Succeed": set(),
    "Fail": {"Error", "Cause", "ErrorPath", "CausePath"},
}
_SFN_TOP_FIELDS = {
    "StartAt", "States", "Comment", "Version", "TimeoutSeconds", "QueryLanguage",
}  # fmt: skip
_CONTEXT_PATHS = {
    "$$.Execution.Id", "$$.Execution.Input", "$$.Execution.Name", "$$.Execution.RoleArn",
    "$$.Execution.StartTime", "$$.State.Name", "$$.State.EnteredTime",
    "$$.State.RetryCount", "$$.StateMachine.Id", "$$.StateMachine.Name",
}  # fmt: skip
# The form AWS documents for Choice rules (UTC, whole seconds, "Z"): how offsets and
# fractions compare is not assumed (LocalStack 2026.3.0 fails on both).
_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")
_PATH_STEP = re.compile(r"\.([^.\[\]*@?()'\"\s]+)|\['([^'\]]+)'\]|\[(\d+)\]")
_MISSING = object()  # "no value at this path" in a built input


class Unknown:
    """A value no definition fixes (an execution id, a UUID): it matches anything."""

    def __repr__(self) -> str:
        return "<unknown>"

    def __deepcopy__(self, _memo: Any) -> Unknown:
        return self


UNKNOWN = Unknown()


class Unpredictable(Exception):
    """What happens next is not fixed by the definition (or not by this reading of it)."""


class Absent(Unpredictable):
    """No value at a path (AWS fails the execution, unless the rule is IsPresent)."""


@dataclass
class SfnRun:
    """An execution worked out from the definition: ``status`` None when unpredictable."""

    status: str | None = None
    path: list[str] = dataclasses.field(default_factory=list)
    output: Any = UNKNOWN
    error: Any = None  # None: not asserted
    cause: Any = None
    reason: str = ""
    # each Choice state passed, with its input
    choices: list[tuple[str, Any]] = dataclasses.field(default_factory=list)
    waited: float = 0.0


@dataclass
class SfnPlan:
    input: Any
    run: SfnRun


def sample_input(definition: str) -> dict[str, Any]:
    """An execution input holding every ``$.a.b`` path the definition reads, so a machine
    that reshapes its input is not failed for want of a field."""
    sample: dict[str, Any] = {}
    for path in sorted(set(JSON_PATH.findall(definition or "")), key=len):
        node = sample
        *parents, leaf = path.strip(".").split(".")
        for part in parents:
            if not isinstance(node.get(part), dict):
                node[part] = {}
            node = node[part]
        node.setdefault(leaf, "lsqm")
    return sample


def _path_steps(path: Any) -> list[str | int]:
    if not isinstance(path, str) or not path.startswith("$") or path.startswith("$$"):
        raise Unpredictable(f"path {path!r} is not a plain JSONPath")
    steps: list[str | int] = []
    position = 1
    while position < len(path):
        found = _PATH_STEP.match(path, position)
        if not found:
            raise Unpredictable(
                f"path {path!r} uses JSONPath this check does not follow"
            )
        name, quoted, index = found.groups()
        steps.append(int(index) if index is not None else (name or quoted))
        position = found.end()
    return steps


def _present(data: Any, path: Any) -> bool:
    try:
        _get(data, path)
    except Absent:
        return False
    return True


def _get(data: Any, path: Any) -> Any:
    """The value at ``path``; Unpredictable when absent (AWS fails the execution)."""
    node = data
    for step in _path_steps(path):
        if isinstance(node, Unknown):
            raise Unpredictable(
                f"{path} reads into a value the definition does not fix"
            )
        if isinstance(step, int) and isinstance(node, list) and step < len(node):  # noqa: SIM114 (mypy narrows each branch)
            node = node[step]
        elif isinstance(step, str) and isinstance(node, dict) and step in node:
            node = node[step]
        else:
            raise Absent(f"{path} is not in the state's input")
    return node


def _select(state: dict[str, Any], data: Any, key: str) -> Any:
    """InputPath / OutputPath: absent keeps everything, null keeps nothing."""
    if key not in state:
        return data
    return {} if state[key] is None else copy.deepcopy(_get(data, state[key]))


def _merge(state: dict[str, Any], data: Any, result: Any) -> Any:
    """ResultPath: where the state's result goes in its raw input."""
    if "ResultPath" not in state or state["ResultPath"] == "$":
        return result
    if state["ResultPath"] is None:
        return data
    *parents, leaf = _path_steps(state["ResultPath"])
    merged = copy.deepcopy(data)
    node = merged
    for step in parents:
        node = (
            node.get(step) if isinstance(node, dict) and isinstance(step, str) else None
        )
    if not isinstance(node, dict) or not isinstance(leaf, str):
        raise Unpredictable(
            f"ResultPath {state['ResultPath']} has no object to write to"
        )
    node[leaf] = result
    return merged


def _template(node: Any, data: Any) -> Any:
    """Parameters: keys ending in ``.$`` take a value from the input."""
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key.endswith(".$"):
                out[key[:-2]] = _dynamic(value, data)
            else:
                out[key] = _template(value, data)
        return out
    if isinstance(node, list) and ".$" in json.dumps(node):
        raise Unpredictable("a template with dynamic values inside a list")
    return copy.deepcopy(node)


def _dynamic(expression: Any, data: Any) -> Any:
    if not isinstance(expression, str):
        raise Unpredictable(f"dynamic value {expression!r}")
    if expression.startswith("$$"):
        if expression in _CONTEXT_PATHS or expression == "$$":
            return UNKNOWN
        raise Unpredictable(f"context path {expression}")
    if expression.startswith("States."):
        return _intrinsic(expression, data)
    return copy.deepcopy(_get(data, expression))


def _intrinsic(expression: str, data: Any) -> Any:
    """The intrinsic functions whose result the input fixes; others are unpredictable."""
    call = re.fullmatch(r"States\.(\w+)\((.*)\)", expression.strip(), re.DOTALL)
    if call is None:
        raise Unpredictable(f"intrinsic {expression}")
    name, args = call.group(1), _intrinsic_args(call.group(2), data)
    if name == "UUID" and not args:
        return UNKNOWN
    if name == "JsonToString" and len(args) == 1:
        return UNKNOWN  # the argument exists; its exact spelling is AWS's business
    if name == "Array":
        return args
    if name == "Format" and args and isinstance(args[0], str):
        return _format(args[0], args[1:])
    raise Unpredictable(f"intrinsic States.{name}")


def _intrinsic_args(text: str, data: Any) -> list[Any]:
    tokens = (
        re.findall(r"\s*('(?:[^'\\]|\\.)*'|[^,]+)\s*(?:,|$)", text)
        if text.strip()
        else []
    )
    args: list[Any] = []
    for token in tokens:
        token = token.strip()
        if token.startswith("'") and "\\" not in token:
            args.append(token[1:-1])
        elif token.startswith("$"):
            args.append(_dynamic(token, data))
        elif re.fullmatch(r"-?\d+", token):
            args.append(int(token))
        elif token in ("true", "false", "null"):
            args.append(json.loads(token))
        else:
            raise Unpredictable(f"intrinsic argument {token}")
    return args


def _format(template: str, args: list[Any]) -> Any:
    if "\\" in template or template.count("{}") != len(args):
        raise Unpredictable(f"States.Format template {template!r}")
    text = template
    for arg in args:
        if isinstance(arg, Unknown | bool) or arg is None:
            return UNKNOWN  # formatted, but how exactly is AWS's business
        if not isinstance(arg, str | int):
            raise Unpredictable(f"States.Format of {arg!r}")
        text = text.replace("{}", str(arg), 1)
    return text


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _timestamp(value: Any) -> datetime.datetime | None:
    if isinstance(value, str) and _TIMESTAMP.fullmatch(value):
        return datetime.datetime.fromisoformat(value)
    return None


def _sfn_string_pattern(pattern: str) -> re.Pattern[str]:
    """A Step Functions ``StringMatches`` operand: ``*`` any run of characters, and
    ``\\*`` / ``\\\\`` a literal star / backslash; ``?`` is literal."""
    parts = re.split(r"(\\\\|\\\*|\*)", pattern)
    escaped = {"\\\\": re.escape("\\"), "\\*": re.escape("*"), "*": ".*"}
    return re.compile("".join(escaped.get(p, re.escape(p)) for p in parts), re.DOTALL)


_ORDER: dict[str, Callable[[Any, Any], bool]] = {
    "Equals": lambda a, b: a == b,
    "LessThan": lambda a, b: a < b,
    "GreaterThan": lambda a, b: a > b,
    "LessThanEquals": lambda a, b: a <= b,
    "GreaterThanEquals": lambda a, b: a >= b,
}
_KINDS: dict[str, Callable[[Any], bool]] = {
    "String": lambda v: isinstance(v, str),
    "Numeric": _number,
    "Boolean": lambda v: isinstance(v, bool),
}
_TYPE_TESTS: dict[str, Callable[[Any], bool]] = {
    "IsNull": lambda v: v is None,
    "IsString": lambda v: isinstance(v, str),
    "IsNumeric": _number,
    "IsBoolean": lambda v: isinstance(v, bool),
}


def choice_rule_matches(rule: dict[str, Any], data: Any) -> bool:
    """A JSONPath Choice rule on well-typed values; Unpredictable where AWS's answer would
    depend on a detail (a missing variable, mismatched types) this check does not model.
    Every branch of And/Or is evaluated, so no error hides behind a short circuit."""
    if "And" in rule or "Or" in rule:
        results = [choice_rule_matches(r, data) for r in rule.get("And") or rule["Or"]]
        return all(results) if "And" in rule else any(results)
    if "Not" in rule:
        return not choice_rule_matches(rule["Not"], data)
    operators = [k for k in rule if k not in ("Variable", "Next", "Comment")]
    if len(operators) != 1 or "Variable" not in rule:
        raise Unpredictable(f"choice rule {rule}")
    operator, operand = operators[0], rule[operators[0]]
    if operator == "IsPresent":
        return _present(data, rule["Variable"]) is operand
    value = _get(data, rule["Variable"])
    if isinstance(value, Unknown):
        raise Unpredictable(f"{rule['Variable']} is not fixed by the definition")
    if operator in _TYPE_TESTS:
        return _TYPE_TESTS[operator](value) is operand
    if operator == "IsTimestamp":
        if isinstance(value, str) and _timestamp(value) is None and value[:1].isdigit():
            raise Unpredictable(f"is {value!r} a timestamp")
        return (_timestamp(value) is not None) is operand
    if operator == "StringMatches":
        _same_kind(value, operand, _KINDS["String"], rule)
        return _sfn_string_pattern(operand).fullmatch(value) is not None
    if operator.endswith("Path"):
        operator, operand = operator[:-4], _get(data, operand)
    for kind, fits in _KINDS.items():
        if operator.startswith(kind) and operator[len(kind) :] in _ORDER:
            _same_kind(value, operand, fits, rule)
            return _ORDER[operator[len(kind) :]](value, operand)
    if operator.startswith("Timestamp") and operator[9:] in _ORDER:
        left, right = _timestamp(value), _timestamp(operand)
        if left is None or right is None:
            raise Unpredictable(f"timestamps {value!r}, {operand!r}")
        return _ORDER[operator[9:]](left, right)
    raise Unpredictable(f"choice operator {operator}")


def _same_kind(
    value: Any, operand: Any, fits: Callable[[Any], bool], rule: dict[str, Any]
) -> None:
    if not (fits(value) and fits(operand)):
        raise Unpredictable(
            f"{rule.get('Variable')} is {value!r}, compared with {operand!r}"
        )


def sfn_simulate(definition: Any, given: Any) -> SfnRun:
    """Run the definition on ``given`` as Step Functions would, as far as it is fixed."""
    run = SfnRun()
    try:
        _run_states(definition, copy.deepcopy(given), run)
    except Unpredictable as exc:
        run.status, run.reason = None, str(exc)
    return run


def _run_states(definition: Any, data: Any, run: SfnRun) -> None:
    if not isinstance(definition, dict) or set(definition) - _SFN_TOP_FIELDS:
        raise Unpredictable("the definition uses fields this check does not model")
    if definition.get("QueryLanguage", "JSONPath") != "JSONPath":
        raise Unpredictable("a JSONata definition")
    states, name = definition.get("States"), definition.get("StartAt")
    if not isinstance(states, dict):
        raise Unpredictable("the definition has no States")
    for _ in range(SFN_MAX_STEPS):
        state = states.get(name) if isinstance(name, str) else None
        if not isinstance(state, dict) or not isinstance(name, str):
            raise Unpredictable(f"no state {name!r}")
        run.path.append(name)
        kind = state.get("Type")
        extra = set(state) - _SFN_FIELDS - _SFN_STATE_FIELDS.get(str(kind), set())
        if kind not in _SFN_STATE_FIELDS:
            raise Unpredictable(
                f"{kind} state {name}: what it does is not in the definition"
            )
        if extra or state.get("QueryLanguage", "JSONPath") != "JSONPath":
            raise Unpredictable(f"state {name} uses {sorted(extra) or 'JSONata'}")
        if kind == "Fail":
            run.status = "FAILED"
            run.error = _fail_field(state, data, "Error")
            run.cause = _fail_field(state, data, "Cause")
            return
        effective = _select(state, data, "InputPath")
        if kind == "Choice":
            run.choices.append((name, effective))
            name = _next_of_choice(state, effective, run)
            if name is None:
                return
            data = _select(state, effective, "OutputPath")
            continue
        if kind == "Pass":
            if "Parameters" in state:
                effective = _template(state["Parameters"], effective)
            result = copy.deepcopy(state["Result"]) if "Result" in state else effective
            effective = _merge(state, data, result)
        elif kind == "Wait":
            run.waited += _wait_seconds(state, effective)
            limit = definition.get("TimeoutSeconds")
            if run.waited > SFN_WAIT_LIMIT_S or (
                isinstance(limit, int | float)
                and _number(limit)
                and run.waited >= limit - 1
            ):
                raise Unpredictable(f"the execution waits {run.waited:.0f}s")
        data = _select(state, effective, "OutputPath")
        if kind == "Succeed" or state.get("End") is True:
            run.status, run.output = "SUCCEEDED", data
            return
        name = state.get("Next")
    raise Unpredictable(f"more than {SFN_MAX_STEPS} transitions")


def _next_of_choice(state: dict[str, Any], data: Any, run: SfnRun) -> str | None:
    for rule in state.get("Choices") or []:
        if choice_rule_matches(rule, data):
            return rule.get("Next")
    if "Default" in state:
        return state["Default"]
    # AWS documents the error as States.NoChoiceMatched; which name an execution reports
    # is not asserted (LocalStack 2026.3.0 says States.Runtime)
    run.status, run.reason = "FAILED", f"no choice of {run.path[-1]} matched"
    return None


def _fail_field(state: dict[str, Any], data: Any, key: str) -> Any:
    if f"{key}Path" in state:
        value = _dynamic(state[f"{key}Path"], data)
        return value if isinstance(value, str) else UNKNOWN
    return state.get(key)


def _wait_seconds(state: dict[str, Any], data: Any) -> float:
    if "Seconds" in state or "SecondsPath" in state:
        seconds = (
            state["Seconds"] if "Seconds" in state else _get(data, state["SecondsPath"])
        )
        if not isinstance(seconds, int) or isinstance(seconds, bool) or seconds < 0:
            raise Unpredictable(f"a Wait of {seconds!r} seconds")
        return float(seconds)
    if "Timestamp" in state:
        when = _timestamp(state["Timestamp"])
    else:
        when = _timestamp(_get(data, state.get("TimestampPath")))
    if when is None:
        raise Unpredictable("a Wait without a timestamp this check can read")
    now = datetime.datetime.now(datetime.UTC)
    return max(0.0, (when - now).total_seconds())


# -- building an input: values that make a Choice rule true (or false) -----------------
def _succeeding_states(states: dict[str, Any]) -> set[str]:
    """States from which success is reachable through states the definition fixes."""
    good: set[str] = set()
    changed = True
    while changed:
        changed = False
        for name, state in states.items():
            if name in good or not isinstance(state, dict):
                continue
            kind = state.get("Type")
            targets = [state.get("Next")]
            if kind == "Choice":
                targets = [r.get("Next") for r in state.get("Choices") or []]
                targets.append(state.get("Default"))
            reaches = kind == "Succeed" or (
                kind in ("Pass", "Wait") and state.get("End") is True
            )
            if reaches or (kind in ("Pass", "Wait", "Choice") and good & set(targets)):
                good.add(name)
                changed = True
    return good


def _shift(value: Any, up: bool) -> Any:
    """A value of the same kind just above (or below) ``value``."""
    if _number(value):
        return value + 1 if up else value - 1
    stamp = _timestamp(value)
    if stamp is not None:
        moved = stamp + datetime.timedelta(days=1 if up else -1)
        return moved.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, str):
        if up:
            return value + "~"
        if value:
            return value[:-1]
    raise Unpredictable(f"nothing below {value!r}")


_SAMPLES = {
    "String": "lsqm",
    "Numeric": 1,
    "Boolean": True,
    "Timestamp": "2020-01-01T00:00:00Z",
}
_TYPE_SAMPLES = {
    "IsNull": (None, "lsqm"),
    "IsString": ("lsqm", 0),
    "IsNumeric": (0, "lsqm"),
    "IsBoolean": (True, "lsqm"),
    "IsTimestamp": ("2020-01-01T00:00:00Z", "lsqm"),
    "IsPresent": ("lsqm", _MISSING),
}


def _values_for(rule: dict[str, Any], want: bool) -> list[tuple[str, Any]]:
    """(path, value) pairs that make ``rule`` evaluate to ``want`` (checked afterwards by
    simulating, so a guess that misses costs a try, never a wrong expectation)."""
    if "And" in rule or "Or" in rule:
        # every part gets a value (all are evaluated); all decide, or the last alone (it
        # is written last, so it wins where parts share a variable)
        parts = rule.get("And") or rule["Or"]
        every = ("And" in rule) == want
        wants = [want] * len(parts) if every else [not want] * (len(parts) - 1) + [want]
        return [
            pair
            for p, w in zip(parts, wants, strict=True)
            for pair in _values_for(p, w)
        ]
    if "Not" in rule:
        return _values_for(rule["Not"], not want)
    operators = [k for k in rule if k not in ("Variable", "Next", "Comment")]
    if len(operators) != 1 or not isinstance(rule.get("Variable"), str):
        raise Unpredictable(f"choice rule {rule}")
    variable, operator = rule["Variable"], operators[0]
    operand = rule[operator]
    if operator in _TYPE_SAMPLES:
        yes, no = _TYPE_SAMPLES[operator]
        return [(variable, yes if operand is want else no)]
    if operator == "StringMatches" and isinstance(operand, str):
        literal = re.sub(r"\\(.)|\*", lambda m: m.group(1) or "", operand)
        return [(variable, literal if want else literal + "\u0001")]
    pairs: list[tuple[str, Any]] = []
    if operator.endswith("Path"):
        operator = operator[:-4]
        kind = next((k for k in _SAMPLES if operator.startswith(k)), None)
        if kind is None:
            raise Unpredictable(f"choice operator {operator}Path")
        pairs.append((operand, _SAMPLES[kind]))
        operand = _SAMPLES[kind]
    test = (
        operator[9:]
        if operator.startswith("Timestamp")
        else re.sub(r"^(String|Numeric|Boolean)", "", operator)
    )
    if test == "Equals":
        value = (
            operand
            if want
            else (not operand if isinstance(operand, bool) else _shift(operand, True))
        )
    elif test in ("LessThan", "GreaterThanEquals"):
        value = _shift(operand, False) if (test == "LessThan") == want else operand
    elif test in ("GreaterThan", "LessThanEquals"):
        value = _shift(operand, True) if (test == "GreaterThan") == want else operand
    else:
        raise Unpredictable(f"choice operator {operator}")
    return [*pairs, (variable, value)]


def _with_values(given: Any, pairs: list[tuple[str, Any]]) -> Any:
    """``given`` with each path set (created where missing) or removed."""
    out = copy.deepcopy(given) if isinstance(given, dict) else {}
    for path, value in pairs:
        steps = _path_steps(path)
        if not steps or not all(isinstance(s, str) for s in steps):
            raise Unpredictable(f"cannot build an input with {path}")
        node = out
        for step in steps[:-1]:
            if not isinstance(node.get(step), dict):
                node[step] = {}
            node = node[step]
        if value is _MISSING:
            node.pop(steps[-1], None)
        else:
            node[steps[-1]] = copy.deepcopy(value)
    return out


def _alternatives(definition: dict[str, Any], given: Any, run: SfnRun) -> list[Any]:
    """Inputs that send one Choice the run went through down another branch: first the
    branches from which success is reachable, in rule order."""
    states = definition.get("States") or {}
    good = _succeeding_states(states)
    ranked: list[tuple[bool, Any]] = []
    for name, _data in run.choices:
        rules = states[name].get("Choices") or []
        options = [(i, r.get("Next")) for i, r in enumerate(rules)]
        if "Default" in states[name]:
            options.append((len(rules), states[name]["Default"]))
        for index, target in options:
            try:
                pairs = [p for r in rules[:index] for p in _values_for(r, False)]
                if index < len(rules):
                    pairs += _values_for(rules[index], True)
                ranked.append((target not in good, _with_values(given, pairs)))
            except Unpredictable:
                continue
    return [candidate for _bad, candidate in sorted(ranked, key=lambda c: c[0])]


def _seed(definition: dict[str, Any], text: str) -> Any:
    """The first input: every path the definition reads, waits that need not wait."""
    pairs: list[tuple[Any, Any]] = []
    for state in (definition.get("States") or {}).values():
        if isinstance(state, dict) and state.get("Type") == "Wait":
            if isinstance(state.get("SecondsPath"), str):
                pairs.append((state["SecondsPath"], 0))
            if isinstance(state.get("TimestampPath"), str):
                pairs.append((state["TimestampPath"], "2000-01-01T00:00:00Z"))
    try:
        return _with_values(sample_input(text), pairs)
    except Unpredictable:
        return sample_input(text)


def sfn_plan(text: str) -> SfnPlan:
    """An input and what the definition makes of it: success where some input reaches it,
    else a failure the definition fixes, else unpredictable (with the reason)."""
    try:
        definition = json.loads(text)
    except ValueError:
        return SfnPlan({}, SfnRun(reason="the definition is not JSON"))
    if not isinstance(definition, dict):
        return SfnPlan({}, SfnRun(reason="the definition is not a JSON object"))
    queue = [_seed(definition, text)]
    seen: set[str] = set()
    first: SfnPlan | None = None
    failing: SfnPlan | None = None
    while queue and len(seen) < SFN_TRIES:
        given = queue.pop(0)
        key = json.dumps(given, sort_keys=True)
        if key in seen:
            continue
        seen.add(key)
        run = sfn_simulate(definition, given)
        first = first or SfnPlan(given, run)
        if run.status == "SUCCEEDED":
            return SfnPlan(given, run)
        if run.status == "FAILED" and failing is None:
            failing = SfnPlan(given, run)
        queue += _alternatives(definition, given, run)
    assert first is not None
    return failing or first


def conforms(actual: Any, wanted: Any) -> bool:
    """``actual`` is ``wanted``, where an Unknown part of ``wanted`` matches anything."""
    if isinstance(wanted, Unknown):
        return True
    if isinstance(wanted, dict):
        return (
            isinstance(actual, dict)
            and set(actual) == set(wanted)
            and all(conforms(actual[k], v) for k, v in wanted.items())
        )
    if isinstance(wanted, list):
        return (
            isinstance(actual, list)
            and len(actual) == len(wanted)
            and all(conforms(a, w) for a, w in zip(actual, wanted, strict=True))
        )
    if isinstance(wanted, bool) or isinstance(actual, bool):
        return actual is wanted
    return bool(actual == wanted)


def sfn_execution_as_defined(aws: Aws, machine: Resource) -> None:
    """An execution ends as the definition says it must, for an input chosen to reach
    success where one can (its output and error too); where the definition does not fix the
    outcome (a Task, Map or Parallel state), the execution is only expected to start."""
    state = values(machine)
    sfn = aws("stepfunctions", machine)
    arn = state.get("arn") or state["id"]
    plan = sfn_plan(state.get("definition") or "")
    given = json.dumps(plan.input)
    express = state.get("type") == "EXPRESS"
    if plan.run.status is None:
        _sfn_starts(sfn, arn, given, express)
        return
    if express:
        got = sfn.start_sync_execution(stateMachineArn=arn, input=given)
    else:
        execution = sfn.start_execution(stateMachineArn=arn, input=given)[
            "executionArn"
        ]

        def finished() -> dict[str, Any] | None:
            got = sfn.describe_execution(executionArn=execution)
            return got if got["status"] != "RUNNING" else None

        got = wait_for(f"execution of {state['name']} did not finish", finished, 60)
    _sfn_ended_as_planned(state["name"], given, plan.run, got)


def _sfn_starts(sfn: Client, arn: str, given: str, express: bool) -> None:
    started = sfn.start_execution(stateMachineArn=arn, input=given)
    assert started.get("executionArn"), f"start_execution returned {started}"
    if express:
        return  # express executions are not described; starting is what is known
    got = sfn.describe_execution(executionArn=started["executionArn"])
    assert got["status"] in SFN_STATUSES, f"execution status {got['status']}"
    if got["status"] == "RUNNING":  # clean up; it may have ended meanwhile
        with contextlib.suppress(ClientError):
            sfn.stop_execution(executionArn=started["executionArn"], cause="lsqm")


def _sfn_ended_as_planned(
    name: str, given: str, run: SfnRun, got: dict[str, Any]
) -> None:
    ended = f"{got['status']} ({got.get('error')}: {got.get('cause')})"
    route = " -> ".join(run.path)
    assert got["status"] == run.status, (
        f"execution of {name} with input {given} ended {ended}; "
        f"the definition leads to {run.status} through {route}"
    )
    for key in ("error", "cause"):
        wanted = getattr(run, key)
        if isinstance(wanted, str):
            assert got.get(key) == wanted, (
                f"execution of {name} failed with {key} {got.get(key)!r}, "
                f"the definition's Fail state {run.path[-1]} says {wanted!r}"
            )
    if run.status == "SUCCEEDED" and not isinstance(run.output, Unknown):
        output = json.loads(got.get("output") or "null")
        assert conforms(output, run.output), (
            f"execution of {name} with input {given} output {output}; "
            f"the definition makes {run.output} through {route}"
        )


def sfn_machine_as_configured(aws: Aws, machine: Resource) -> None:
    """The state machine's definition and role are what was configured."""
    state = values(machine)
    arn = state.get("arn") or state["id"]
    got = aws("stepfunctions", machine).describe_state_machine(stateMachineArn=arn)
    assert json_equal(got["definition"], state["definition"]), "definition differs"
    assert got["roleArn"] == state["role_arn"], (
        f"role {got['roleArn']} != {state['role_arn']}"
    )
