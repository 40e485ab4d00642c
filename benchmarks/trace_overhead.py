"""What the operation trace costs (target: <= 2 % of a validate run's wall time).

Three measurements, each with trace on and off side by side in one run (these machines
are noisy, so only figures measured side by side count):
1. the proxy's own cost per call, in CPU and wall milliseconds, against a local stand-in
   that answers at once (what a loaded machine cannot hide), plus naming a call;
2. per call on a real LocalStack: boto3 calls directly and through the proxy, in
   alternating batches;
3. end to end: the bundled examples validated with ``trace`` on and off, in the order
   on, off, off, on (a drift in the machine's load hits both sides alike); wall seconds,
   verdicts compared, the calls recorded, and the bound 1. puts on the cost.

Usage: python benchmarks/trace_overhead.py [--only NAME ...] [--rounds N] [--calls N]
"""

from __future__ import annotations

import argparse
import http.client
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from lsqm.config import load_settings
from lsqm.emulator.host import HostLocalStack
from lsqm.ingest import add_local
from lsqm.store import ArtifactStore
from lsqm.toolchain.localstack_install import ensure_localstack
from lsqm.toolchain.terraform_install import TerraformToolchain, ensure_terraform
from lsqm.trace.names import OperationNames
from lsqm.trace.proxy import RecordingProxy
from lsqm.trace.record import aggregate
from lsqm.validation.run import execute, plan_run

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


