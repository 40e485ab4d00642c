"""Archives unpacked by lsqm's own writer (no ``extractall(filter=...)``, which Python 3.11.0-3
lack): crafted tarballs and zips that try to escape through link chains, write through links,
carry fifos or devices, set-uid modes or foreign owners, or grow past the cap through hard
links. Each is refused with nothing left behind, or written plainly inside the folder."""

from __future__ import annotations

import io
import os
import stat
import tarfile
import tempfile
import zipfile
from pathlib import Path

import pytest

from lsqm.discovery.archive import extract
from lsqm.errors import UnsafeArchive


def _info(
    name: str, kind: bytes = tarfile.REGTYPE, link: str = "", data: bytes = b"x"
) -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, link
    if kind == tarfile.REGTYPE:
        info.size = len(data)
    return info, data


def _tar(path: Path, *entries: tuple[tarfile.TarInfo, bytes]) -> Path:
    with tarfile.open(path, mode="w:gz") as tar:
        for info, data in entries:
            tar.addfile(info, io.BytesIO(data) if info.isreg() else None)
    return path


def _unpack_refused(tmp_path: Path, archive: Path, max_bytes: int = 1_000_000) -> Path:
    dest = Path(tempfile.mkdtemp(dir=tmp_path)) / "out"
    dest.mkdir()
    with pytest.raises(UnsafeArchive):
        extract(archive, dest, max_bytes)
    assert list(dest.iterdir()) == []  # what was written before the refusal is gone
    assert sorted(p.name for p in dest.parent.iterdir()) == ["out"]  # nothing landed beside it
    return dest


def test_a_link_that_escapes_through_an_earlier_link_is_refused(tmp_path: Path) -> None:
    # "up" is the folder itself, so "up/.." is its parent, though no name holds a "..".
    archive = _tar(
        tmp_path / "a.tgz",
        _info("up", tarfile.SYMTYPE, "."),
        _info("esc", tarfile.SYMTYPE, "up/.."),
    )
    _unpack_refused(tmp_path, archive)


def test_a_link_made_to_escape_by_a_later_link_is_refused(tmp_path: Path) -> None:
    # When "esc" is written, "up" does not exist yet and "up/.." looks like the folder.
    archive = _tar(
        tmp_path / "a.tgz",
        _info("esc", tarfile.SYMTYPE, "up/.."),
        _info("up", tarfile.SYMTYPE, "."),
    )
    _unpack_refused(tmp_path, archive)


def test_a_file_written_through_an_escaping_link_chain_is_refused(tmp_path: Path) -> None:
    archive = _tar(
        tmp_path / "a.tgz",
        _info("a", tarfile.SYMTYPE, "b/.."),
        _info("b", tarfile.SYMTYPE, "."),
        _info("a/evil.tf", data=b"evil"),
    )
    dest = _unpack_refused(tmp_path, archive)
    assert not (dest.parent / "evil.tf").exists()


@pytest.mark.parametrize(
    "kind", [tarfile.FIFOTYPE, tarfile.BLKTYPE, tarfile.CHRTYPE], ids=["fifo", "block", "char"]
)
def test_fifos_and_devices_are_refused(tmp_path: Path, kind: bytes) -> None:
    archive = _tar(tmp_path / "a.tgz", _info("top/main.tf"), _info("top/node", kind))
    _unpack_refused(tmp_path, archive)


def test_hard_links_are_copies_and_count_toward_the_cap(tmp_path: Path) -> None:
    body = b"0" * 4000
    archive = _tar(
        tmp_path / "a.tgz",
        _info("top/f.tf", data=body),
        _info("top/g.tf", tarfile.LNKTYPE, "top/f.tf"),
    )
    dest = tmp_path / "out"
    dest.mkdir()
    root = extract(archive, dest, 10_000)
    copy = root / "g.tf"
    assert copy.read_bytes() == body and not copy.is_symlink()
    assert copy.stat().st_nlink == 1 and (root / "f.tf").stat().st_nlink == 1
    # Three more links to the same file: 16,000 bytes on disk from 4,000 declared.
    many = _tar(
        tmp_path / "b.tgz",
        _info("top/f.tf", data=body),
        *(_info(f"top/{n}.tf", tarfile.LNKTYPE, "top/f.tf") for n in "ghi"),
    )
    _unpack_refused(tmp_path, many, max_bytes=10_000)


def test_modes_are_plain_and_owners_are_not_taken_from_the_archive(tmp_path: Path) -> None:
    script, setuid = _info("top/run.sh", data=b"#!/bin/sh\n"), _info("top/main.tf")
    script[0].mode, setuid[0].mode = 0o777, 0o4777
    for info, _ in (script, setuid):
        info.uid, info.gid, info.uname, info.gname = 4242, 4242, "nobody", "nogroup"
    dest = tmp_path / "out"
    dest.mkdir()
    root = extract(_tar(tmp_path / "a.tgz", script, setuid), dest, 10_000)
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in root.iterdir()}
    assert modes == {"run.sh": 0o755, "main.tf": 0o755}
    assert {p.stat().st_uid for p in root.iterdir()} == {os.getuid()}


def test_links_inside_are_kept_and_a_later_entry_replaces_a_link(tmp_path: Path) -> None:
    archive = _tar(
        tmp_path / "a.tgz",
        _info("top/sub/main.tf", data=b"real"),
        _info("top/alias", tarfile.SYMTYPE, "sub"),
        _info("top/alias/extra.tf", data=b"through"),  # lands in sub/, inside the folder
        _info("top/same.tf", tarfile.SYMTYPE, "sub/main.tf"),
        _info("top/same.tf", data=b"mine"),  # replaces the link: sub/main.tf stays "real"
    )
    dest = tmp_path / "out"
    dest.mkdir()
    root = extract(archive, dest, 10_000)
    assert (root / "alias").is_symlink() and (root / "sub" / "extra.tf").read_bytes() == b"through"
    assert (root / "sub" / "main.tf").read_bytes() == b"real"
    assert not (root / "same.tf").is_symlink() and (root / "same.tf").read_bytes() == b"mine"


def test_a_github_tarball_unpacks_to_its_top_folder(tmp_path: Path) -> None:
    archive = tmp_path / "a.tgz"
    with tarfile.open(archive, mode="w:gz", format=tarfile.PAX_FORMAT) as tar:
        tar.pax_headers = {"comment": "0123456789abcdef"}  # as GitHub writes the commit
        info, data = _info("owner-repo-0123456/main.tf", data=b"# tf\n")
        tar.addfile(info, io.BytesIO(data))
    dest = tmp_path / "out"
    dest.mkdir()
    assert extract(archive, dest, 10_000) == dest / "owner-repo-0123456"
    assert (dest / "owner-repo-0123456" / "main.tf").read_bytes() == b"# tf\n"


def test_zips_with_a_link_or_past_the_cap_are_refused(tmp_path: Path) -> None:
    link = tmp_path / "link.zip"
    with zipfile.ZipFile(link, "w") as zf:
        info = zipfile.ZipInfo("top/passwd")
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(info, "/etc/passwd")
    _unpack_refused(tmp_path, link)
    big = tmp_path / "big.zip"
    with zipfile.ZipFile(big, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("top/a.tf", "0" * 6000)  # a few bytes compressed, 6,000 unpacked
    _unpack_refused(tmp_path, big, max_bytes=5000)
