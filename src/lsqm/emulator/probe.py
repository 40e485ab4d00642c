"""What lsqm's LocalStack plugin gives on one installed version, found by running it once
(``lsqm setup`` does, per version): does ``/_lsqm/state/reset`` answer (else architectures
are kept apart by restarting the emulator), does the moto DynamoDB provider load (else
DynamoDB is unavailable offline), does the service preload route work, and does the
process stop on SIGTERM (4.x needs SIGKILL). Kept in ``<version>/probe.json`` per plugin
digest, so a changed plugin is probed again; runs on that version carry the notes."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

import boto3
import httpx

from lsqm.emulator.host import HostLocalStack
from lsqm.emulator.interface import LSQM_LOAD_PATH, LSQM_RESET_PATH, RESET_BY_RESTART
from lsqm.errors import EmulatorError
from lsqm.files import atomic_write_json, utcnow
from lsqm.toolchain.localstack_install import LocalStackInstall, plugin_digest, read_probe

STOP_GRACE_S = 10.0
DYNAMODB_UNAVAILABLE = "dynamodb unavailable: the moto provider does not load on this version"
NO_PRELOAD = "services start on first use (the preload route is unavailable on this version)"


def probe_localstack(install: LocalStackInstall, *, force: bool = False) -> dict[str, Any]:
    """Start ``install`` once and record what works; the cached answer unless ``force``."""
    cached = None if force else read_probe(install.root)
    if cached is not None:
        return cached
    with tempfile.TemporaryDirectory(prefix="lsqm-probe-") as tmp:
        found = _probe(install, Path(tmp))
    found.update(plugin=plugin_digest(), probed_at=utcnow(), version=install.version)
    atomic_write_json(install.root / "probe.json", found)
    return found


def _probe(install: LocalStackInstall, workdir: Path) -> dict[str, Any]:
    emulator = HostLocalStack(install, workdir=workdir, log_file=workdir / "probe.log")
    started = time.monotonic()
    found: dict[str, Any] = {}
    try:
        emulator.start()
    except EmulatorError as exc:
        return {"starts": False, "error": exc.message[:500]}
    try:
        found.update(starts=True, start_s=round(time.monotonic() - started, 1))
        found["reported_version"] = emulator.info().version
        found["reset"] = "restart" if RESET_BY_RESTART in emulator.notes else "lsqm"
        services = {"services": ["sqs", "cloudwatch"]}
        found["preload"] = _post_ok(emulator.endpoint + LSQM_LOAD_PATH, services)
        found["dynamodb_moto"] = _dynamodb(emulator.endpoint)
        before = _cloudwatch(emulator.endpoint)
        reset = _post_ok(emulator.endpoint + LSQM_RESET_PATH, None)
        after = _cloudwatch(emulator.endpoint)
        # A reset that leaves a service broken is worse than none: restart instead.
        found["services_after_reset"] = after if before == "ok" else f"not checked ({before})"
        if not reset or (before == "ok" and after != "ok"):
            found["reset"] = "restart"
    finally:
        emulator.stop_grace = STOP_GRACE_S
        stopping = time.monotonic()
        emulator.stop()
        took = time.monotonic() - stopping
    killed = emulator.last_exit == -9
    found["stop"] = (
        f"needs SIGKILL (alive {STOP_GRACE_S:.0f}s after SIGTERM)"
        if killed
        else f"exits on SIGTERM in {took:.1f}s"
    )
    return found


def _post_ok(url: str, body: Any) -> bool:
    try:
        return httpx.post(url, json=body, timeout=120).status_code == 200
    except httpx.HTTPError:
        return False


def _dynamodb(endpoint: str) -> str:
    """ "ok" when a table can be created, written and read through the moto provider."""
    client = boto3.client(
        "dynamodb",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    try:
        client.create_table(
            TableName="lsqm-probe",
            KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        client.put_item(TableName="lsqm-probe", Item={"k": {"S": "1"}})
        item = client.get_item(TableName="lsqm-probe", Key={"k": {"S": "1"}}).get("Item")
    except Exception as exc:  # any failure is the answer, never a crash of setup
        return f"{type(exc).__name__}: {exc}"[:300]
    return "ok" if item else "the item written was not read back"


def _cloudwatch(endpoint: str) -> str:
    """ "ok" when CloudWatch takes an alarm and a data point (query protocol, which every
    version speaks): the service whose state lives in a file that a reset can break."""
    auth = (
        "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/monitoring/aws4_request, "
        "SignedHeaders=host, Signature=0"
    )
    calls = [
        {"Action": "PutMetricAlarm", "AlarmName": "lsqm-probe", "MetricName": "m",
         "Namespace": "lsqm", "Statistic": "Sum", "Period": "60", "EvaluationPeriods": "1",
         "Threshold": "1", "ComparisonOperator": "GreaterThanThreshold"},
        {"Action": "PutMetricData", "Namespace": "lsqm", "MetricData.member.1.MetricName": "m",
         "MetricData.member.1.Value": "1"},
    ]  # fmt: skip
    for call in calls:
        try:
            response = httpx.post(
                endpoint + "/",
                data={**call, "Version": "2010-08-01"},
                headers={"Authorization": auth},
                timeout=60,
            )
        except httpx.HTTPError as exc:
            return f"{call['Action']}: {type(exc).__name__}"
        if response.status_code != 200:
            return f"{call['Action']}: {response.status_code} {response.text[:200]}"
    return "ok"


def probe_notes(install: LocalStackInstall) -> list[str]:
    """Notes a run on ``install`` carries, from its last probe (none when not probed)."""
    found = read_probe(install.root)
    if not found:
        return []
    notes = []
    if not found.get("starts"):
        return [f"the lsqm probe could not start this version: {found.get('error', '')[:200]}"]
    if found.get("dynamodb_moto") != "ok":
        notes.append(DYNAMODB_UNAVAILABLE)
    if found.get("reset") == "restart":
        notes.append(RESET_BY_RESTART)
    if not found.get("preload"):
        notes.append(NO_PRELOAD)
    return notes


def capability_line(found: dict[str, Any]) -> str:
    """One line for ``setup``: what works on this version and what is done instead."""
    if not found.get("starts"):
        return f"does not start: {found.get('error', '')[:200]}"
    parts = [f"starts in {found.get('start_s')}s"]
    parts.append("reset by lsqm's plugin" if found.get("reset") == "lsqm" else "reset by restart")
    dynamodb = found.get("dynamodb_moto")
    parts.append("dynamodb via moto" if dynamodb == "ok" else f"dynamodb unavailable ({dynamodb})")
    parts.append("preload" if found.get("preload") else "no preload (services load on first use)")
    parts.append(str(found.get("stop", "")))
    return ", ".join(p for p in parts if p)
