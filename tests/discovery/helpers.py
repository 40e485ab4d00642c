"""Helpers for discovery tests: real folders, real git repositories, and local HTTP servers
that answer like the GitHub REST API and the Terraform Registry v1 API (shapes, pagination,
rate-limit headers, ETags and 304s, injected 5xx/403/429), so no function of ours is patched."""

from __future__ import annotations

import hashlib
import io
import json
import re
import subprocess
import tarfile
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from werkzeug import Request, Response

from lsqm.cli import main
from lsqm.store import ArtifactStore

S3_TF = """
resource "aws_s3_bucket" "b" {
  bucket = "lsqm-test-bucket"
}
"""
SQS_TF = """
resource "aws_sqs_queue" "q" {
  name = "lsqm-test-queue" # a queue
}
"""


def write_tree(root: Path, files: dict[str, str | bytes]) -> Path:
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return root


def git(cwd: Path, *args: str) -> str:
    env = {
        "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com",
        "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": "/dev/null", "PATH": "/usr/bin:/bin",
        "HOME": str(cwd),
    }  # fmt: skip
    done = subprocess.run(
        ["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def make_git_repo(root: Path, files: dict[str, str | bytes]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    git(root, "init", "-q", "-b", "main")
    commit(root, files, "initial")
    return root


def commit(root: Path, files: dict[str, str | bytes], message: str) -> str:
    write_tree(root, files)
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", message)
    return git(root, "rev-parse", "HEAD")


def targz(files: dict[str, bytes], top: str = "") -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo((top + "/" if top else "") + name)
            info.size = len(data)
            info.mtime = 1_700_000_000
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


@dataclass
class Lsqm:
    """Runs the real CLI in-process with a config pointing at temp folders and test servers."""

    tmp: Path
    capsys: pytest.CaptureFixture[str]
    discovery: dict[str, Any] = field(default_factory=dict)

    @property
    def artifacts(self) -> Path:
        return self.tmp / "artifacts"

    def sources(self, specs: list[dict[str, Any]]) -> Path:
        path = self.tmp / "sources.yaml"
        path.write_text(yaml.safe_dump({"sources": specs}), encoding="utf-8")
        self.discovery["sources_file"] = str(path)
        return path

    def __call__(self, *args: str) -> tuple[int, str, str]:
        config = self.tmp / "lsqm.yaml"
        config.write_text(
            yaml.safe_dump(
                {
                    "artifacts_dir": str(self.artifacts),
                    "cache_dir": str(self.tmp / "cache"),
                    "discovery": {"http_backoff_s": 0.01, "http_max_wait_s": 2, **self.discovery},
                }
            ),
            encoding="utf-8",
        )
        self.capsys.readouterr()
        code = main(["--config", str(config), *args])
        out, err = self.capsys.readouterr()
        return code, out, err

    def json(self, *args: str) -> tuple[int, dict[str, Any]]:
        code, out, err = self(*args, "--format", "json")
        assert out.strip(), f"no JSON on stdout; stderr: {err}"
        return code, json.loads(out)

    def ledger(self) -> dict[str, Any]:
        return ArtifactStore(self.artifacts).discovery_ledger()

    def architectures(self) -> dict[str, dict[str, Any]]:
        folder = self.artifacts / "architectures"
        if not folder.is_dir():
            return {}
        return {
            p.name: json.loads((p / "architecture.json").read_text())
            for p in folder.iterdir()
            if (p / "architecture.json").is_file()
        }


# -- a fake GitHub -------------------------------------------------------------------------
def _sha(data: bytes) -> str:
    return hashlib.sha1(data).hexdigest()


@dataclass
class FakeRepo:
    files: dict[str, bytes]
    stars: int = 5
    topics: list[str] = field(default_factory=lambda: ["terraform"])
    fork: bool = False
    archived: bool = False
    tarball: bytes | None = None  # override (hostile archives)

    def tree(self) -> tuple[str, list[dict[str, Any]]]:
        """Git-like tree SHAs: a folder's SHA changes exactly when something below it does."""
        entries: list[dict[str, Any]] = []
        dirs: dict[str, list[str]] = {"": []}
        for path in sorted(self.files):
            parts = path.split("/")
            for i in range(1, len(parts)):
                dirs.setdefault("/".join(parts[:i]), [])
            data = self.files[path]
            entry = {"path": path, "type": "blob", "mode": "100644", "sha": _sha(data)}
            entries.append({**entry, "size": len(data)})
        blob_sha = {e["path"]: e["sha"] for e in entries}

        def dir_sha(d: str) -> str:
            prefix = d + "/" if d else ""
            kids = sorted(k for k in blob_sha if k.startswith(prefix))
            return _sha("".join(f"{k}:{blob_sha[k]}" for k in kids).encode())

        for d in sorted(dirs):
            if d:
                entries.append({"path": d, "type": "tree", "mode": "040000", "sha": dir_sha(d)})
        return dir_sha(""), sorted(entries, key=lambda e: e["path"])


class FakeGitHub:
    """Answers like api.github.com for the endpoints `mine` uses."""

    page_size = 2

    def __init__(self) -> None:
        self.repos: dict[str, FakeRepo] = {}
        self.faults: dict[str, list[Callable[[], Response]]] = {}
        self.log: list[tuple[str, int]] = []
        self.auth: list[str | None] = []
        self.remaining = 60
        self.reset_at = int(time.time()) + 3600
        self.base = ""

    def fault(self, path_regex: str, *responses: Callable[[], Response]) -> None:
        self.faults.setdefault(path_regex, []).extend(responses)

    def __call__(self, request: Request) -> Response:
        response = self._answer(request)
        self.log.append((request.full_path.rstrip("?"), response.status_code))
        self.auth.append(request.headers.get("Authorization"))
        return response

    def _answer(self, request: Request) -> Response:
        path = request.path
        for pattern, queue in self.faults.items():
            if queue and re.fullmatch(pattern, path):
                return queue.pop(0)()
        if m := re.fullmatch(r"/_codeload/([^/]+)/([^/]+)/(\w+)", path):
            full = f"{m[1]}/{m[2]}"
            repo = self.repos[full]
            data = repo.tarball or targz(repo.files, f"{m[1]}-{m[2]}-{m[3][:7]}")
            return Response(data, 200, {"Content-Type": "application/x-gzip"})
        if m := re.fullmatch(r"/repos/([^/]+)/([^/]+)/tarball/(\w+)", path):
            # like codeload.github.com: another origin, which must not receive the token
            other = self.base.replace("localhost", "127.0.0.1")
            return Response(b"", 302, {"Location": f"{other}/_codeload/{m[1]}/{m[2]}/{m[3]}"})
        body: Any
        headers: dict[str, str] = {}
        if m := re.fullmatch(r"/orgs/([^/]+)/repos", path):
            names = sorted(n for n in self.repos if n.startswith(m[1] + "/"))
            page = int(request.args.get("page", "1"))
            chunk = names[(page - 1) * self.page_size : page * self.page_size]
            body = [self._repo_json(n) for n in chunk]
            if page * self.page_size < len(names):
                nxt = f"{self.base}{path}?per_page={self.page_size}&type=public&page={page + 1}"
                headers["Link"] = f'<{nxt}>; rel="next", <{nxt}>; rel="last"'
        elif m := re.fullmatch(r"/repos/([^/]+)/([^/]+)", path):
            if f"{m[1]}/{m[2]}" not in self.repos:
                return self._json({"message": "Not Found"}, 404)
            body = self._repo_json(f"{m[1]}/{m[2]}")
        elif m := re.fullmatch(r"/repos/([^/]+)/([^/]+)/commits/([^/]+)", path):
            tree_sha, _ = self.repos[f"{m[1]}/{m[2]}"].tree()
            body = {"sha": _sha(tree_sha.encode()), "commit": {"tree": {"sha": tree_sha}}}
        elif m := re.fullmatch(r"/repos/([^/]+)/([^/]+)/git/trees/(\w+)", path):
            tree_sha, entries = self.repos[f"{m[1]}/{m[2]}"].tree()
            body = {"sha": tree_sha, "url": "", "tree": entries, "truncated": False}
        else:
            return self._json({"message": "Not Found"}, 404)
        data = json.dumps(body).encode()
        etag = f'W/"{hashlib.sha256(data).hexdigest()}"'
        if request.headers.get("If-None-Match") == etag:
            return Response(b"", 304, {"ETag": etag, **self._limits(False)})
        return Response(
            data, 200, {"Content-Type": "application/json", "ETag": etag, **headers,
                        **self._limits(True)},
        )  # fmt: skip

    def _limits(self, counts: bool) -> dict[str, str]:
        if counts:
            self.remaining = max(self.remaining - 1, 0)
        return {
            "X-RateLimit-Limit": "60",
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset_at),
            "X-RateLimit-Used": str(60 - self.remaining),
        }

    def _json(self, body: Any, status: int, headers: dict[str, str] | None = None) -> Response:
        return Response(json.dumps(body), status, {"Content-Type": "application/json",
                                                   **(headers or {})})  # fmt: skip

    def _repo_json(self, full: str) -> dict[str, Any]:
        repo = self.repos[full]
        return {
            "full_name": full, "name": full.split("/")[1], "default_branch": "main",
            "html_url": f"https://github.com/{full}", "stargazers_count": repo.stars,
            "topics": repo.topics, "fork": repo.fork, "archived": repo.archived,
        }  # fmt: skip

    # canned faults
    @staticmethod
    def error_500() -> Response:
        return Response(json.dumps({"message": "Server Error"}), 500)

    @staticmethod
    def secondary_limit(retry_after: str = "1") -> Callable[[], Response]:
        def respond() -> Response:
            body = {"message": "You have exceeded a secondary rate limit."}
            return Response(json.dumps(body), 403, {"Retry-After": retry_after})

        return respond

    @staticmethod
    def too_many(retry_after: str = "0") -> Callable[[], Response]:
        return lambda: Response("{}", 429, {"Retry-After": retry_after})

    def primary_exhausted(self) -> Response:
        return Response(
            json.dumps({"message": "API rate limit exceeded"}), 403,
            {"X-RateLimit-Remaining": "0", "X-RateLimit-Limit": "60",
             "X-RateLimit-Reset": str(int(time.time()) + 3000)},
        )  # fmt: skip


# -- a fake Terraform Registry ---------------------------------------------------------------
@dataclass
class FakeModule:
    namespace: str
    name: str
    version: str
    downloads: int
    files: dict[str, bytes]
    archive: str = "tar.gz"  # "tar.gz", "zip", or a git:: URL for X-Terraform-Get
    verified: bool = True

    @property
    def ident(self) -> str:
        return f"{self.namespace}/{self.name}/aws/{self.version}"

    def examples(self) -> list[str]:
        return sorted({p.rsplit("/", 1)[0] for p in self.files if p.startswith("examples/")})


class FakeRegistry:
    """Answers like registry.terraform.io's v1 modules API."""

    def __init__(self) -> None:
        self.modules: list[FakeModule] = []
        self.log: list[str] = []
        self.base = ""

    def __call__(self, request: Request) -> Response:
        self.log.append(request.full_path.rstrip("?"))
        path = request.path
        if m := re.fullmatch(r"/archives/(.+)\.(tar\.gz|zip)", path):
            module = next(x for x in self.modules if x.name == m[1])
            top = f"terraform-aws-{module.name}-{module.version}"
            if m[2] == "zip":
                buf = io.BytesIO()
                with zipfile.ZipFile(buf, "w") as zf:
                    for name, data in module.files.items():
                        zf.writestr(f"{top}/{name}", data)
                return Response(buf.getvalue(), 200, {"Content-Type": "application/zip"})
            return Response(targz(module.files, top), 200, {"Content-Type": "application/x-gzip"})
        if m := re.fullmatch(r"/v1/modules/([^/]+)/([^/]+)/aws/([^/]+)/download", path):
            module = self._find(m[1], m[2], m[3])
            where = module.archive
            if not where.startswith("git::"):
                where = f"/archives/{module.name}.{module.archive}"
            return Response(b"", 204, {"X-Terraform-Get": where})
        if m := re.fullmatch(r"/v1/modules/([^/]+)/([^/]+)/aws/([^/]+)", path):
            module = self._find(m[1], m[2], m[3])
            detail = {**self._summary(module), "root": {"path": ""}, "submodules": [],
                      "examples": [{"path": e, "name": e.split("/")[-1]}
                                   for e in module.examples()]}  # fmt: skip
            return self._json(detail)
        if path in ("/v1/modules", "/v1/modules/search") or re.fullmatch(r"/v1/modules/\w+", path):
            chosen = [x for x in self.modules if path.count("/") < 3 or x.namespace in path]
            if request.args.get("verified") == "true":
                chosen = [x for x in chosen if x.verified]
            limit, offset = int(request.args["limit"]), int(request.args.get("offset", 0))
            page = chosen[offset : offset + limit]
            meta: dict[str, Any] = {"limit": limit, "current_offset": offset}
            if offset + limit < len(chosen):
                meta["next_offset"] = offset + limit
                meta["next_url"] = f"{path}?limit={limit}&offset={offset + limit}"
            return self._json({"meta": meta, "modules": [self._summary(x) for x in page]})
        return Response('{"errors":["Not Found"]}', 404)

    def _find(self, ns: str, name: str, version: str) -> FakeModule:
        return next(
            x for x in self.modules if (x.namespace, x.name, x.version) == (ns, name, version)
        )

    def _summary(self, module: FakeModule) -> dict[str, Any]:
        return {
            "id": module.ident, "owner": "", "namespace": module.namespace, "name": module.name,
            "version": module.version, "provider": "aws", "description": "",
            "source": f"https://github.com/{module.namespace}/terraform-aws-{module.name}",
            "published_at": "2026-01-01T00:00:00Z", "downloads": module.downloads,
            "verified": module.verified,
        }  # fmt: skip

    def _json(self, body: Any) -> Response:
        data = json.dumps(body).encode()
        etag = f'"{hashlib.sha256(data).hexdigest()[:20]}"'
        return Response(data, 200, {"Content-Type": "application/json", "ETag": etag})
