"""A Terraform root module as removable pieces, cut over tree-sitter's HCL tree.

Text reducers cut lines and leave a configuration Terraform rejects; here a configuration is
a list of :class:`Unit` (a resource, data source, module call, variable, output, one local)
with the addresses it declares and references, each with its removable children (nested
blocks, arguments). Removing a unit removes what references it (:meth:`Config.without`),
so every candidate still resolves all its references (:meth:`Config.problems`).
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

import tree_sitter

from lsqm.terraform.hcl import parse_text, syntax_tree

# Blocks every candidate keeps: they say where and with what to deploy.
FIXED = frozenset({"terraform", "provider"})
# A module call's arguments that make it a module call.
_MODULE_REQUIRED = frozenset({"source", "version"})
# A module call's local source (``source = "./modules/x"``): a folder of the architecture.
_LOCAL_SOURCE = re.compile(r'^\s*source\s*=\s*"(\.{1,2}/[^"]*)"', re.M)
# Dotted names (``aws_sqs_queue.q.arn``, ``var.x``, ``data.aws_iam_policy_document.p``).
_CHAIN = re.compile(r"(?<![\w.-])([A-Za-z_][\w-]*(?:\.[A-Za-z_][\w-]*)+)")


@dataclass(frozen=True)
class Child:
    """An argument or nested block inside a unit, removable on its own."""

    key: str  # "<unit address>/<index>"
    kind: str  # "argument" or "block"
    name: str
    start: int  # byte offsets in the unit's text
    end: int


@dataclass(frozen=True)
class Unit:
    """One top-level piece of the configuration and its source text."""

    address: str  # aws_sqs_queue.q, data.x.y, module.m, var.v, local.l, output.o, provider.aws
    kind: str  # resource, data, module, variable, local, output, or a fixed block type
    text: str
    children: tuple[Child, ...] = ()

    @property
    def fixed(self) -> bool:
        return self.kind in FIXED


@dataclass(frozen=True)
class Config:
    """A root module's units, in source order. Immutable: every edit returns a new one."""

    units: tuple[Unit, ...]
    issues: tuple[str, ...] = field(default=())

    # -- reading -----------------------------------------------------------------------
    @classmethod
    def parse(cls, texts: Iterable[str]) -> Config:
        """The units of several ``.tf`` files' texts (one root module), in file order."""
        units: list[Unit] = []
        issues: list[str] = []
        for text in texts:
            parsed = parse_text(text)
            issues += [f"line {i.line}: {i.detail}" for i in parsed.issues]
            units += _units(text)
        return cls(tuple(units), tuple(issues))

    def render(self) -> str:
        """One ``main.tf``: fixed blocks first, locals gathered into one block."""
        fixed = [u.text for u in self.units if u.fixed]
        local_lines = [u.text for u in self.units if u.kind == "local"]
        rest = [u.text for u in self.units if not u.fixed and u.kind != "local"]
        parts = fixed[:]
        if local_lines:
            parts.append("locals {\n" + "".join(f"  {line}\n" for line in local_lines) + "}")
        parts += rest
        return "\n\n".join(parts) + "\n"

    @property
    def addresses(self) -> list[str]:
        return [u.address for u in self.units]

    def unit(self, address: str) -> Unit:
        return next(u for u in self.units if u.address == address)

    def resources(self) -> list[str]:
        """Addresses of managed resources, data sources and module calls."""
        return [u.address for u in self.units if u.kind in ("resource", "data", "module")]

    def references(self, unit: Unit) -> set[str]:
        """Addresses of this configuration that ``unit``'s text refers to."""
        declared = {u.address for u in self.units if not u.fixed}
        found: set[str] = set()
        for chain in _CHAIN.findall(unit.text):
            parts = chain.split(".")
            for size in (3, 2):
                candidate = ".".join(parts[:size])
                if candidate in declared and candidate != unit.address:
                    found.add(candidate)
                    break
        return found

    def local_modules(self) -> dict[str, list[str]]:
        """Local module folders this configuration calls (normalised path relative to it,
        ``modules/x``) and the names of the calls (``module.<name>``) to each."""
        found: dict[str, list[str]] = {}
        for unit in self.units:
            match = _LOCAL_SOURCE.search(unit.text) if unit.kind == "module" else None
            if match:
                path = posixpath.normpath(match.group(1))
                found.setdefault(path, []).append(unit.address.split(".", 1)[1])
        return found

    def outputs_read(self, calls: Iterable[str]) -> set[str]:
        """Names of the outputs of module calls ``calls`` that this configuration reads
        (``module.<call>.<output>``)."""
        names = "|".join(re.escape(c) for c in calls)
        if not names:
            return set()
        pattern = re.compile(rf"(?<![\w.-])module\.(?:{names})(?:\[[^\]]*\])?\.([A-Za-z_][\w-]*)")
        return {m for u in self.units for m in pattern.findall(u.text)}

    def problems(self) -> list[str]:
        """Why Terraform would reject this configuration before deploying (empty: it would
        not, as far as syntax and references go)."""
        found = list(self.issues)
        for unit in self.units:
            text = unit.text if unit.kind != "local" else f"locals {{\n{unit.text}\n}}"
            if parse_text(text).issues:
                found.append(f"{unit.address}: does not parse")
        return found

    # -- editing -----------------------------------------------------------------------
    def without(self, addresses: Iterable[str]) -> Config | None:
        """This configuration minus ``addresses`` and everything that references them
        (transitively); None when a fixed block (provider, terraform) would lose a reference."""
        gone = set(addresses)
        changed = True
        while changed:
            changed = False
            for unit in self.units:
                if unit.address in gone:
                    continue
                if self.references(unit) & gone:
                    if unit.fixed:
                        return None
                    gone.add(unit.address)
                    changed = True
        return Config(tuple(u for u in self.units if u.address not in gone), self.issues)

    def closure(self, addresses: Iterable[str]) -> set[str]:
        """``addresses`` and everything they reference, transitively (what they need)."""
        need = set(addresses)
        queue = list(need)
        while queue:
            unit = self.unit(queue.pop())
            for ref in self.references(unit) - need:
                need.add(ref)
                queue.append(ref)
        return need

    def child_keys(self) -> list[str]:
        return [c.key for u in self.units for c in u.children]

    def without_children(self, keys: Iterable[str]) -> Config:
        """Remove nested blocks and arguments by key (``Child.key``)."""
        drop = set(keys)
        units = []
        for unit in self.units:
            cut = [c for c in unit.children if c.key in drop]
            if not cut:
                units.append(unit)
                continue
            text = unit.text
            for child in sorted(cut, key=lambda c: c.start, reverse=True):
                end = child.end
                while end < len(text) and text[end] in " \t":
                    end += 1
                if end < len(text) and text[end] == "\n":
                    end += 1
                start = child.start
                while start > 0 and text[start - 1] in " \t":
                    start -= 1
                text = text[:start] + text[end:]
            units.append(_reparse(unit, text))
        return Config(tuple(units), self.issues)

    def inlined(self) -> Config:
        """Locals and variables with a default replaced by their value where used, so they
        can go; a local that refers to itself through others is left alone."""
        current = self
        for _ in range(20):  # locals refer to locals: a few passes reach the fixed point
            values: dict[str, str] = {}
            for u in current.units:
                value = _value_of(u) if u.kind in ("local", "variable") else None
                if value is not None:
                    values[u.address] = _wrapped(value)
            units = []
            changed = False
            for unit in current.units:
                text = unit.text
                for address, value in values.items():
                    if address == unit.address or unit.kind == "variable":
                        continue
                    pattern = rf"(?<![\w.-]){re.escape(address)}(?![\w-])"
                    new = re.sub(pattern, lambda _m, v=value: v, text)  # type: ignore[misc]
                    changed |= new != text
                    text = new
                units.append(unit if text == unit.text else _reparse(unit, text))
            current = Config(tuple(units), current.issues)
            if not changed:
                break
        used: set[str] = set()
        for unit in current.units:
            used |= current.references(unit)
        keep = [
            u
            for u in current.units
            if u.kind not in ("local", "variable") or u.address in used or _value_of(u) is None
        ]
        return Config(tuple(keep), current.issues)


