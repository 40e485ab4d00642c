"""A local server speaking the Docker Engine API, so the real ``docker`` client can drive the
docker runtime here, where no Docker engine runs. A ``localstack/localstack`` container is
served by a LocalStack host process listening on the host port the container publishes; the
server records what the client asked for (image, environment, port bindings, removals)."""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from lsqm.emulator.host import HostLocalStack
from lsqm.toolchain.localstack_install import LocalStackInstall

API_VERSION = "1.45"
_V = r"^(?:/v[0-9.]+)?"


@dataclass
class Container:
    id: str
    body: dict[str, Any]
    emulator: HostLocalStack | None = None

    @property
    def env(self) -> dict[str, str]:
        return dict(item.split("=", 1) for item in self.body.get("Env") or [] if "=" in item)

    @property
    def binding(self) -> dict[str, str]:
        return self.body["HostConfig"]["PortBindings"]["4566/tcp"][0]


@dataclass
class FakeDockerEngine:
    server: HTTPServer
    install: LocalStackInstall
    workdir: Path
    containers: dict[str, Container] = field(default_factory=dict)
    removed: list[Container] = field(default_factory=list)

    def __post_init__(self) -> None:
        routes = [
            (r"/_ping$", "GET", self._ping),
            (r"/_ping$", "HEAD", self._ping),
            (r"/info$", "GET", self._info),
            (r"/containers/create$", "POST", self._create),
            (r"/containers/(\w+)/start$", "POST", self._start),
            (r"/containers/(\w+)/wait$", "POST", self._wait),
            (r"/containers/(\w+)/json$", "GET", self._inspect),
            (r"/containers/(\w+)$", "DELETE", self._remove),
        ]
        for pattern, method, handler in routes:
            self.server.expect_request(
                re.compile(_V + pattern), method=method
            ).respond_with_handler(handler)

    @property
    def docker_host(self) -> str:
        return f"tcp://127.0.0.1:{self.server.port}"

    def running(self) -> list[Container]:
        return [c for c in self.containers.values() if c.emulator and c.emulator.alive()]

    def close(self) -> None:
        for container in self.containers.values():
            if container.emulator is not None:
                container.emulator.stop()

    @staticmethod
    def _json(data: Any, status: int = 200) -> Response:
        headers = {"Api-Version": API_VERSION, "Ostype": "linux"}
        return Response(json.dumps(data), status, headers, content_type="application/json")

    def _ping(self, _request: Request) -> Response:
        headers = {"Api-Version": API_VERSION, "Ostype": "linux", "Docker-Experimental": "false"}
        return Response("OK", 200, headers, content_type="text/plain")

    def _info(self, _request: Request) -> Response:
        return self._json({"ServerVersion": "28.2.2-lsqm-fake", "OSType": "linux"})

    def _create(self, request: Request) -> Response:
        container = Container(secrets.token_hex(32), json.loads(request.get_data()))
        self.containers[container.id] = container
        return self._json({"Id": container.id, "Warnings": []}, 201)

    def _find(self, request: Request) -> Container | None:
        match = re.search(r"/containers/(\w+)", request.path)
        wanted = match.group(1) if match else ""
        found = [c for cid, c in self.containers.items() if cid.startswith(wanted)]
        return found[0] if len(found) == 1 else None

    def _missing(self, request: Request) -> Response:
        return self._json({"message": f"No such container: {request.path}"}, 404)

    def _start(self, request: Request) -> Response:
        container = self._find(request)
        if container is None:
            return self._missing(request)
        binding = container.binding
        assert binding["HostIp"] == "127.0.0.1"
        container.emulator = HostLocalStack(
            self.install,
            workdir=self.workdir,
            port=int(binding["HostPort"]),
            log_file=self.workdir / f"{container.id[:12]}.log",
        )
        container.emulator.start()
        return Response(status=204)

    def _wait(self, request: Request) -> Response:
        return self._json({"StatusCode": 0})

    def _inspect(self, request: Request) -> Response:
        container = self._find(request)
        if container is None:
            return self._missing(request)
        running = bool(container.emulator and container.emulator.alive())
        state = {"Running": running, "Status": "running" if running else "exited"}
        return self._json(
            {"Id": container.id, "Name": "/lsqm", "State": state, "Config": container.body}
        )

    def _remove(self, request: Request) -> Response:
        container = self._find(request)
        if container is None:
            return self._missing(request)
        if container.emulator is not None:
            container.emulator.stop()
        del self.containers[container.id]
        self.removed.append(container)
        return Response(status=204)
