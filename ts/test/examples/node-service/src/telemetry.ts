// src/telemetry.ts
import { TelemetryClient } from '@mosaicstack/telemetry-client';

export const telemetry = new TelemetryClient({
  serverUrl: process.env.TELEMETRY_API_URL ?? 'https://tel-api.mosaicstack.dev',
  apiKey: process.env.TELEMETRY_API_KEY!,
  instanceId: process.env.TELEMETRY_INSTANCE_ID!,
  onError: (err) => console.error('[telemetry]', err.message),
});

telemetry.start();
