// app/api/task-complete/route.ts
import { NextResponse } from 'next/server';
import { getTelemetryClient, TaskType, Complexity, Harness, Provider, Outcome } from '@/lib/telemetry';

export async function POST(request: Request) {
  const body = await request.json();
  const client = getTelemetryClient();

  const event = client.eventBuilder.build({
    task_duration_ms: body.durationMs,
    task_type: TaskType.IMPLEMENTATION,
    complexity: Complexity.MEDIUM,
    harness: Harness.CLAUDE_CODE,
    model: body.model,
    provider: Provider.ANTHROPIC,
    estimated_input_tokens: body.estimatedInputTokens,
    estimated_output_tokens: body.estimatedOutputTokens,
    actual_input_tokens: body.actualInputTokens,
    actual_output_tokens: body.actualOutputTokens,
    estimated_cost_usd_micros: body.estimatedCostMicros,
    actual_cost_usd_micros: body.actualCostMicros,
    quality_gate_passed: body.qualityGatePassed,
    quality_gates_run: body.qualityGatesRun,
    quality_gates_failed: body.qualityGatesFailed,
    context_compactions: body.contextCompactions,
    context_rotations: body.contextRotations,
    context_utilization_final: body.contextUtilization,
    outcome: Outcome.SUCCESS,
    retry_count: 0,
    language: 'typescript',
  });

  client.track(event);

  return NextResponse.json({ status: 'queued' });
}
