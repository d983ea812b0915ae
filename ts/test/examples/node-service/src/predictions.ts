import { TaskType, Provider, Complexity } from '@mosaicstack/telemetry-client';
import { telemetry } from './telemetry.js';

// Fetch predictions for all combinations you'll need
await telemetry.refreshPredictions([
  { task_type: TaskType.IMPLEMENTATION, model: 'claude-sonnet-4-5-20250929', provider: Provider.ANTHROPIC, complexity: Complexity.LOW },
  { task_type: TaskType.IMPLEMENTATION, model: 'claude-sonnet-4-5-20250929', provider: Provider.ANTHROPIC, complexity: Complexity.MEDIUM },
  { task_type: TaskType.IMPLEMENTATION, model: 'claude-sonnet-4-5-20250929', provider: Provider.ANTHROPIC, complexity: Complexity.HIGH },
  { task_type: TaskType.TESTING, model: 'claude-haiku-4-5-20251001', provider: Provider.ANTHROPIC, complexity: Complexity.LOW },
]);

const prediction = telemetry.getPrediction({
  task_type: TaskType.IMPLEMENTATION,
  model: 'claude-sonnet-4-5-20250929',
  provider: Provider.ANTHROPIC,
  complexity: Complexity.MEDIUM,
});

if (prediction?.prediction) {
  const p = prediction.prediction;
  console.log('Token predictions (median):', {
    inputTokens: p.input_tokens.median,
    outputTokens: p.output_tokens.median,
  });
  console.log('Cost prediction:', `$${(p.cost_usd_micros.median / 1_000_000).toFixed(2)}`);
  console.log('Duration prediction:', `${(p.duration_ms.median / 1000).toFixed(0)}s`);
  console.log('Correction factors:', {
    input: p.correction_factors.input, // >1.0 means estimates tend to be too low
    output: p.correction_factors.output,
  });
  console.log('Quality:', {
    gatePassRate: `${(p.quality.gate_pass_rate * 100).toFixed(0)}%`,
    successRate: `${(p.quality.success_rate * 100).toFixed(0)}%`,
  });

  // Check confidence level
  if (prediction.metadata.confidence === 'low') {
    console.warn('Low confidence — small sample size or fallback was applied');
  }
}
