"""docs/llm.md's per-provider examples, run as written in a fresh interpreter: the real SDK
against the replay server, the telemetry client against the local server.

The SDKs read their base URL from the environment (ANTHROPIC_BASE_URL, OPENAI_BASE_URL,
OLLAMA_HOST, GOOGLE_GEMINI_BASE_URL); the OpenRouter and Mistral examples name their URL, which
the test replaces by exact string replacement (failing if the text is not there).
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests import llm_recordings as rec
from tests.llm_helpers import replay_fixture  # noqa: F401
from tests.llm_replay import ReplayServer, Reply
from tests.local_server import LocalServer

DOC = Path(__file__).resolve().parent.parent / "docs" / "llm.md"


def example(heading: str) -> str:
    """The first python block after a `### heading` line."""
    text = DOC.read_text(encoding="utf-8")
    section = text.split(f"\n### {heading}\n", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match is not None
    return match.group(1)


def run_example(code: str, replay: ReplayServer, server: LocalServer) -> list[dict[str, Any]]:
    env = {
        **os.environ,
        "PYTHONPATH": str(DOC.parent.parent),
        "ANTHROPIC_API_KEY": "test-key",
        "ANTHROPIC_BASE_URL": replay.url,
        "OPENAI_API_KEY": "test-key",
        "OPENAI_BASE_URL": replay.url + "/v1",
        "OPENROUTER_API_KEY": "test-key",
        "MISTRAL_API_KEY": "test-key",
        "OLLAMA_HOST": replay.url,
        "GEMINI_API_KEY": "test-key",
        "GOOGLE_GEMINI_BASE_URL": replay.url,
        "MOSAIC_TELEMETRY_SERVER_URL": server.url,
        "MOSAIC_TELEMETRY_API_KEY": server.api_key,
        "MOSAIC_TELEMETRY_INSTANCE_ID": server.instance_id,
    }
    env.pop("GOOGLE_API_KEY", None)
    result = subprocess.run(
        [sys.executable, "-W", "ignore::DeprecationWarning", "-c", code],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert not replay.replies, "the example made fewer requests than scripted"
    with sqlite3.connect(server.db_path) as db:
        rows = db.execute("SELECT payload FROM events ORDER BY rowid").fetchall()
    return [json.loads(row[0]) for row in rows]


def summary(events: list[dict[str, Any]]) -> list[tuple[str, int, int, int]]:
    return [
        (
            e["provider"],
            e["actual_input_tokens"],
            e["actual_output_tokens"],
            e["actual_cost_usd_micros"],
        )
        for e in events
    ]


def test_anthropic_example(replay: ReplayServer, local_server: LocalServer) -> None:
    replay.add(
        Reply.json(rec.anthropic_message()),
        Reply.sse(rec.anthropic_stream_events()),
        Reply.sse(rec.anthropic_stream_events()),
    )
    events = run_example(example("Anthropic"), replay, local_server)
    assert summary(events) == [("anthropic", 3100, 500, 13_050)] * 3


def test_openai_example(replay: ReplayServer, local_server: LocalServer) -> None:
    replay.add(
        Reply.json(rec.openai_completion()),
        Reply.sse(rec.openai_chunks(), done=True),
        Reply.sse(rec.responses_events()),
    )
    events = run_example(example("OpenAI (Chat Completions and Responses)"), replay, local_server)
    assert summary(events) == [
        ("openai", 2000, 300, 6_125),
        ("openai", 2000, 300, 6_125),
        ("openai", 1200, 900, 4_455),
    ]
    assert replay.requests[1].body["stream_options"] == {"include_usage": True}


def test_openrouter_example(replay: ReplayServer, local_server: LocalServer) -> None:
    usage = rec.openai_usage(cost=0.0123456)
    model = "anthropic/claude-sonnet-4.5"
    replay.add(
        Reply.json(rec.openai_completion(usage, model=model)),
        Reply.sse(rec.openai_chunks(model=model, usage=usage), done=True),
    )
    code = example("OpenRouter (through the OpenAI SDK)")
    url = '"https://openrouter.ai/api/v1"'
    assert url in code
    events = run_example(code.replace(url, repr(replay.url + "/v1")), replay, local_server)
    assert summary(events) == [("openrouter", 2000, 300, 12_346)] * 2


def test_mistral_example(replay: ReplayServer, local_server: LocalServer) -> None:
    usage = {"prompt_tokens": 1000, "completion_tokens": 200, "total_tokens": 1200}
    model = "mistral-large-latest"
    replay.add(
        Reply.json(rec.openai_completion(usage, model=model)),
        Reply.sse(rec.openai_chunks(model=model, usage=usage), done=True),
    )
    code = example("Mistral (through its OpenAI-compatible endpoint)")
    url = '"https://api.mistral.ai/v1"'
    assert url in code
    events = run_example(code.replace(url, repr(replay.url + "/v1")), replay, local_server)
    assert summary(events) == [("mistral", 1000, 200, 3_200)] * 2


def test_ollama_example(replay: ReplayServer, local_server: LocalServer) -> None:
    replay.add(
        Reply.json(rec.ollama_final(message={"role": "assistant", "content": "Hello"})),
        Reply.ndjson(rec.ollama_parts()),
    )
    events = run_example(example("Ollama"), replay, local_server)
    assert summary(events) == [("ollama", 26, 298, 0)] * 2


def test_gemini_example(replay: ReplayServer, local_server: LocalServer) -> None:
    replay.add(Reply.json(rec.gemini_response(rec.gemini_usage())), Reply.sse(rec.gemini_chunks()))
    events = run_example(example("Gemini (`google-genai`)"), replay, local_server)
    assert summary(events) == [("google", 1250, 800, 8_438)] * 2
