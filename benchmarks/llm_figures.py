"""The LLM instrumentation figures of `make bench` (mosaicstack_telemetry.llm).

- the stream wrapper's overhead per streamed chunk: iterating a wrapped stream of Chat
  Completions chunks minus iterating the same chunks bare, per chunk;
- `llm_task` enter + `record(response)` + exit, which prices the call and queues the event.
"""

from __future__ import annotations

import statistics
import time
from typing import Any

from mosaicstack_telemetry import TelemetryClient, TelemetryConfig
from mosaicstack_telemetry.llm import wrap_stream

INSTANCE_ID = "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d"
CHUNKS = 20_000
CHUNK_BLOCKS = 30
TASK_BLOCK = 1_000
TASK_BLOCKS = 20


class Obj:
    """An SDK object stand-in: plain attributes, as pydantic models expose theirs."""

    def __init__(self, **fields: Any) -> None:
        self.__dict__.update(fields)


def chat_chunks(count: int) -> list[Obj]:
    """Content chunks, then the include_usage chunk with `choices == []`."""
    delta = [Obj(index=0, delta=Obj(content="tok"), finish_reason=None)]
    chunks = [
        Obj(object="chat.completion.chunk", model="gpt-4o", choices=delta, usage=None)
        for _ in range(count - 1)
    ]
    usage = Obj(prompt_tokens=1000, completion_tokens=count, total_tokens=1000 + count)
    chunks.append(Obj(object="chat.completion.chunk", model="gpt-4o", choices=[], usage=usage))
    return chunks


def run_stream_chunk(_sink: object) -> float:
    """Median overhead per chunk (us) of iterating through the wrapper."""
    chunks = chat_chunks(CHUNKS)
    reports: list[object] = []
    overheads = []
    for _ in range(CHUNK_BLOCKS):
        start = time.perf_counter()
        for _chunk in iter(chunks):
            pass
        bare = time.perf_counter() - start
        wrapped = wrap_stream(iter(chunks), reports.append)
        start = time.perf_counter()
        for _chunk in wrapped:
            pass
        overheads.append(time.perf_counter() - start - bare)
    if len(reports) != CHUNK_BLOCKS:
        raise RuntimeError(f"{len(reports)} usage reports for {CHUNK_BLOCKS} streams")
    return statistics.median(overheads) / CHUNKS * 1e6


def anthropic_message() -> Obj:
    usage = Obj(
        input_tokens=100,
        cache_read_input_tokens=2000,
        cache_creation_input_tokens=1000,
        cache_creation=None,
        output_tokens=500,
        output_tokens_details=None,
    )
    return Obj(
        type="message", model="claude-sonnet-4-5-20250929", stop_reason="end_turn", usage=usage
    )


def run_llm_task(_sink: object) -> float:
    """Median time (us) of `with client.llm_task(...) as t: t.record(response)`."""
    client = TelemetryClient(
        TelemetryConfig(
            server_url="http://127.0.0.1:9",
            api_key="0" * 64,
            instance_id=INSTANCE_ID,
            max_queue_size=TASK_BLOCK,
        )
    )
    response = anthropic_message()
    llm_task = client.llm_task
    blocks = []
    for _ in range(TASK_BLOCKS):
        start = time.perf_counter()
        for _ in range(TASK_BLOCK):
            with llm_task(task_type="implementation", harness="claude_code") as task:
                task.record(response)
        blocks.append(time.perf_counter() - start)
        if client.queue_size != TASK_BLOCK:
            raise RuntimeError(f"queue holds {client.queue_size} events, expected {TASK_BLOCK}")
        client._queue.drain(TASK_BLOCK)  # never started: nothing is sent
    return statistics.median(blocks) / TASK_BLOCK * 1e6
