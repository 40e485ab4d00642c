"""The standalone filter: does a root-module folder deploy without outside help?

It reads parsed HCL (tree-sitter, :mod:`lsqm.terraform.hcl`), never greps, and never raises
on hostile input: a file that does not parse, is binary, is too big, or a path that leaves
the repository is a rejection with a reason. Every reason is collected, not just the first.

Paths: Terraform resolves a relative file path against the working directory (the root
module), ``${path.module}`` against the module's folder; both must stay inside ``root`` (the
repository), and local modules (``source = "../x"``) are followed and kept with the candidate.
Paths named through variables and locals are checked too when their values are static
(:mod:`lsqm.discovery.resolve`).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from lsqm.config import COMMUNITY_SERVICES, DEFAULT_PROVIDERS, DiscoverySettings
from lsqm.content import IGNORED_NAMES
from lsqm.discovery.interface import Code, Reason
from lsqm.discovery.resolve import Scope, literal_strings, module_scope
from lsqm.terraform.hcl import (
    Attribute,
    Block,
    ModuleInfo,
    ParsedFile,
    parse_attributes,
    parse_text,
)
from lsqm.terraform.inventory import Inventory, module_inventory, service_of

_FILE_FUNCS = re.compile(
    r"\b(file|templatefile|filebase64|filebase64sha256|filebase64sha512|filemd5|filesha1"
    r"|filesha256|filesha512)\s*\(\s*(\"(?:[^\"\\]|\\.)*\"|(?:var|local|path)\.[A-Za-z_][\w-]*)"
    r"(?=\s*[,)])"
)
# Arguments of a module call that are not input variables.
_MODULE_META = frozenset({"source", "version", "count", "for_each", "providers", "depends_on"})
_MAX_SCOPES = 8  # ways of calling one module that are checked, at most
_PATH_ATTRS = ("filename", "source_file", "source_dir")
_S3_OBJECTS = ("aws_s3_object", "aws_s3_bucket_object")
_EXEC_PROVISIONERS = ("local-exec", "remote-exec")
# Sub-folders that are not part of what deploys (kept anyway when a reference names them).
_SKIP_DIRS = frozenset({"tests", "test", "node_modules", "venv", ".venv", ".github", ".idea"})
_TFVARS = re.compile(r"^(terraform\.tfvars|.*\.auto\.tfvars)$")
# Bumped whenever the filter decides differently on the same files and policy (a new check,
# another service table), so that remembered rejections are decided again.
FILTER_VERSION = 3


@dataclass(frozen=True)
class Policy:
    """What the filter allows; built from :class:`~lsqm.config.DiscoverySettings`."""

    allowed_providers: frozenset[str] = frozenset(DEFAULT_PROVIDERS)
    supported_services: frozenset[str] | None = frozenset(COMMUNITY_SERVICES)  # None: any
    skip_unsupported_services: bool = False  # else services outside the list are information
    allow_exec: bool = False
    max_file_bytes: int = 5 * 1024 * 1024
    max_candidate_bytes: int = 50 * 1024 * 1024

    def fingerprint(self) -> str:
        """What a remembered decision depends on besides the files: this policy and the
        filter's version."""
        fields = {k: sorted(v) if isinstance(v, frozenset) else v for k, v in vars(self).items()}
        text = json.dumps({"filter_version": FILTER_VERSION, **fields}, sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    @classmethod
    def from_settings(cls, s: DiscoverySettings) -> Policy:
        return cls(
            allowed_providers=frozenset(s.allowed_providers),
            supported_services=frozenset(s.supported_services),
            skip_unsupported_services=s.skip_unsupported_services,
            allow_exec=s.allow_exec,
            max_file_bytes=s.max_file_bytes,
            max_candidate_bytes=s.max_candidate_bytes,
        )


@dataclass
class Decision:
    """The verdict on one candidate folder, with what it contains."""

    folder: Path
    root: Path
    reasons: list[Reason] = field(default_factory=list)
    inventory: Inventory = field(default_factory=Inventory)
    module_dirs: list[Path] = field(default_factory=list)  # local modules followed
    files: dict[Path, Path] = field(default_factory=dict)  # path as laid out -> real file
    tf_files: int = 0
    # services outside the emulator's list -> the types using them; kept unless the policy
    # skips them, since these are the gaps validate measures
    unsupported: dict[str, list[str]] = field(default_factory=dict)

    @property
    def accepted(self) -> bool:
        return not self.reasons

    def reject(self, code: Code, detail: str) -> None:
        reason = Reason(code, detail)
        if reason not in self.reasons:
            self.reasons.append(reason)

    def rel(self, path: Path) -> str:
        """``path`` relative to the repository root, for messages and the store."""
        try:
            return path.relative_to(self.root).as_posix() or "."
        except ValueError:
            return str(path)

    def to_json(self) -> dict[str, object]:
        """The ``mine --explain --format json`` document."""
        return {
            "accepted": self.accepted,
            "reasons": [r.to_json() for r in self.reasons],
            "path": str(self.folder),
            "services": self.inventory.services,
            "unsupported_services": self.unsupported,
            "resource_types": self.inventory.resource_types,
            "providers": self.inventory.providers,
            "local_modules": [self.rel(m) for m in self.module_dirs],
            "tf_files": self.tf_files,
        }


def evaluate(folder: Path, root: Path | None = None, policy: Policy | None = None) -> Decision:
    """Decide whether ``folder`` (inside repository ``root``) is a self-contained architecture."""
    policy = policy or Policy()
    root = Path(os.path.abspath(root or folder))
    folder = Path(os.path.abspath(folder))
    decision = Decision(folder=folder, root=root)
    if not _inside(folder, root) or not _inside(Path(os.path.realpath(folder)), _real(root)):
        decision.reject(Code.PATH_ESCAPE, f"{folder} is outside the repository {root}")
        return decision
    checker = _Checker(decision, policy)
    modules = checker.load_modules()
    decision.inventory = module_inventory(modules)
    if decision.inventory.aws_resource_count == 0 and not any(
        r.code in (Code.PARSE_ERROR, Code.BINARY_FILE, Code.TOO_LARGE) for r in decision.reasons
    ):
        decision.reject(Code.NO_AWS_RESOURCES, "no resource of an aws_* type is declared")
    checker.check_blocks(modules)
    checker.check_policy(decision.inventory, modules)
    return decision


def _real(path: Path) -> Path:
    return Path(os.path.realpath(path))


def _inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


class _Checker:
    """One evaluation's working state (kept off :class:`Decision`, which is the result)."""

    def __init__(self, decision: Decision, policy: Policy) -> None:
        self.d = decision
        self.policy = policy
        self.real_root = _real(decision.root)
        self.total_bytes = 0
        self.parsed: dict[Path, ModuleInfo] = {}
        self.calls: dict[Path, list[tuple[Block, Path]]] = {}  # module dir -> (call, caller dir)

    # -- files and modules ---------------------------------------------------------------
    def load_modules(self) -> list[ModuleInfo]:
        """Parse the root module and every local module it reaches (breadth first)."""
        queue = [self.d.folder]
        while queue:
            folder = queue.pop(0)
            info = self._load(folder)
            self.parsed[folder] = info
            for call in info.module_calls:
                target = self._module_target(call, folder)
                if target is None:
                    continue
                self.calls.setdefault(target, []).append((call, folder))
                if target not in self.parsed and target not in queue:
                    queue.append(target)
                    self.d.module_dirs.append(target)
        return list(self.parsed.values())

    def _module_target(self, call: Block, folder: Path) -> Path | None:
        name = call.labels[0] if call.labels else "?"
        where = f"{self.d.rel(folder)}/{Path(call.file).name}:{call.line}"
        source = call.literal("source")
        if not isinstance(source, str):
            self.d.reject(Code.REMOTE_MODULE, f'{where} module "{name}" has no literal source')
            return None
        if not source.startswith(("./", "../")):
            self.d.reject(Code.REMOTE_MODULE, f'{where} module "{name}" comes from {source}')
            return None
        target = Path(os.path.normpath(folder / source))
        if not _inside(target, self.d.root) or not _inside(_real(target), self.real_root):
            self.d.reject(
                Code.PATH_ESCAPE, f'{where} module "{name}" source {source} leaves the repository'
            )
            return None
        if not target.is_dir():
            self.d.reject(Code.MISSING_FILE, f'{where} module "{name}" folder {source} is missing')
            return None
        return target

    def _load(self, folder: Path) -> ModuleInfo:
        """Collect a module folder's files (data sub-folders too) and parse its ``.tf`` files."""
        files: list[ParsedFile] = []
        for logical, real, size in self._walk(folder, top=True):
            self.d.files[logical] = real
            if logical.parent != folder or logical.suffix != ".tf":
                continue
            self.d.tf_files += 1
            parsed = self._parse(real, self.d.rel(logical), size)
            if parsed is not None:
                files.append(parsed)
        return ModuleInfo(folder=folder, files=files)

    def _walk(self, folder: Path, top: bool) -> Iterable[tuple[Path, Path, int]]:
        """Files of a module folder and of its sub-folders that hold no ``.tf`` (data)."""
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as exc:
            self.d.reject(Code.MISSING_FILE, f"{self.d.rel(folder)} cannot be read: {exc}")
            return
        for entry in entries:
            if entry.name in IGNORED_NAMES:
                continue
            logical = Path(entry.path)
            if entry.is_symlink():
                real = _real(logical)
                if not _inside(real, self.real_root):
                    target = os.readlink(entry.path)
                    self.d.reject(
                        Code.PATH_ESCAPE,
                        f"{self.d.rel(logical)} is a symlink to {target}, outside the repository",
                    )
                    continue
                if not real.is_file():
                    continue  # in-repo folder links are not followed (no cycles)
                size = real.stat().st_size
            elif entry.is_dir(follow_symlinks=False):
                if _holds_tf(logical) or entry.name in _SKIP_DIRS:
                    continue  # a module or another root (kept when called), tests, tooling
                yield from self._walk(logical, top=False)
                continue
            elif entry.is_file(follow_symlinks=False):
                real = logical
                size = entry.stat(follow_symlinks=False).st_size
            else:
                continue  # sockets, fifos, devices: never content
            if size > self.policy.max_file_bytes:
                self.d.reject(
                    Code.TOO_LARGE,
                    f"{self.d.rel(logical)} is {size} bytes (limit {self.policy.max_file_bytes})",
                )
                continue
            self.total_bytes += size
            if self.total_bytes > self.policy.max_candidate_bytes:
                self.d.reject(
                    Code.TOO_LARGE,
                    f"the folder holds more than {self.policy.max_candidate_bytes} bytes",
                )
                return
            yield logical, real, size

    def _parse(self, path: Path, display: str, size: int) -> ParsedFile | None:
        raw = path.read_bytes()
        if b"\0" in raw[:8192]:
            self.d.reject(Code.BINARY_FILE, f"{display} is binary, not HCL text")
            return None
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            self.d.reject(Code.BINARY_FILE, f"{display} is not UTF-8 text ({exc.reason})")
            return None
        parsed = parse_text(text, display)
        for issue in parsed.issues:
            self.d.reject(Code.PARSE_ERROR, f"{issue.file}:{issue.line}: {issue.detail}")
        return parsed if not parsed.issues else None

    # -- checks on blocks ----------------------------------------------------------------
    def check_blocks(self, modules: list[ModuleInfo]) -> None:
        tfvars = self._tfvars()
        scopes = self._scopes(tfvars)
        produced = self._produced_files(modules, scopes)
        for info in modules:
            is_root = info.folder == self.d.folder
            self._check_variables(info, set(tfvars) if is_root else None)
            for block in _all_blocks(info):
                self._check_block(block, info.folder)
            for scope in scopes[info.folder]:
                for block in _all_blocks(info):
                    for attr in block.attributes.values():
                        self._check_file_refs(block, attr, info.folder, scope, produced)
        for terraform in self.parsed[self.d.folder].blocks("terraform"):
            for backend in terraform.children("backend"):
                kind = backend.labels[0] if backend.labels else "?"
                if kind != "local":
                    self.d.reject(
                        Code.REMOTE_BACKEND,
                        f'{self._where(backend)} backend "{kind}" keeps state outside',
                    )

    def _tfvars(self) -> dict[str, str | None]:
        """Values the root module's variable files set, in Terraform's order (terraform.tfvars,
        then *.auto.tfvars by name; later wins); None where not a string literal."""
        values: dict[str, str | None] = {}
        files = [p for p in self.d.files if p.parent == self.d.folder and _TFVARS.match(p.name)]
        for logical in sorted(files, key=lambda p: (p.name != "terraform.tfvars", p.name)):
            text = self.d.files[logical].read_bytes().decode("utf-8", errors="replace")
            attrs, issues = parse_attributes(text, self.d.rel(logical))
            for issue in issues:
                self.d.reject(Code.PARSE_ERROR, f"{issue.file}:{issue.line}: {issue.detail}")
            literals = literal_strings(attrs)
            values.update({name: literals.get(name) for name in attrs})
        return values

    def _scopes(self, tfvars: dict[str, str | None]) -> dict[Path, list[Scope]]:
        """The scopes each module is checked in: the root module's, and one per way a module
        is called (its arguments resolved in the caller's scope)."""
        scopes: dict[Path, list[Scope]] = {}

        def of(folder: Path) -> list[Scope]:
            if folder in scopes:
                return scopes[folder]
            scopes[folder] = []  # a module calling itself back stops here
            info = self.parsed[folder]
            if folder == self.d.folder:
                found = [module_scope(info, self.d.folder, tfvars)]
            else:
                found = []
                for call, caller in self.calls.get(folder, []):
                    for outer in of(caller):
                        args = {
                            name: outer.value(attr.text)
                            for name, attr in call.attributes.items()
                            if name not in _MODULE_META
                        }
                        scope = module_scope(info, self.d.folder, args)
                        if scope not in found:
                            found.append(scope)
            scopes[folder] = found[:_MAX_SCOPES] or [module_scope(info, self.d.folder)]
            return scopes[folder]

        for folder in self.parsed:
            of(folder)
        return scopes

    def _check_variables(self, info: ModuleInfo, tfvars: set[str] | None) -> None:
        for var in info.blocks("variable"):
            if not var.labels or "default" in var.attributes:
                continue
            name = var.labels[0]
            if tfvars is not None:
                if name not in tfvars:
                    self.d.reject(
                        Code.REQUIRED_VARIABLE,
                        f'{self._where(var)} variable "{name}" has no default and no tfvars value',
                    )
                continue
            for call, caller in self.calls.get(info.folder, []):
                if name not in call.attributes:
                    self.d.reject(
                        Code.REQUIRED_VARIABLE,
                        f'{self._where(call)} module "{call.labels[0] if call.labels else "?"}" '
                        f'does not set required variable "{name}" of {self.d.rel(info.folder)}'
                        + (
                            ""
                            if caller == self.d.folder
                            else f" (called from {self.d.rel(caller)})"
                        ),
                    )

    def _check_block(self, block: Block, module_dir: Path) -> None:
        kind = block.labels[0] if block.labels else ""
        if block.type == "data" and kind == "terraform_remote_state":
            self.d.reject(Code.REMOTE_STATE, f"{self._where(block)} reads terraform_remote_state")
        if self.policy.allow_exec:
            return
        if block.type == "provisioner" and kind in _EXEC_PROVISIONERS:
            self.d.reject(Code.EXEC_NOT_ALLOWED, f'{self._where(block)} provisioner "{kind}"')
        if block.type in ("data", "resource") and kind == "external":
            self.d.reject(Code.EXEC_NOT_ALLOWED, f'{self._where(block)} {block.type} "external"')

    def _check_file_refs(
        self, block: Block, attr: Attribute, module_dir: Path, scope: Scope, produced: set[Path]
    ) -> None:
        refs: list[str] = []
        owner = block.labels[0] if block.labels else ""
        reads_path = attr.name in _PATH_ATTRS and not _is_output(block, attr.name)
        s3_source = attr.name == "source" and block.type == "resource" and owner in _S3_OBJECTS
        if reads_path or s3_source:
            refs.append(attr.text)
        refs.extend(m.group(2) for m in _FILE_FUNCS.finditer(attr.text))
        for ref in refs:
            value = scope.value(ref)
            if not value:
                continue  # not static: left to terraform
            path = Path(os.path.normpath(self.d.folder / value))
            shown = ref.strip().strip('"')
            if "var." in ref or "local." in ref:
                shown += f" (= {value})"
            where = f"{self.d.rel(module_dir)}/{Path(block.file).name}:{attr.line}"
            if not _inside(path, self.d.root):
                self.d.reject(Code.PATH_ESCAPE, f"{where} {attr.name} reads {shown} outside")
                continue
            if path in produced:
                continue
            if not os.path.lexists(path):
                self.d.reject(Code.MISSING_FILE, f"{where} {attr.name} needs {shown}")
                continue
            if not _inside(_real(path), self.real_root):
                self.d.reject(Code.PATH_ESCAPE, f"{where} {attr.name} links {shown} outside")
                continue
            self._include(path)

    def _include(self, path: Path) -> None:
        """Keep a referenced file or folder with the candidate even where walks skip it."""
        items = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
        for item in items:
            if item not in self.d.files and _inside(_real(item), self.real_root):
                self.d.files[item] = _real(item)

    def _produced_files(
        self, modules: list[ModuleInfo], scopes: dict[Path, list[Scope]]
    ) -> set[Path]:
        """Files Terraform itself writes (archive_file output_path, local_file filename)."""
        out: set[Path] = set()
        for info in modules:
            for block in _all_blocks(info):
                for name in ("output_path", "filename"):
                    attr = block.attributes.get(name)
                    if attr is None or not (name == "output_path" or _is_output(block, name)):
                        continue
                    for scope in scopes[info.folder]:
                        value = scope.value(attr.text)
                        if value:
                            out.add(Path(os.path.normpath(self.d.folder / value)))
        return out

    # -- policy ------------------------------------------------------------------------
    def check_policy(self, inv: Inventory, modules: list[ModuleInfo]) -> None:
        users: dict[str, list[str]] = {}
        for type_name in inv.resource_types + inv.data_types:
            users.setdefault(type_name.split("_", 1)[0], []).append(type_name)
        for provider in inv.providers:
            if provider not in self.policy.allowed_providers:
                used = ", ".join(users.get(provider, [])[:5]) or "declared"
                self.d.reject(
                    Code.PROVIDER_NOT_ALLOWED, f"provider {provider} ({used}) is not allowed"
                )
        if self.policy.supported_services is None:
            return
        for type_name in inv.resource_types + inv.data_types:
            service = service_of(type_name)
            if service and service not in self.policy.supported_services:
                self.d.unsupported.setdefault(service, []).append(type_name)
        self.d.unsupported = dict(sorted(self.d.unsupported.items()))
        if not self.policy.skip_unsupported_services:
            return
        for service, types in self.d.unsupported.items():
            self.d.reject(
                Code.SERVICE_NOT_SUPPORTED,
                f"{service} ({', '.join(types[:4])}) is not offered by the target emulator",
            )

    def _where(self, block: Block) -> str:
        return f"{block.file}:{block.line}"


def _is_output(block: Block, attr: str) -> bool:
    """``filename`` names a file Terraform writes in the local_file resource; the local_file
    data source reads it."""
    kind = block.labels[0] if block.labels else ""
    writes = block.type == "resource" and kind in ("local_file", "local_sensitive_file")
    return attr == "filename" and writes


def _all_blocks(info: ModuleInfo) -> Iterable[Block]:
    stack = [b for f in info.files for b in f.blocks]
    while stack:
        block = stack.pop()
        yield block
        for child in block.blocks:
            child.file = child.file or block.file
            stack.append(child)


def _holds_tf(folder: Path) -> bool:
    try:
        return any(
            e.name.endswith(".tf") and e.is_file(follow_symlinks=False) for e in os.scandir(folder)
        )
    except OSError:
        return False
