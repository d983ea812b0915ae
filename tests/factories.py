"""Valid wire payloads to start tests from."""

from __future__ import annotations

import uuid
from typing import Any

INSTANCE_ID = "12345678-1234-1234-1234-123456789abc"
API_KEY = "a" * 64


def event_payload(**overrides: Any) -> dict[str, Any]:
    """A complete, valid TaskCompletionEvent as wire JSON."""
    payload: dict[str, Any] = {
        "instance_id": INSTANCE_ID,
        "event_id": str(uuid.uuid4()),
        "schema_version": "1.0",
        "timestamp": "2026-11-22T10:00:00Z",
        "task_duration_ms": 45000,
        "task_type": "implementation",
        "complexity": "medium",
        "harness": "claude_code",
        "model": "claude-sonnet-4-5-20250929",
        "provider": "anthropic",
        "estimated_input_tokens": 105000,
        "estimated_output_tokens": 45000,
        "actual_input_tokens": 112340,
        "actual_output_tokens": 38760,
        "estimated_cost_usd_micros": 630000,
        "actual_cost_usd_micros": 919200,
        "quality_gate_passed": True,
        "quality_gates_run": ["build", "lint", "test"],
        "quality_gates_failed": [],
        "context_compactions": 2,
        "context_rotations": 0,
        "context_utilization_final": 0.72,
        "outcome": "success",
        "retry_count": 0,
        "language": "typescript",
        "repo_size_category": None,
    }
    payload.update(overrides)
    return payload


def query_payload(**overrides: Any) -> dict[str, Any]:
    """A valid PredictionQuery as wire JSON."""
    payload: dict[str, Any] = {
        "task_type": "implementation",
        "model": "claude-sonnet-4-5-20250929",
        "provider": "anthropic",
        "complexity": "medium",
    }
    payload.update(overrides)
    return payload
