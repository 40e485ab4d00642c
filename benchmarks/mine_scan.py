"""How fast `mine` classifies Terraform, cold and on an unchanged second run.

    python benchmarks/mine_scan.py [--corpus DIR] [--files 10000] [--keep DIR]

Two trees: the shared corpus (localstack-terraform-samples) and a generated tree of
``--files`` .tf files (four per folder: main, variables, outputs, versions; a mix of folders
that pass and fail the filter). For each: a cold `mine` into an empty artifact store (parse,
decide, store), then a second `mine` over the unchanged tree (nothing may be parsed). Prints
candidates/s, .tf files/s and the speed-up. Targets (issue 3): >= 500 .tf files/s cold,
>= 10x second run. "Cold" means an empty store and ledger; the OS file cache is not dropped.
The filter alone (classify only: list, parse, decide, store nothing) is timed first.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

from lsqm.config import DiscoverySettings
from lsqm.discovery.filter import Policy, evaluate
from lsqm.discovery.local import LocalSource
from lsqm.discovery.miner import Miner, Summary
from lsqm.store import ArtifactStore

DEFAULT_CORPUS = Path(__file__).resolve().parents[2] / "shared/corpus/localstack-terraform-samples"

MAIN_TF = """# Stack {i}: a queue with a dead-letter queue, a topic, a bucket and a role.
resource "aws_sqs_queue" "dlq" {{
  name                      = "${{var.prefix}}-{i}-dlq"
  message_retention_seconds = 1209600
  tags                      = local.tags
}}

resource "aws_sqs_queue" "main" {{
  name                       = "${{var.prefix}}-{i}"
  visibility_timeout_seconds = 30
  redrive_policy = jsonencode({{
    deadLetterTargetArn = aws_sqs_queue.dlq.arn
    maxReceiveCount     = 5
  }})
  tags = local.tags
}}

resource "aws_sns_topic" "events" {{
  name = "${{var.prefix}}-{i}-events"
}}

resource "aws_sns_topic_subscription" "to_queue" {{
  topic_arn = aws_sns_topic.events.arn
  protocol  = "sqs"
  endpoint  = aws_sqs_queue.main.arn
}}

resource "aws_s3_bucket" "data" {{
  bucket        = "${{var.prefix}}-{i}-data"
  force_destroy = true
}}

data "aws_iam_policy_document" "assume" {{
  statement {{
    actions = ["sts:AssumeRole"]
    principals {{
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }}
  }}
}}

resource "aws_iam_role" "worker" {{
  name               = "${{var.prefix}}-{i}-worker"
  assume_role_policy = data.aws_iam_policy_document.assume.json
}}

locals {{
  tags = {{ stack = "{i}", owner = "bench" }}
}}
{extra}"""

VARIABLES_TF = """variable "prefix" {{
  type        = string
  description = "name prefix"
{default}}}

variable "retention" {{
  type    = number
  default = 4
}}
"""

OUTPUTS_TF = """output "queue_url" {
  value = aws_sqs_queue.main.id
}

output "topic_arn" {
  value = aws_sns_topic.events.arn
}
"""

VERSIONS_TF = """terraform {
  required_version = ">= 1.0"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 3.0"
    }
  }
}

provider "aws" {
  region = "us-east-1"
}
"""

# Every fourth folder fails for a different reason, so the filter does real work both ways.
EXTRAS = [
    "",
    'resource "random_pet" "p" {}\n',
    'resource "aws_msk_cluster" "k" {\n  cluster_name = "k"\n}\n',
    "",
]


def generate(root: Path, files: int) -> int:
    """Write ``files`` .tf files (4 per folder, 2 levels deep); return the folder count."""
    folders = files // 4
    for i in range(folders):
        folder = root / f"group{i // 100:03d}" / f"stack{i:05d}"
        folder.mkdir(parents=True)
        default = '  default     = "bench"\n' if i % 8 != 3 else ""  # some lack a default
        (folder / "main.tf").write_text(MAIN_TF.format(i=i, extra=EXTRAS[i % 4]))
        (folder / "variables.tf").write_text(VARIABLES_TF.format(default=default))
        (folder / "outputs.tf").write_text(OUTPUTS_TF)
        (folder / "versions.tf").write_text(VERSIONS_TF)
    return folders


def mine(tree: Path, store_dir: Path) -> tuple[Summary, float]:
    miner = Miner(ArtifactStore(store_dir), Policy.from_settings(DiscoverySettings()))
    start = time.perf_counter()
    summary = miner.run([LocalSource("bench", tree)])
    return summary, time.perf_counter() - start


def classify_only(tree: Path) -> tuple[int, float]:
    """The filter alone (list, parse, decide; nothing stored): .tf files and seconds."""
    policy = Policy.from_settings(DiscoverySettings())
    start = time.perf_counter()
    files = 0
    for snap in LocalSource("bench", tree).snapshots():
        assert not isinstance(snap, Exception)
        for folder in snap.candidates:
            files += evaluate(tree / folder, tree, policy).tf_files
    return files, time.perf_counter() - start


def measure(label: str, tree: Path, work: Path) -> dict[str, float]:
    store_dir = work / f"store-{label}"
    files, classify_s = classify_only(tree)
    cold, cold_s = mine(tree, store_dir)
    warm, warm_s = mine(tree, store_dir)
    assert warm.tf_files_parsed == 0 and warm.accepted == 0, "second run re-parsed something"
    result = {
        "candidates": cold.candidates_seen,
        "accepted": cold.accepted,
        "rejected": cold.rejected,
        "tf_files": cold.tf_files_parsed,
        "cold_s": cold_s,
        "candidates_per_s": cold.candidates_seen / cold_s,
        "tf_files_per_s": cold.tf_files_parsed / cold_s,
        "second_s": warm_s,
        "speedup": cold_s / warm_s,
        "classify_files_per_s": files / classify_s,
    }
    print(
        f"{label:<10} {result['candidates']:>6} candidates ({cold.accepted} kept, "
        f"{cold.rejected} rejected)  {result['tf_files']:>6} .tf files\n"
        f"{'':<10} classify only {classify_s:6.2f}s  {files / classify_s:8.0f} .tf files/s\n"
        f"{'':<10} cold mine {cold_s:6.2f}s  {result['candidates_per_s']:6.0f} candidates/s  "
        f"{result['tf_files_per_s']:6.0f} .tf files/s (parse, decide, store)\n"
        f"{'':<10} second run {warm_s:6.3f}s  speed-up {result['speedup']:6.1f}x"
    )
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--keep", type=Path, help="work folder to keep (default: a temp dir)")
    args = parser.parse_args(argv)
    work = args.keep or Path(tempfile.mkdtemp(prefix="lsqm-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    results = {}
    try:
        if args.corpus.is_dir():
            results["corpus"] = measure("corpus", args.corpus, work)
        else:
            print(f"corpus {args.corpus} not found; skipped", file=sys.stderr)
        tree = work / "generated"
        if not tree.is_dir():
            generate(tree, args.files)
        results["generated"] = measure("generated", tree, work)
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    gen = results["generated"]
    ok = gen["tf_files_per_s"] >= 500 and gen["speedup"] >= 10
    print(
        f"targets: >= 500 .tf files/s cold -> {gen['tf_files_per_s']:.0f}; "
        f">= 10x second run -> {gen['speedup']:.1f}x: {'met' if ok else 'NOT met'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
