"""Prepare a throw-away copy of an architecture that terraform can run against the emulator.

Nothing in the user's files is rewritten: everything lsqm needs is expressed as
Terraform *override files* (``*_override.tf``) written next to the originals:
- before init: backends become local; optionally, provider version constraints relaxed;
- after init (when the installed provider's schema is known): every ``provider "aws"`` block,
  aliased ones and those inside local modules included, points at the emulator.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

from lsqm.content import IGNORED_NAMES
from lsqm.errors import StoreError
from lsqm.terraform.hcl import ModuleInfo, local_module_dirs, parse_module
from lsqm.terraform.provider_schema import ProviderCapabilities

BACKEND_OVERRIDE = "lsqm_backend_override.tf"
RELAX_OVERRIDE = "lsqm_relax_override.tf"
PROVIDER_OVERRIDE = "lsqm_provider_override.tf"
PROVIDER_DEFAULT = "lsqm_provider.tf"

_SKIP_ARGS = {
    "skip_credentials_validation": "true",
    "skip_metadata_api_check": "true",
    "skip_requesting_account_id": "true",
    "skip_region_validation": "true",
    "skip_get_ec2_platforms": "true",
}
_PATH_STYLE_ARGS = ("s3_use_path_style", "s3_force_path_style")


@dataclass
class Workspace:
    """A prepared copy: ``root`` is the folder terraform runs in (the root module)."""

    base: Path
    root: Path
    modules: dict[Path, ModuleInfo]  # root module first, then local modules, all in the copy
    notes: list[str] = field(default_factory=list)

    @property
    def root_info(self) -> ModuleInfo:
        return self.modules[self.root]


def prepare(architecture_dir: Path, dest: Path, root: str = ".", *, relax: bool) -> Workspace:
    """Copy the architecture into ``dest`` and write the pre-init overrides."""

    def ignore(folder: str, names: list[str]) -> list[str]:
        # Symlinks are never followed out of the architecture: they are left out.
        skip = shutil.ignore_patterns(*IGNORED_NAMES, "*_override.tf.json")(folder, names)
        return [*skip, *(n for n in names if (Path(folder) / n).is_symlink())]

    shutil.copytree(architecture_dir, dest, ignore=ignore, dirs_exist_ok=True)
    base = dest.resolve()
    root_dir = (base / root).resolve()
    if not root_dir.is_relative_to(base) or not root_dir.is_dir():
        raise StoreError(f"architecture root {root!r} is not a folder inside the architecture")
    folders = [root_dir, *(d for d in local_module_dirs(root_dir) if d.is_relative_to(base))]
    ws = Workspace(base=base, root=root_dir, modules={d: parse_module(d) for d in folders})
    _write_backend_override(ws)
    if relax:
        _write_relax_overrides(ws)
    return ws


def _write_backend_override(ws: Workspace) -> None:
    backends = [b for t in ws.root_info.blocks("terraform") for b in t.children("backend")]
    clouds = [b for t in ws.root_info.blocks("terraform") for b in t.children("cloud")]
    if backends or clouds:
        kinds = ", ".join(b.labels[0] if b.labels else "cloud" for b in backends + clouds)
        (ws.root / BACKEND_OVERRIDE).write_text('terraform {\n  backend "local" {}\n}\n')
        ws.notes.append(f"backend {kinds} replaced by a local backend")


def _write_relax_overrides(ws: Workspace) -> None:
    for folder, info in ws.modules.items():
        if not info.blocks("terraform"):
            continue
        lines = ["terraform {"]
        if info.required_version:
            lines.append('  required_version = ">= 0.12"')
        aws = info.required_providers.get("aws")
        if aws is not None and "version" in aws:
            source = aws.get("source", "hashicorp/aws")
            lines += [
                "  required_providers {",
                f'    aws = {{\n      source  = "{source}"\n      version = ">= 0.1"\n    }}',
                "  }",
            ]
        if len(lines) == 1:
            continue
        (folder / RELAX_OVERRIDE).write_text("\n".join([*lines, "}", ""]))
        rel = folder.relative_to(ws.base) if folder != ws.root else Path(".")
        ws.notes.append(f"version constraints relaxed in {rel.as_posix()}")


def write_provider_overrides(
    ws: Workspace, caps: ProviderCapabilities, endpoint: str, region: str
) -> None:
    """Point every AWS provider configuration at ``endpoint`` (after init)."""
    for folder, info in ws.modules.items():
        blocks = [b for b in info.provider_blocks if b.labels and b.labels[0] == "aws"]
        aliases = [b.literal("alias") for b in blocks]
        texts = []
        for alias in aliases:
            if alias is not None and not isinstance(alias, str):
                continue
            texts.append(render_provider(caps, endpoint, region, alias=alias))
        if texts:
            (folder / PROVIDER_OVERRIDE).write_text("\n".join(texts))
        if folder == ws.root and None not in aliases:
            # Terraform refuses an override without a base block: declare the default one.
            (folder / PROVIDER_DEFAULT).write_text(render_provider(caps, endpoint, region))


def render_provider(
    caps: ProviderCapabilities, endpoint: str, region: str, alias: str | None = None
) -> str:
    """A ``provider "aws"`` block using only arguments the installed provider accepts."""
    lines = ['provider "aws" {']
    if alias:
        lines.append(f'  alias = "{alias}"')
    else:
        lines.append(f'  region = "{region}"')
    lines += ['  access_key = "test"', '  secret_key = "test"']
    lines += [f"  {k} = {v}" for k, v in _SKIP_ARGS.items() if k in caps.arguments]
    if "max_retries" in caps.arguments:
        lines.append("  max_retries = 3")  # a dead emulator must fail fast, not after minutes
    path_style = next((a for a in _PATH_STYLE_ARGS if a in caps.arguments), None)
    if path_style:
        lines.append(f"  {path_style} = true")
    lines.append("  endpoints {")
    lines += [f'    {name} = "{endpoint}"' for name in caps.endpoints]
    lines += ["  }", "}", ""]
    return "\n".join(lines)
