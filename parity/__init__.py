"""The Python<->TypeScript parity gate: shipped surfaces compared, shared vectors, spec identity.

`python -m parity` runs the surface and spec-identity layers; the vectors run under pytest
(`parity/test_vectors.py`) and `node --test` (`parity/ts/vectors.test.mjs`). docs/parity.md
explains the whole gate.
"""
