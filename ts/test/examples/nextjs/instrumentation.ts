// instrumentation.ts (Next.js instrumentation file)
export async function register() {
  if (process.env.NEXT_RUNTIME === 'nodejs') {
    const { getTelemetryClient } = await import('./lib/telemetry');

    // Ensure the client starts on server boot
    getTelemetryClient();

    // Flush remaining events on shutdown
    const shutdown = async () => {
      const { getTelemetryClient } = await import('./lib/telemetry');
      const client = getTelemetryClient();
      await client.stop();
      process.exit(0);
    };

    process.on('SIGTERM', shutdown);
    process.on('SIGINT', shutdown);
  }
}