_PLAIN = re.compile(r'"[^"$%\\]*"|-?\d+(\.\d+)?|true|false|null|[\[{].*[\]}]', re.S)


def _wrapped(value: str) -> str:
    """A value ready to stand where a reference stood (parenthesised unless plain)."""
    return value if _PLAIN.fullmatch(value.strip()) else f"({value})"


def _value_of(unit: Unit) -> str | None:
    """A local's expression, a variable's default (None: no default to inline)."""
    if unit.kind == "local":
        return unit.text.split("=", 1)[1].strip()
    if unit.kind == "variable":
        tree = syntax_tree(unit.text)
        for block in _children_of_type(tree.root_node, "block"):
            for attr in _body_items(block, "attribute"):
                if _name(attr) == "default":
                    expr = next(c for c in attr.children if c.type == "expression")
                    return _text(expr, unit.text.encode())
    return None


def _text(node: tree_sitter.Node, data: bytes) -> str:
    return data[node.start_byte : node.end_byte].decode("utf-8", errors="replace")


def _name(node: tree_sitter.Node) -> str:
    first = node.child(0)
    return first.text.decode() if first is not None and first.text is not None else ""


def _children_of_type(root: tree_sitter.Node, kind: str) -> list[tree_sitter.Node]:
    body = next((c for c in root.children if c.type == "body"), None)
    return [c for c in body.children if c.type == kind] if body is not None else []


