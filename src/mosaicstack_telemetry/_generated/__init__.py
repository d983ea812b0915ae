# Generated from schema/telemetry-api-v1.yaml (sha256 68044488106d1b42655f7e8334dbd5e08903f437644d5c2b76dcacbf3e9b9e93).
# Do not edit by hand: change the spec or codegen/, then run `make generate`
# (python -m codegen generate).
"""Code generated from the Telemetry API spec: models (models.py) and endpoint stubs (endpoints.py)."""
