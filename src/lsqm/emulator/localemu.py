"""LocalEmu as a host process: LocalStack's open-source core continued under another name
(``python -m localemu.runtime.main``), so it is started like :class:`HostLocalStack` with the
same host settings. What differs, read from its package source (``localemu/config.py``):
the advertised host is ``LOCALEMU_HOST`` (``LOCALSTACK_HOST`` is ignored), health and
version live under ``/_localemu/``, it has no DNS server to disable, and it serves DynamoDB
itself (no Java, no moto). It has no reset endpoint: lsqm's plugin, renamed for it by
``ensure_emulator``, adds ``POST /_lsqm/state/reset``."""

from __future__ import annotations

from lsqm.emulator.catalogue import LOCALEMU
from lsqm.emulator.host import HostLocalStack


class HostLocalEmu(HostLocalStack):
    kind = "localemu"
    module = "localemu.runtime.main"
    host_var = "LOCALEMU_HOST"
    health_path = LOCALEMU.health_path
    version_path = LOCALEMU.version_path
    reset_paths = LOCALEMU.reset_paths

    def runtime_notes(self) -> list[str]:
        return list(LOCALEMU.offline_limits)
