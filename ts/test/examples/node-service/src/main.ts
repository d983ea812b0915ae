// src/main.ts
import { telemetry } from './telemetry.js';

async function main() {
  // ... your application logic ...

  // On shutdown, flush remaining events
  process.on('SIGTERM', async () => {
    await telemetry.stop();
    process.exit(0);
  });
}

main();