def _body_items(block: tree_sitter.Node, kind: str | None = None) -> list[tree_sitter.Node]:
    body = next((c for c in block.children if c.type == "body"), None)
    if body is None:
        return []
    return [c for c in body.children if kind is None or c.type == kind]


def _labels(block: tree_sitter.Node, data: bytes) -> list[str]:
    labels = []
    for child in block.children[1:]:
        if child.type == "string_lit":
            labels.append(_text(child, data).strip('"'))
        elif child.type == "identifier":
            labels.append(_text(child, data))
    return labels


def _units(text: str) -> list[Unit]:
    data = text.encode("utf-8")
    tree = syntax_tree(text)
    units: list[Unit] = []
    for block in _children_of_type(tree.root_node, "block"):
        kind = _text(block.children[0], data)
        labels = _labels(block, data)
        source = _text(block, data)
        if kind == "locals":
            for attr in _body_items(block, "attribute"):
                units.append(Unit(f"local.{_name(attr)}", "local", _text(attr, data)))
            continue
        address = {
            "resource": ".".join(labels[:2]),
            "data": "data." + ".".join(labels[:2]),
            "module": "module." + ".".join(labels[:1]),
            "variable": "var." + ".".join(labels[:1]),
            "output": "output." + ".".join(labels[:1]),
        }.get(kind, ".".join([kind, *labels]))
        if kind in FIXED:
            address = f"{address}#{len(units)}"  # two provider "aws" blocks (aliases)
        units.append(_reparse(Unit(address, kind, source), source))
    return units


def _reparse(unit: Unit, text: str) -> Unit:
    """The unit with new text and the children found in it (resources, data, modules)."""
    if unit.kind not in ("resource", "data", "module"):
        return Unit(unit.address, unit.kind, text)
    data = text.encode("utf-8")
    tree = syntax_tree(text)
    blocks = _children_of_type(tree.root_node, "block")
    children: list[Child] = []
    seen: dict[str, int] = {}
    for item in _body_items(blocks[0]) if blocks else []:
        if item.type not in ("attribute", "block"):
            continue
        name = _name(item)
        index = seen.get(name, 0)
        seen[name] = index + 1
        if unit.kind == "module" and name in _MODULE_REQUIRED:
            continue
        start = len(data[: item.start_byte].decode("utf-8", errors="replace"))
        end = len(data[: item.end_byte].decode("utf-8", errors="replace"))
        kind = "argument" if item.type == "attribute" else "block"
        children.append(Child(f"{unit.address}/{name}#{index}", kind, name, start, end))
    return Unit(unit.address, unit.kind, text, tuple(children))
