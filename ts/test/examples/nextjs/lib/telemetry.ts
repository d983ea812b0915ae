// lib/telemetry.ts
import {
  TelemetryClient,
  TaskType,
  Complexity,
  Harness,
  Provider,
  Outcome,
  QualityGate,
} from '@mosaicstack/telemetry-client';

let client: TelemetryClient | null = null;

export function getTelemetryClient(): TelemetryClient {
  if (!client) {
    client = new TelemetryClient({
      serverUrl: process.env.TELEMETRY_API_URL!,
      apiKey: process.env.TELEMETRY_API_KEY!,
      instanceId: process.env.TELEMETRY_INSTANCE_ID!,
      enabled: process.env.NODE_ENV === 'production',
      onError: (err) => console.error('[telemetry]', err.message),
    });
    client.start();
  }
  return client;
}

// Re-export enums for convenience
export { TaskType, Complexity, Harness, Provider, Outcome, QualityGate };
