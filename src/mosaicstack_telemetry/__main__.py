"""`python -m mosaicstack_telemetry`: the `mosaic-telemetry` command line."""

from ._cli import entry_point

entry_point()
