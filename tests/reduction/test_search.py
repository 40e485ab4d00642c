"""The reduction search over real HCL, with a predicate over the configuration as the
probe: it decides what the emulator would, so the search's choices and cost are checked."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

from lsqm.records import Result, Status
from lsqm.reduction.hcl_edit import Config
from lsqm.reduction.probe import read_candidate, write_candidate
from lsqm.reduction.pytests import AppTests
from lsqm.reduction.search import Candidate, Search, ddmin, reduce
from lsqm.reduction.session import hint_from

TWELVE = """
terraform {
  required_providers {
    aws = { source = "hashicorp/aws" }
  }
}

provider "aws" {
  region = var.region
}

variable "region" {
  default = "us-east-1"
}

variable "prefix" {
  default = "demo"
}

locals {
  name = "${var.prefix}-app"
  tags = { app = local.name }
}

resource "aws_sqs_queue" "jobs" {
  name                       = "${local.name}-jobs"
  visibility_timeout_seconds = 45
  tags                       = local.tags
}

resource "aws_sqs_queue" "dead" {
  name = "${local.name}-dead"
}

resource "aws_sns_topic" "events" {
  name = "${local.name}-events"
}

resource "aws_sns_topic_subscription" "to_jobs" {
  topic_arn = aws_sns_topic.events.arn
  protocol  = "sqs"
  endpoint  = aws_sqs_queue.jobs.arn
}

resource "aws_s3_bucket" "data" {
  bucket = "${local.name}-data"
}

resource "aws_dynamodb_table" "items" {
  name         = "${local.name}-items"
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "id"
  attribute {
    name = "id"
    type = "S"
  }
  tags = local.tags
}

resource "aws_ssm_parameter" "config" {
  name  = "/${local.name}/config"
  type  = "String"
  value = aws_s3_bucket.data.bucket
}

resource "aws_cognito_user_pool" "users" {
  name = "${local.name}-users"
  tags = local.tags
  password_policy {
    minimum_length = 8
  }
}

resource "aws_cognito_user_pool_client" "web" {
  name         = "web"
  user_pool_id = aws_cognito_user_pool.users.id
}

output "queue_url" {
  value = aws_sqs_queue.jobs.id
}

