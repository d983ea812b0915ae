"""API keys: generation, the Bearer header's format, and the hash stored in place of a key."""

from __future__ import annotations

import hashlib
import re
import secrets

# The spec's bearerFormat: a key is 64 hexadecimal characters.
_KEY_RE = re.compile(r"[0-9a-fA-F]{64}")


def generate_key() -> str:
    """A new random API key: 64 lowercase hex characters (256 bits)."""
    return secrets.token_hex(32)


def is_well_formed(key: str) -> bool:
    """Whether `key` has the spec's shape (64 hex characters)."""
    return _KEY_RE.fullmatch(key) is not None


def hash_key(key: str) -> str:
    """The sha256 hex digest stored and compared in place of the key."""
    # Lowercased so the same hex key in either case is one key.
    return hashlib.sha256(key.lower().encode("ascii")).hexdigest()


def bearer_token(header: str | None) -> str | None:
    """The key from an `Authorization: Bearer <key>` header; None when absent or malformed."""
    if header is None:
        return None
    scheme, _, token = header.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not is_well_formed(token):
        return None
    return token
