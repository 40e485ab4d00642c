"""Static values at mine time, so that a file named through a variable or a local is checked
like a literal one (``missing_file``, ``path_escape``).

Only what needs no evaluation is resolved: a string literal; a template whose interpolations
are plain references (``var.x``, ``local.y``, ``path.module``, ``path.root``, ``path.cwd``);
or such a reference alone. Variables take their literal default, then the root module's
``terraform.tfvars`` and ``*.auto.tfvars`` literals (Terraform's order), or a local module
call's argument resolved where it is written. Anything else stays unknown (None) and is
left to terraform: this sees through easy indirections, it is not a sandbox.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from lsqm.terraform.hcl import Attribute, ModuleInfo

_REFERENCE = re.compile(r"^(var|local)\.([A-Za-z_][A-Za-z0-9_-]*)$")
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}


@dataclass
class Scope:
    """What is known in one module, for one way of calling it."""

    path_module: str  # path.module: the module's folder relative to the root module's
    path_cwd: str  # path.cwd: the root module's folder, absolute
    variables: dict[str, str] = field(default_factory=dict)
    locals: dict[str, str] = field(default_factory=dict)

    def value(self, expr: str) -> str | None:
        """The string ``expr`` evaluates to when that is static, else None."""
        text = expr.strip()
        if text.startswith('"'):
            return self._template(text)
        return self._reference(text)

    def _reference(self, name: str) -> str | None:
        if name == "path.module":
            return self.path_module
        if name == "path.root":
            return "."
        if name == "path.cwd":
            return self.path_cwd
        match = _REFERENCE.match(name)
        if match is None:
            return None
        known = self.variables if match[1] == "var" else self.locals
        return known.get(match[2])

    def _template(self, text: str) -> str | None:
        """A quoted template whose interpolations are all plain references."""
        out: list[str] = []
        i = 1
        while i < len(text):
            char = text[i]
            if char == "\\":
                escaped = _ESCAPES.get(text[i + 1 : i + 2])
                if escaped is None:
                    return None
                out.append(escaped)
                i += 2
            elif char == '"':
                return "".join(out) if i == len(text) - 1 else None  # one string, nothing after
            elif text.startswith(("$${", "%%{"), i):
                out.append(text[i + 1 : i + 3])  # an escaped interpolation is literal text
                i += 3
            elif text.startswith("%{", i):
                return None  # a directive needs evaluation
            elif text.startswith("${", i):
                end = text.find("}", i + 2)
                inner = text[i + 2 : end].strip("~ \t") if end > 0 else ""
                value = self._reference(inner)
                if value is None:
                    return None
                out.append(value)
                i = end + 1
            else:
                out.append(char)
                i += 1
        return None  # no closing quote


def literal_strings(attrs: Mapping[str, Attribute]) -> dict[str, str]:
    """The attributes whose value is a plain string literal."""
    return {name: a.value for name, a in attrs.items() if isinstance(a.value, str)}


def module_scope(info: ModuleInfo, root: Path, overrides: Mapping[str, str | None] = {}) -> Scope:
    """The scope of module ``info`` for a run in ``root``: variables from literal defaults,
    then ``overrides`` (tfvars or a call's arguments; None: set, but not statically known),
    then its locals."""
    scope = Scope(path_module=os.path.relpath(info.folder, root), path_cwd=str(root))
    for variable in info.blocks("variable"):
        default = variable.literal("default")
        if variable.labels and isinstance(default, str):
            scope.variables[variable.labels[0]] = default
    for name, value in overrides.items():
        if value is None:
            scope.variables.pop(name, None)
        else:
            scope.variables[name] = value
    _resolve_locals(scope, [a for b in info.blocks("locals") for a in b.attributes.values()])
    return scope


def _resolve_locals(scope: Scope, attrs: Iterable[Attribute]) -> None:
    """Locals may use each other in any order: resolve until nothing more resolves."""
    pending = {a.name: a.text for a in attrs}
    while pending:
        resolved = {n: v for n, t in pending.items() if (v := scope.value(t)) is not None}
        if not resolved:
            return
        scope.locals.update(resolved)
        for name in resolved:
            del pending[name]