output "pool_id" {
  value = aws_cognito_user_pool.users.id
}
"""

TESTS = AppTests(
    (
        (
            "test_app.py",
            "import os\n\n\ndef helper():\n    return 1\n\n\n"
            "def test_queue():\n    assert helper() == 1\n\n\n"
            "def test_pool():\n    assert 'pool_id' == ''\n\n\n"
            "class TestMore:\n    def test_topic(self):\n        pass\n",
        ),
    )
)


def _has_cognito(candidate: Candidate) -> bool:
    return "aws_cognito_user_pool" in candidate.main_tf


def _search(check, batch: int = 1) -> tuple[Search, list[Candidate]]:  # type: ignore[no-untyped-def]
    seen: list[Candidate] = []

    def probe(candidates: Sequence[Candidate]) -> list[bool]:
        seen.extend(candidates)
        return [check(c) for c in candidates]

    start = Candidate(Config.parse([TWELVE]), TESTS)
    return Search(start, probe, batch=batch), seen


def test_units_go_with_what_references_them_and_the_cause_stays() -> None:
    search, seen = _search(_has_cognito)
    best = reduce(search)
    assert best.config.resources() == ["aws_cognito_user_pool.users"]
    # every probed candidate parsed and resolved all its references
    assert all(not c.config.problems() for c in seen)
    for candidate in seen:
        config = candidate.config
        for unit in config.units:
            text_refs = config.references(unit)
            assert text_refs <= set(config.addresses)
    # arguments the predicate does not need went too; locals were inlined
    main = best.main_tf
    assert "password_policy" not in main and "local." not in main and "var." not in main
    assert 'provider "aws"' in main and "required_providers" in main
    assert best.tests.test_ids() == []  # nothing in the predicate needs a test
    assert len(set(c.key for c in seen)) == len(seen), "a candidate was probed twice"
    assert search.probes == len(seen)


def test_a_hint_spares_probes() -> None:
    plain, _ = _search(_has_cognito)
    reduce(plain)
    hinted, _ = _search(_has_cognito)
    best = reduce(hinted, hint=["aws_cognito_user_pool.users"])
    assert best.config.resources() == ["aws_cognito_user_pool.users"]
    assert hinted.probes < plain.probes


def test_a_resource_keeps_what_it_cannot_live_without() -> None:
    def client_fails(c: Candidate) -> bool:
        # user_pool_id is required: Terraform rejects the client without it
        return "aws_cognito_user_pool_client" in c.main_tf and "user_pool_id" in c.main_tf

    search, _ = _search(client_fails)
    best = reduce(search)
    assert best.config.resources() == [
        "aws_cognito_user_pool.users",
        "aws_cognito_user_pool_client.web",
    ]
    assert "user_pool_id = aws_cognito_user_pool.users.id" in best.main_tf


def test_a_test_stage_failure_keeps_the_one_test_and_its_resources() -> None:
    def pool_test_fails(c: Candidate) -> bool:
        return "def test_pool" in c.tests.files[0][1] and 'output "pool_id"' in c.main_tf

    search, _ = _search(pool_test_fails)
    best = reduce(search)
    assert best.tests.test_ids() == ["test_app.py::test_pool"]
    assert "hint: keep output.pool_id and what it needs" in search.log
    assert "def helper" in best.tests.files[0][1]  # helpers stay
    assert best.config.resources() == ["aws_cognito_user_pool.users"]
    assert [u.address for u in best.config.units if u.kind == "output"] == ["output.pool_id"]


def test_parallel_batches_find_the_same_answer() -> None:
    one, _ = _search(_has_cognito)
    two, _ = _search(_has_cognito, batch=2)
    assert reduce(one).key == reduce(two).key


def test_a_budget_that_runs_out_keeps_the_smallest_confirmed_candidate() -> None:
    calls = 0

    def check(c: Candidate) -> bool:
        nonlocal calls
        calls += 1
        return _has_cognito(c)

    search, seen = _search(check)
    search.deadline = time.monotonic() - 1  # already out of time: nothing is probed
    best = reduce(search)
    assert search.out_of_time and calls == 0 and best.key == seen[0].key if seen else True
    assert best.config.resources() == Config.parse([TWELVE]).resources()

    search, seen = _search(check)
    probes = 0

    def limited(candidates: Sequence[Candidate]) -> list[bool]:
        nonlocal probes
        probes += len(candidates)
        if probes >= 4:
            search.deadline = 0  # the budget ends after this batch
        return [_has_cognito(c) for c in candidates]

    search.check = limited
    best = reduce(search)
    assert search.out_of_time and _has_cognito(best)
    assert len(best.config.resources()) < len(Config.parse([TWELVE]).resources())


def test_a_probe_cut_short_is_unknown_never_cached_and_ends_the_search() -> None:
    start = Candidate(Config.parse([TWELVE]), TESTS)
    asked: list[str] = []

    def check(candidates: Sequence[Candidate]) -> list[bool | None]:
        asked.extend(c.key for c in candidates)
        # the first probe holds; the second one's probe is cut short by the budget
        return [True if len(asked) == 1 else None for _ in candidates]

    search = Search(start, check)
    best = reduce(search, ["aws_cognito_user_pool.users"])
    assert search.out_of_time and len(asked) == 2 and search.probes == 2
    assert search.cache == {asked[0]: True}  # the unknown answer counts neither way
    assert best.key == asked[0] and best.tests.test_ids() == []  # tests pass's first try


def test_the_search_stops_in_time_to_confirm_its_best_candidate() -> None:
    search, seen = _search(_has_cognito)
    search.deadline = time.monotonic() + 60
    # confirming the best candidate takes longer than what is left: no probe starts
    search.reserve = lambda candidate: 61.0 if candidate.key == search.best.key else 0.0
    best = reduce(search)
    assert search.out_of_time and seen == [] and best.key == search.best.key
    search, seen = _search(_has_cognito)
    search.deadline, search.reserve = time.monotonic() + 60, lambda _c: 1.0
    assert len(reduce(search).config.resources()) == 1 and not search.out_of_time


def test_a_candidate_that_cannot_show_the_failure_is_never_probed() -> None:
    def needs_a_test(c: Candidate) -> bool:
        return _has_cognito(c) and "test_pool" in c.tests.files[0][1]

    search, seen = _search(needs_a_test)
    plain = reduce(search)
    search, fewer = _search(needs_a_test)
    search.viable = lambda c: bool(c.tests.test_ids()) and bool(c.config.resources())
    assert reduce(search).key == plain.key  # the same answer
    assert len(fewer) < len(seen) and all(c.tests.test_ids() for c in fewer)
    assert all(c.config.resources() for c in fewer) and search.invalid > 0


def test_ddmin_is_one_minimal() -> None:
    start = Candidate(Config.parse([TWELVE]), TESTS)
    items = [f"x{i}" for i in range(16)]
    wanted = {"x3", "x11"}

    def build(keep: list[str]) -> Candidate:
        return Candidate(start.config, AppTests((("t.py", "\n".join(sorted(keep))),)))

    def check(cs: Sequence[Candidate]) -> list[bool]:
        return [wanted <= set(c.tests.files[0][1].split()) for c in cs]

    search = Search(start, check)
    assert sorted(ddmin(items, build, search)) == ["x11", "x3"]
    assert search.probes < 40


def test_an_invalid_candidate_is_never_probed() -> None:
    broken = Config.parse(['resource "aws_sqs_queue" "q" {\n  name = \n}\n'])
    assert broken.problems()
    search = Search(Candidate(broken, AppTests(())), lambda cs: [True for _ in cs])
    assert search.first_holding([Candidate(broken, AppTests(()))]) is None
    assert search.probes == 0 and search.invalid == 1


def test_removing_what_a_provider_block_needs_is_refused() -> None:
    config = Config.parse([TWELVE])
    assert config.without(["var.region"]) is None
    assert "var.region" in config.without(["aws_s3_bucket.data"]).addresses  # type: ignore[union-attr]
    gone = config.without(["aws_s3_bucket.data"])
    assert gone is not None and "aws_ssm_parameter.config" not in gone.addresses


ROOT_WITH_MODULE = """
provider "aws" {
  region = "us-east-1"
}

