"""`python -m mosaicstack_telemetry._cli`: the same as the `mosaic-telemetry` command."""

from . import entry_point

entry_point()
