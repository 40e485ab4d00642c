"""Unpacking downloaded tarballs and zips without trusting their entry names.

Every entry is checked before anything is written: an absolute name, a ``..`` part, a link
that points out of the folder, a device or fifo, or more bytes than allowed refuses the whole
archive (:class:`UnsafeArchive`), because one hostile entry says the rest is not to be trusted.

Entries are then written by this module, not by ``TarFile.extractall``: its ``filter=``
argument exists only from Python 3.11.4, and lsqm runs on any 3.11. Each write lands inside
the folder once links are resolved (a link may not make another entry or link escape),
files get plain modes (no set-uid, no owner from the archive), and hard links become copies.
A refusal part-way removes what was written.
"""

from __future__ import annotations

import os
import shutil
import stat
import tarfile
import tempfile
import zipfile
from pathlib import Path, PurePosixPath

from lsqm.errors import UnsafeArchive


def _check_name(name: str) -> PurePosixPath:
    path = PurePosixPath(name.replace("\\", "/"))
    if path.is_absolute() or name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):
        raise UnsafeArchive(f"archive entry {name!r} has an absolute path")
    if ".." in path.parts:
        raise UnsafeArchive(f"archive entry {name!r} leaves the folder (..)")
    return path


def _check_link(name: PurePosixPath, target: str, hard: bool) -> None:
    if target.startswith("/") or PurePosixPath(target).is_absolute():
        raise UnsafeArchive(f"archive link {name} points to absolute path {target}")
    base = PurePosixPath() if hard else name.parent
    depth = len(base.parts)
    for part in PurePosixPath(target).parts:
        depth += -1 if part == ".." else (0 if part == "." else 1)
        if depth < 0:
            raise UnsafeArchive(f"archive link {name} points outside the folder ({target})")


def extract(archive: Path, dest: Path, max_bytes: int) -> Path:
    """Unpack a .tar(.gz) or .zip into ``dest``; return the content root (the single top
    folder GitHub and most archives wrap everything in, else ``dest``)."""
    if tarfile.is_tarfile(archive):
        _extract_tar(archive, dest, max_bytes)
    elif zipfile.is_zipfile(archive):
        _extract_zip(archive, dest, max_bytes)
    else:
        raise UnsafeArchive(f"{archive.name} is neither a tar nor a zip archive")
    children = [p for p in dest.iterdir() if p.name != "pax_global_header"]
    if len(children) == 1 and children[0].is_dir() and not children[0].is_symlink():
        return children[0]
    return dest


def _extract_tar(archive: Path, dest: Path, max_bytes: int) -> None:
    try:
        with tarfile.open(archive) as tar:
            members = [m for m in tar.getmembers() if m.type != tarfile.XGLTYPE]
            total = 0
            for m in members:
                name = _check_name(m.name)
                if m.isdev() or m.isfifo() or m.ischr() or m.isblk():
                    raise UnsafeArchive(f"archive entry {m.name!r} is a device or fifo")
                if m.issym() or m.islnk():
                    _check_link(name, m.linkname, hard=m.islnk())
                total += max(m.size, 0)
                if total > max_bytes:
                    raise UnsafeArchive(f"archive unpacks to more than {max_bytes} bytes")
            before = set(dest.iterdir())
            try:
                _TarWriter(tar, dest, max_bytes).write_all(members)
            except BaseException:
                for path in set(dest.iterdir()) - before:
                    _remove(path)
                raise
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise UnsafeArchive(f"archive {archive.name} cannot be unpacked: {exc}") from None


class _TarWriter:
    """Writes checked tar members under ``dest``, resolving links before every write."""

    def __init__(self, tar: tarfile.TarFile, dest: Path, max_bytes: int) -> None:
        self.tar, self.root, self.max_bytes = tar, dest.resolve(), max_bytes
        self.written = 0
        self.links: list[Path] = []

    def write_all(self, members: list[tarfile.TarInfo]) -> None:
        for member in members:
            self._write(member)
        # A link checked when written may point through a link written after it: check again.
        for link in self.links:
            self._inside(str(link.relative_to(self.root)), Path(os.path.realpath(link)))

    def _inside(self, name: str, resolved: Path) -> None:
        if resolved != self.root and self.root not in resolved.parents:
            raise UnsafeArchive(f"archive entry {name!r} leads outside the folder")

    def _target(self, member: tarfile.TarInfo) -> Path:
        target = self.root.joinpath(*_check_name(member.name).parts)
        if target == self.root:
            return target
        target.parent.mkdir(parents=True, exist_ok=True)
        self._inside(member.name, target.parent.resolve())
        if target.is_symlink() or (target.exists() and not target.is_dir()):
            target.unlink()  # a later entry replaces an earlier one, never writes through it
        return target

    def _count(self, size: int) -> None:
        self.written += size
        if self.written > self.max_bytes:
            raise UnsafeArchive(f"archive unpacks to more than {self.max_bytes} bytes")

    def _write(self, member: tarfile.TarInfo) -> None:
        target = self._target(member)
        if member.isdir():
            target.mkdir(exist_ok=True)
            self._inside(member.name, target.resolve())
        elif member.issym():
            self._inside(member.name, Path(os.path.realpath(target.parent / member.linkname)))
            target.symlink_to(member.linkname)
            self.links.append(target)
        elif member.islnk():
            source = self.root.joinpath(*_check_name(member.linkname).parts).resolve()
            self._inside(member.name, source)
            if not source.is_file():
                raise UnsafeArchive(f"archive link {member.name!r} names no file before it")
            self._count(source.stat().st_size)
            shutil.copyfile(source, target)
        elif member.isreg():
            self._count(member.size)
            extracted = self.tar.extractfile(member)
            assert extracted is not None  # a regular member always has data
            with extracted, open(target, "xb") as out:
                shutil.copyfileobj(extracted, out)
            target.chmod(0o755 if member.mode & stat.S_IXUSR else 0o644)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def _extract_zip(archive: Path, dest: Path, max_bytes: int) -> None:
    try:
        with zipfile.ZipFile(archive) as zf:
            infos = zf.infolist()
            total = 0
            for info in infos:
                _check_name(info.filename)
                mode = info.external_attr >> 16
                if stat.S_ISLNK(mode):
                    raise UnsafeArchive(f"zip entry {info.filename!r} is a symlink")
                total += info.file_size
                if total > max_bytes:
                    raise UnsafeArchive(f"archive unpacks to more than {max_bytes} bytes")
            for info in infos:
                target = dest / info.filename
                if info.is_dir():
                    target.mkdir(parents=True, exist_ok=True)
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                with zf.open(info) as src, open(target, "wb") as out:
                    shutil.copyfileobj(src, out)
    except (zipfile.BadZipFile, OSError) as exc:
        raise UnsafeArchive(f"archive {archive.name} cannot be unpacked: {exc}") from None


def extract_to_cache(archive: Path, cache_dir: Path, max_bytes: int) -> Path:
    """Unpack into ``cache_dir`` atomically (a half-unpacked folder is never reused)."""
    done = cache_dir / "tree"
    if done.is_dir():
        return _content_root(done)
    cache_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=cache_dir, prefix=".unpack-"))
    try:
        extract(archive, staging, max_bytes)
        os.replace(staging, done)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return _content_root(done)


def _content_root(folder: Path) -> Path:
    children = [p for p in folder.iterdir() if p.name != "pax_global_header"]
    if len(children) == 1 and children[0].is_dir() and not children[0].is_symlink():
        return children[0]
    return folder
