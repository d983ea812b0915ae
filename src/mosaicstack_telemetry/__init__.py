"""Python SDK for Mosaic Telemetry."""
