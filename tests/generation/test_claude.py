"""The Claude generator through the real ``anthropic`` SDK, pointed (``ANTHROPIC_BASE_URL``)
at a local HTTP server that speaks the Messages API, driven through the CLI."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from lsqm.cli import main
from lsqm.generation.architecture import read_architecture
from lsqm.generation.claude import build_prompt
from lsqm.records import ArchitectureRecord
from lsqm.store import ArtifactStore

FIXTURES = Path(__file__).parent / "fixtures"
PATH = "/v1/messages"

GOOD_TEST = '''"""Written by the model."""


def test_orders_queue_delivers_a_message(state, aws):
    for queue in state.instances("aws_sqs_queue.orders"):
        sqs = aws("sqs", queue)
        url = queue["values"]["url"]
        sqs.send_message(QueueUrl=url, MessageBody="hello")
        got = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=2)
        assert [m["Body"] for m in got["Messages"]] == ["hello"]
'''
COVERAGE = [
    {"address": "aws_sqs_queue.orders", "level": "behavioural"},
    {"address": "aws_ssm_parameter.level", "level": "behavioural"},  # claimed, not tested
]


def tool_answer(files: dict[str, str], *, stop: str = "tool_use", out: int = 500) -> dict:
    return {
        "id": "msg_01",
        "type": "message",
        "role": "assistant",
        "model": "claude-sonnet-5-5",
        "content": [
            {
                "type": "tool_use",
                "id": "toolu_01",
                "name": "write_tests",
                "input": {
                    "files": [{"name": n, "content": t} for n, t in files.items()],
                    "coverage": COVERAGE,
                },
            }
        ],
        "stop_reason": stop,
        "stop_sequence": None,
        "usage": {"input_tokens": 1200, "output_tokens": out},
    }


def text_answer(text: str) -> dict:
    answer = tool_answer({})
    answer["content"] = [{"type": "text", "text": text}]
    answer["stop_reason"] = "end_turn"
    return answer


def error(kind: str, message: str) -> dict:
    return {"type": "error", "error": {"type": kind, "message": message}}


GOOD = tool_answer({"test_orders.py": GOOD_TEST})


@pytest.fixture
def arch_store(tmp_path: Path) -> tuple[ArtifactStore, list[str]]:
    store = ArtifactStore(tmp_path / "artifacts")
    hashes = [store.add_architecture(FIXTURES / "orders", ArchitectureRecord(name="orders"))]
    other = tmp_path / "orders2"
    shutil.copytree(FIXTURES / "orders", other)
    text = (other / "main.tf").read_text().replace('"orders"', '"orders2"')
    (other / "main.tf").write_text(text)
    hashes.append(store.add_architecture(other, ArchitectureRecord(name="orders2")))
    return store, hashes


@pytest.fixture
def claude_env(httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch) -> HTTPServer:
    monkeypatch.setenv("ANTHROPIC_BASE_URL", httpserver.url_for("/").rstrip("/"))
    return httpserver


def generate(store: ArtifactStore, *args: str) -> tuple[int, Any]:
    import io
    from contextlib import redirect_stdout

    out = io.StringIO()
    with redirect_stdout(out):
        code = main(["--artifacts", str(store.root), "generate", "--generator", "claude",
                     "--format", "json", *args])  # fmt: skip
    return code, json.loads(out.getvalue()) if out.getvalue().strip() else None


def bodies(server: HTTPServer) -> list[dict]:
    return [json.loads(request.get_data()) for request, _response in server.log]


def test_good_answer_is_gated_measured_and_stored(claude_env: HTTPServer, arch_store) -> None:
    store, hashes = arch_store
    claude_env.expect_ordered_request(PATH, method="POST").respond_with_json(GOOD)
    code, summary = generate(store, "--arch", hashes[0])
    assert code == 0 and summary["counts"] == {"generated": 1}

    request, _ = claude_env.log[0]
    sent = request.headers.get("x-api-key") or request.headers.get("Authorization", "")
    assert sent.endswith("sk-ant-" + "B" * 40)  # this SDK version sends it as a bearer token
    body = bodies(claude_env)[0]
    assert body["model"] == "claude-sonnet-5-5"
    assert body["tool_choice"] == {"type": "tool", "name": "write_tests"}
    assert [t["name"] for t in body["tools"]] == ["write_tests"]
    assert "What a test sees" in body["system"]
    prompt = body["messages"][0]["content"]
    assert "- aws_sqs_queue.orders" in prompt and "=== main.tf ===" in prompt

    app = store.app(hashes[0])
    assert app.generator == "claude" and app.model == "claude-sonnet-5-5"
    assert app.tokens == {"input": 1200, "output": 500}
    assert app.cost_usd == pytest.approx((1200 * 3 + 500 * 15) / 1e6)
    assert app.checks["passed"] is True and app.checks["collected"] == 1
    assert app.metrics["tests"] == 1 and app.metrics["api_calls"] == 2
    levels = {c["address"]: c for c in app.coverage}
    assert levels["aws_sqs_queue.orders"]["level"] == "behavioural"
    # a claim no test backs is not believed
    assert levels["aws_ssm_parameter.level"]["level"] == "none"
    assert "no test names" in levels["aws_ssm_parameter.level"]["reason"]
    files = sorted(p.name for p in store.app_dir(hashes[0]).iterdir())
    assert [f for f in files if not f.startswith("lsqm_checks")] == [
        "app.json",
        "conftest.py",
        "test_orders.py",
    ]
    assert "lsqm_checks.py" in files and "lsqm_checks_sqs.py" in files


def test_malformed_answer_gets_one_repair_round(claude_env: HTTPServer, arch_store) -> None:
    store, hashes = arch_store
    claude_env.expect_ordered_request(PATH).respond_with_json(text_answer("Here you go: {"))
    claude_env.expect_ordered_request(PATH).respond_with_json(GOOD)
    code, summary = generate(store, "--arch", hashes[0])
    assert code == 0 and summary["counts"] == {"generated": 1}
    repair = bodies(claude_env)[1]["messages"]
    assert repair[1]["role"] == "assistant"
    assert "no write_tests tool call" in repair[2]["content"]
    assert store.app(hashes[0]).tokens == {"input": 2400, "output": 1000}


def test_refused_code_is_explained_to_the_model(claude_env: HTTPServer, arch_store) -> None:
    store, hashes = arch_store
    bad = tool_answer({"test_bad.py": "import subprocess\n\ndef test_a():\n    pass\n"})
    claude_env.expect_ordered_request(PATH).respond_with_json(bad)
    claude_env.expect_ordered_request(PATH).respond_with_json(GOOD)
    code, _ = generate(store, "--arch", hashes[0])
    assert code == 0
    reply = bodies(claude_env)[1]["messages"][2]["content"][0]
    assert reply["type"] == "tool_result" and reply["is_error"] is True
    assert reply["tool_use_id"] == "toolu_01"
    assert "imports subprocess" in reply["content"]


def test_malformed_twice_fails_that_architecture_and_stores_nothing(
    claude_env: HTTPServer, arch_store
) -> None:
    store, hashes = arch_store
    shapeless = tool_answer({})
    shapeless["content"][0]["input"] = {"files": "test_x.py"}
    claude_env.expect_ordered_request(PATH).respond_with_json(shapeless)
    claude_env.expect_ordered_request(PATH).respond_with_json(text_answer("sorry"))
    code, summary = generate(store, "--arch", hashes[0])
    assert code == 1
    assert summary["results"][0]["status"] == "failed"
    assert "no write_tests tool call" in summary["results"][0]["message"]
    assert store.app(hashes[0]) is None


def test_truncated_answer_is_asked_again_with_more_room(claude_env: HTTPServer, arch_store) -> None:
    store, hashes = arch_store
    cut = tool_answer({"test_orders.py": GOOD_TEST[:80]}, stop="max_tokens", out=16000)
    claude_env.expect_ordered_request(PATH).respond_with_json(cut)
    claude_env.expect_ordered_request(PATH).respond_with_json(GOOD)
    code, _ = generate(store, "--arch", hashes[0])
    assert code == 0
    assert [b["max_tokens"] for b in bodies(claude_env)] == [16000, 32000]
    assert store.app(hashes[0]).tokens["output"] == 16500


@pytest.mark.parametrize(
    ("status", "kind"), [(429, "rate_limit_error"), (529, "overloaded_error"), (500, "api_error")]
)
def test_rate_limit_and_overload_are_retried(
    claude_env: HTTPServer, arch_store, status: int, kind: str
) -> None:
    store, hashes = arch_store
    claude_env.expect_ordered_request(PATH).respond_with_json(
        error(kind, "slow down"), status=status, headers={"retry-after": "0"}
    )
    claude_env.expect_ordered_request(PATH).respond_with_json(GOOD)
    code, summary = generate(store, "--arch", hashes[0])
    assert code == 0 and summary["counts"] == {"generated": 1}
    assert len(claude_env.log) == 2


def test_persistent_overload_gives_up_after_the_attempts(
    claude_env: HTTPServer, arch_store
) -> None:
    store, hashes = arch_store
    claude_env.expect_request(PATH).respond_with_json(
        error("overloaded_error", "Overloaded"), status=529, headers={"retry-after": "0"}
    )
    code, summary = generate(store, "--arch", hashes[0])
    assert code == 1
    assert "kept failing: HTTP 529" in summary["results"][0]["message"]
    assert len(claude_env.log) == 5


def test_budget_stops_the_run_cleanly(claude_env: HTTPServer, arch_store) -> None:
    """The first call fits the budget; the second's estimate does not: it is never sent,
    the first app stays stored, the rest is reported as not attempted."""
    store, _ = arch_store
    claude_env.expect_request(PATH).respond_with_json(
        tool_answer({"test_orders.py": GOOD_TEST}, out=12_000)
    )
    code, summary = generate(store, "--budget", "30000")
    assert code == 0
    assert len(claude_env.log) == 1
    assert summary["budget_exhausted"] is True
    assert summary["tokens"] == {"input": 1200, "output": 12000}
    statuses = [r["status"] for r in summary["results"]]
    assert statuses == ["generated", "not_attempted"]
    assert "token budget 30000 would be exceeded" in summary["results"][1]["message"]
    assert store.has_app(summary["results"][0]["arch_hash"])
    assert not store.has_app(summary["results"][1]["arch_hash"])


def test_budget_too_small_for_any_call_sends_nothing(claude_env: HTTPServer, arch_store) -> None:
    store, _ = arch_store
    code, summary = generate(store, "--budget", "100")
    assert code == 0 and claude_env.log == []
    assert summary["counts"] == {"not_attempted": 2}


def test_refused_key_is_a_missing_credential(claude_env: HTTPServer, arch_store) -> None:
    store, hashes = arch_store
    claude_env.expect_request(PATH).respond_with_json(
        error("authentication_error", "invalid x-api-key"), status=401
    )
    code, _ = generate(store, "--arch", hashes[0])
    assert code == 3


def test_no_key_says_how_to_proceed(
    arch_store, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    store, _ = arch_store
    monkeypatch.delenv("ANTHROPIC_API_KEY")
    code, _ = generate(store)
    assert code == 3
    assert "ANTHROPIC_API_KEY" in capsys.readouterr().err


def test_prompt_says_what_did_not_fit(tmp_path: Path) -> None:
    folder = tmp_path / "arch"
    shutil.copytree(FIXTURES / "orders", folder)
    (folder / "big.json").write_text("x" * 5000)
    (folder / "lambda.zip").write_bytes(b"PK\x03\x04")
    arch = read_architecture(folder, "h", {"name": "arch"})
    prompt = build_prompt(arch, byte_budget=2000)
    assert prompt.included == ["main.tf"]
    assert prompt.cut == ["big.json (5000 bytes, over the prompt budget)", "lambda.zip (not text)"]
    assert "Left out of this prompt: big.json" in prompt.text