module "app" {
  source = "./modules/app"
  prefix = "demo"
}

resource "aws_sqs_queue" "root_only" {
  name = "root-only"
}

output "pool" {
  value = module.app.pool_id
}
"""

MODULE_APP = """
variable "prefix" {
  type = string
}

resource "aws_cognito_user_pool" "users" {
  name = "${var.prefix}-users"
}

resource "aws_sqs_queue" "jobs" {
  name = "${var.prefix}-jobs"
}

resource "aws_sns_topic" "events" {
  name = "${var.prefix}-events"
}

resource "aws_sns_topic_subscription" "to_jobs" {
  topic_arn = aws_sns_topic.events.arn
  protocol  = "sqs"
  endpoint  = aws_sqs_queue.jobs.arn
}

output "pool_id" {
  value = aws_cognito_user_pool.users.id
}

output "queue_url" {
  value = aws_sqs_queue.jobs.id
}
"""


def test_a_local_module_is_cut_inside_keeping_what_the_caller_reads() -> None:
    root = Config.parse([ROOT_WITH_MODULE])
    assert root.local_modules() == {"modules/app": ["app"]}
    assert root.outputs_read(["app"]) == {"pool_id"}
    start = Candidate(root, AppTests(()), (("modules/app", Config.parse([MODULE_APP])),))
    # the failure: the user pool inside the module, seen through the root's output (as a
    # test reading it would)
    seen: list[Candidate] = []

    def fails(c: Candidate) -> bool:
        inside = "".join(text for _, text in c.module_files())
        return "aws_cognito_user_pool" in inside and 'output "pool"' in c.main_tf

    def check(candidates: Sequence[Candidate]) -> list[bool | None]:
        seen.extend(candidates)
        return [fails(c) for c in candidates]

    search = Search(start, check)
    best = reduce(search, ["module.app"])
    assert best.config.resources() == ["module.app"]  # the root queue went
    ((path, module),) = best.live_modules()
    assert path == "modules/app"
    assert module.resources() == ["aws_cognito_user_pool.users"]
    # the output the caller reads stays, the other goes; the variable the caller sets stays
    outputs = [u.address for u in module.units if u.kind == "output"]
    assert outputs == ["output.pool_id"] and "var.prefix" in module.addresses
    assert [p for p, _ in best.module_files()] == ["modules/app/main.tf"]
    assert best.lines < start.lines and not best.problems()
    # no candidate that lost an output the root reads was ever probed
    assert all("output.pool_id" in dict(c.modules)["modules/app"].addresses for c in seen)
    # nor one that loses the pool behind it: it is refused as a whole
    broken = start.with_module(
        "modules/app", Config.parse([MODULE_APP.split('output "pool_id"')[0]])
    )
    assert broken.problems() == ["modules/app: output pool_id is read but gone"]


def test_a_module_call_that_goes_takes_its_module_along() -> None:
    start = Candidate(Config.parse([ROOT_WITH_MODULE]), AppTests(()),
                      (("modules/app", Config.parse([MODULE_APP])),))  # fmt: skip
    without = start.config.without(["module.app"])
    assert without is not None and "output.pool" not in without.addresses
    gone = Candidate(without, start.tests, start.modules)
    assert gone.live_modules() == [] and gone.module_files() == []
    assert gone.lines == len(gone.main_tf.splitlines())


def test_a_candidate_with_a_module_is_written_and_read_back_the_same(tmp_path: Path) -> None:
    arch = tmp_path / "arch"
    (arch / "modules" / "app").mkdir(parents=True)
    (arch / "main.tf").write_text(ROOT_WITH_MODULE)
    (arch / "modules" / "app" / "main.tf").write_text(MODULE_APP.split("resource")[0])
    (arch / "modules" / "app" / "rest.tf").write_text(
        "resource" + MODULE_APP.split("resource", 1)[1]
    )
    (arch / "modules" / "app" / "handler.py").write_text("print('asset')\n")
    start = read_candidate(arch, AppTests(()), arch)
    assert [p for p, _ in start.modules] == ["modules/app"]
    module = dict(start.modules)["modules/app"]
    smaller = start.with_module("modules/app", module.without(["aws_sns_topic.events"]))  # type: ignore[arg-type]
    out = tmp_path / "out"
    write_candidate(arch, ".", smaller, out)
    assert sorted(p.name for p in (out / "modules" / "app").iterdir()) == ["handler.py", "main.tf"]
    assert read_candidate(out, AppTests(()), out).key == smaller.key
    # a module folder outside the architecture is not read (nor written)
    (arch / "main.tf").write_text(ROOT_WITH_MODULE.replace("./modules/app", "../../elsewhere"))
    assert read_candidate(arch, AppTests(()), arch).modules == ()


def test_the_hint_names_the_resource_a_failure_points_at() -> None:
    config = Config.parse([TWELVE + 'resource "aws_api_gateway_domain_name" "d" {\n}\n'])

    def result(signature: str, message: str = "") -> Result:
        return Result(arch_hash="a", status=Status.FAILED, signature=signature, message=message)

    crash = "provider crashed in resourceAwsApiGatewayDomainNameRead: runtime error: nil pointer"
    assert hint_from(result(crash), config) == ["aws_api_gateway_domain_name.d"]
    call = "cognito-idp.CreateUserPool 501 InternalFailure"
    assert hint_from(result(call), config) == ["aws_cognito_user_pool.users"]
    said = "Error: x\n\n  with aws_sqs_queue.dead,\n  on main.tf line 3"
    assert hint_from(result("whatever", said), config) == ["aws_sqs_queue.dead"]
