"""API key / instance pairs: registering a known one, or creating one on a first start."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from ._keys import generate_key, hash_key, is_well_formed
from ._store import Store


@dataclass(frozen=True)
class Credentials:
    """An API key and the instance id it is bound to; the key never appears in the repr."""

    api_key: str = field(repr=False)
    instance_id: str

    def env_lines(self, server_url: str) -> list[str]:
        """The environment a client needs to talk to `server_url` with these credentials."""
        return [
            f"export MOSAIC_TELEMETRY_SERVER_URL={server_url}",
            f"export MOSAIC_TELEMETRY_API_KEY={self.api_key}",
            f"export MOSAIC_TELEMETRY_INSTANCE_ID={self.instance_id}",
        ]


def check_credentials(api_key: str, instance_id: str) -> tuple[str, str]:
    """The key and the instance id in canonical form; ValueError if either is malformed."""
    if not is_well_formed(api_key):
        raise ValueError("API key must be 64 hexadecimal characters")
    try:
        instance = str(uuid.UUID(instance_id))
    except ValueError:
        raise ValueError(f"instance id {instance_id!r} is not a UUID") from None
    return api_key, instance


def register(store: Store, api_key: str, instance_id: str) -> Credentials:
    """Store a caller-chosen key for `instance_id` (hashed); ValueError if either is malformed."""
    api_key, instance = check_credentials(api_key, instance_id)
    store.add_key(hash_key(api_key), instance)
    return Credentials(api_key, instance)


def create_key(store: Store, instance_id: str | None = None) -> Credentials:
    """A new random key, for `instance_id` or a new instance; ValueError for a malformed id."""
    return register(store, generate_key(), instance_id or str(uuid.uuid4()))


def create_if_first_start(store: Store) -> Credentials | None:
    """A new key for a new instance when the store has no key yet; None otherwise."""
    if store.stats().api_keys:
        return None
    return create_key(store)
