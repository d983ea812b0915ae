"""Code generator: turns schema/telemetry-api-v1.yaml into typed client code."""