class _Instant(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, *args: object) -> None:
        pass

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        body = b'{"Attributes": {"VisibilityTimeout": "30"}}'
        self.send_response_only(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def _proxy_cost(calls: int) -> float:
    """CPU milliseconds the proxy and naming add to one call (printed with wall figures)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Instant)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    upstream = f"127.0.0.1:{server.server_address[1]}"
    proxy = RecordingProxy(lambda: "http://" + upstream)
    headers = {
        "Content-Type": "application/x-amz-json-1.0",
        "X-Amz-Target": "AmazonSQS.GetQueueAttributes",
        "Authorization": "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/sqs/"
        "aws4_request, SignedHeaders=host, Signature=0",
    }

    def batch(netloc: str) -> tuple[float, float]:
        conn = http.client.HTTPConnection(netloc)
        cpu, wall = time.process_time(), time.perf_counter()
        for _ in range(calls):
            conn.request("POST", "/", body=b'{"QueueUrl": "q"}', headers=headers)
            conn.getresponse().read()
        conn.close()
        return time.process_time() - cpu, time.perf_counter() - wall

    try:
        for _ in range(2):  # the second round counts: the first warms up
            direct_cpu, direct_wall = batch(upstream)
            proxied_cpu, proxied_wall = batch(proxy.url.removeprefix("http://"))
        recorded = proxy.recording.calls()
    finally:
        proxy.stop()
        server.shutdown()
    cpu = time.process_time()
    aggregate(recorded, OperationNames(load_settings().cache_dir / "trace"))
    naming = (time.process_time() - cpu) / len(recorded) * 1000
    added = (proxied_cpu - direct_cpu) / calls * 1000 + naming
    wall_ms = (proxied_wall - direct_wall) / calls * 1000
    cpu_ms = (proxied_cpu - direct_cpu) / calls * 1000
    print(f"proxy cost per call against an instant stand-in: wall +{wall_ms:.3f} ms, "
          f"CPU +{cpu_ms:.3f} ms, naming {naming:.3f} ms")  # fmt: skip
    return added


def _per_call(calls: int) -> None:
    settings = load_settings()
    emulator = HostLocalStack(ensure_localstack(settings.cache_dir, settings.localstack_version))
    emulator.start()
    proxy = RecordingProxy(lambda: emulator.endpoint)
    try:
        clients = {
            name: boto3.client(
                "sqs",
                endpoint_url=url,
                region_name="us-east-1",
                aws_access_key_id="test",
                aws_secret_access_key="test",
                config=Config(retries={"max_attempts": 1}),
            )
            for name, url in (("direct", emulator.endpoint), ("proxied", proxy.url))
        }
        url = clients["direct"].create_queue(QueueName="bench")["QueueUrl"]
        per: dict[str, list[float]] = {"direct": [], "proxied": []}
        batch = 50
        for _ in range(max(1, calls // batch)):
            for name, client in clients.items():
                start = time.perf_counter()
                for _ in range(batch):
                    client.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])
                per[name].append((time.perf_counter() - start) / batch * 1000)
        direct, proxied = statistics.median(per["direct"]), statistics.median(per["proxied"])
        print(f"per call (median of {len(per['direct'])} batches of {batch}): direct "
              f"{direct:.2f} ms, through the proxy {proxied:.2f} ms: "
              f"+{proxied - direct:.2f} ms a call")  # fmt: skip
    finally:
        proxy.stop()
        emulator.stop()


def _validate(
    root: Path, names: list[str], toolchain: TerraformToolchain, trace: bool
) -> tuple[float, dict[str, Any]]:
    settings = load_settings(artifacts_dir=root, runtime="host", trace=trace)
    store = ArtifactStore(root)
    hashes = [add_local(store, EXAMPLES / n, EXAMPLES / n / "tests", n) for n in names]
    plan = plan_run(store, run_id=None, arch=hashes, shard=None)
    start = time.monotonic()
    execute(settings, store, plan, on_result=lambda _r: None, toolchain=toolchain)
    wall = time.monotonic() - start
    results = {r.name: r.to_json() for r in store.results(plan.run_id).values()}
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"  trace {'on ' if trace else 'off'}: {wall:6.1f} s (load average {load} on "
          f"{os.cpu_count()} cores)")  # fmt: skip
    return wall, results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="example names (default: all)")
    parser.add_argument("--rounds", type=int, default=1, help="on/off/off/on rounds")
    parser.add_argument("--calls", type=int, default=1000, help="calls per side, per call")
    args = parser.parse_args()
    names = args.only or sorted(p.name for p in EXAMPLES.iterdir() if any(p.glob("*.tf")))
    added_ms = _proxy_cost(2000)
    _per_call(args.calls)
    toolchain = ensure_terraform(load_settings())
    work = Path(tempfile.mkdtemp(prefix="lsqm-bench-trace-"))
    walls: dict[bool, list[float]] = {True: [], False: []}
    seen: dict[bool, list[dict[str, Any]]] = {True: [], False: []}
    print(f"\n{len(names)} examples, 1 worker:")
    try:
        for round_ in range(args.rounds):
            for trace in (True, False, False, True):
                wall, results = _validate(
                    work / f"r{round_}-{len(walls[trace])}-{trace}", names, toolchain, trace
                )
                walls[trace].append(wall)
                seen[trace].append(results)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    on, off = statistics.mean(walls[True]), statistics.mean(walls[False])
    cost = (on - off) / off
    print(f"\ntrace on {on:.1f} s, off {off:.1f} s (means of {len(walls[True])}): "
          f"{cost:+.1%} (target <= 2 %: {'OK' if cost <= 0.02 else 'missed'})")  # fmt: skip
    calls = [sum(c["count"] for c in r["trace"]) for r in seen[True][0].values()]
    print(f"calls recorded per architecture: mean {statistics.mean(calls):.0f}, max {max(calls)}")
    per_arch = off / len(names)
    bound = max(calls) * added_ms / 1000 / per_arch
    print(f"bound from the per-call cost: {max(calls)} calls x {added_ms:.3f} ms CPU in a "
          f"{per_arch:.1f} s architecture = {bound:.2%} (target <= 2 %)")  # fmt: skip
    verdicts = [{n: (r["status"], r["category"]) for n, r in rs.items()} for rs in
                seen[True] + seen[False]]  # fmt: skip
    same = all(v == verdicts[0] for v in verdicts)
    print(f"verdicts identical across all runs: {same}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
