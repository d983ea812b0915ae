"""Python SDK for Mosaic Telemetry."""

from ._version import __version__

__all__ = ["__version__"]
