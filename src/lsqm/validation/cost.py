"""What an architecture is expected to cost in ``validate``, so work is split evenly.

Workers take architectures longest first and shards are cut by expected seconds (not by
hash), so that the last architecture to start is a short one and every worker and shard
finishes at about the same time. The cost is the architecture's duration in the latest
earlier run that has one; on a store's first run, an estimate from what it declares: a base
for init, plan, tests and destroy, a little per resource type, and the known waits of a few
types whose provider polls for a state (measured on the offline toolchain, aws 3.39.0, on a
host LocalStack; the order matters, not the seconds).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from lsqm.records import ArchitectureRecord
from lsqm.store import ArtifactStore

BASE_S = 6.0  # init, plan, the tests and destroy of a small architecture
PER_TYPE_S = 1.0  # each resource type it declares
# Extra seconds some resource types cost: the provider polls until a state is reached.
SLOW_TYPES_S: dict[str, float] = {
    "aws_kinesis_stream": 40.0,  # waits for ACTIVE on create and for deletion on destroy
    "aws_kinesis_firehose_delivery_stream": 20.0,
    "aws_kms_key": 5.0,  # schedules key deletion on destroy
    "aws_api_gateway_deployment": 3.0,
    "aws_lambda_function": 5.0,
    "aws_db_instance": 60.0,
    "aws_rds_cluster": 60.0,
    "aws_elasticsearch_domain": 60.0,
    "aws_opensearch_domain": 60.0,
    "aws_redshift_cluster": 30.0,
    "aws_instance": 10.0,
    "aws_dynamodb_table": 1.0,
}
RUNS_BACK = 5  # how many earlier runs are searched for a duration


def estimate(arch: ArchitectureRecord) -> float:
    """Seconds an architecture never validated before is expected to take."""
    types = arch.resource_types
    return BASE_S + PER_TYPE_S * len(types) + sum(SLOW_TYPES_S.get(t, 0.0) for t in types)


def last_durations(store: ArtifactStore, runs_back: int = RUNS_BACK) -> dict[str, float]:
    """Each architecture's duration in the most recent of the last ``runs_back`` runs that
    has a result for it."""
    last: dict[str, float] = {}
    for run_id in reversed(store.run_ids()[-runs_back:]):
        for arch_hash, result in store.results(run_id).items():
            last.setdefault(arch_hash, result.duration_s)
    return last


def expected_costs(store: ArtifactStore, hashes: Iterable[str]) -> dict[str, float]:
    """Expected seconds per architecture: its last duration, else an estimate."""
    last = last_durations(store)
    return {h: last[h] if h in last else estimate(store.architecture(h)) for h in hashes}


def longest_first(hashes: Iterable[str], costs: dict[str, float]) -> list[str]:
    """Longest expected first; ties keep the order given (the store's, or ``--arch``'s)."""
    return sorted(hashes, key=lambda h: -costs[h])


def partition(hashes: Iterable[str], costs: dict[str, float], count: int) -> list[list[str]]:
    """Split into ``count`` parts of about equal expected seconds: longest first, each to
    the part with the least so far (ties to the lower part). Deterministic, so shards
    planned on different machines from the same store agree."""
    parts: list[list[str]] = [[] for _ in range(count)]
    loads = [0.0] * count
    for arch_hash in sorted(hashes, key=lambda h: (-costs[h], h)):  # ties by hash: any order in
        lightest = min(range(count), key=lambda i: (loads[i], i))
        parts[lightest].append(arch_hash)
        loads[lightest] += costs[arch_hash]
    return parts


def plan_digest(parts: list[list[str]]) -> str:
    """A short digest of a whole partition: shards with different digests were planned from
    different stores, and merging them would leave gaps or overlaps."""
    digest = hashlib.sha256()
    for index, part in enumerate(parts, start=1):
        for arch_hash in sorted(part):
            digest.update(f"{index}:{arch_hash}\n".encode())
    return digest.hexdigest()[:16]
