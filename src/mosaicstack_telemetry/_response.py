"""Reading a response body with a size limit: a server cannot make the client hold gigabytes.

The endpoints send with `stream=True` and read through these; a body over the limit is never
read whole: reading stops, the connection is closed and ApiError says why.
"""

from __future__ import annotations

import httpx

from ._errors import ApiError, parse_retry_after

# A full event batch answer is about 15 KB and a prediction batch about 50 KB.
MAX_RESPONSE_BYTES = 1024 * 1024


def _too_large(response: httpx.Response, limit: int) -> ApiError:
    return ApiError(
        response.status_code,
        f"response body exceeds the {limit}-byte limit; not read",
        retry_after=parse_retry_after(response.headers.get("Retry-After")),
    )


def _complete(response: httpx.Response, body: bytes) -> httpx.Response:
    # The body is already decoded: the rebuilt response must not decode it again.
    headers = [
        (name, value)
        for name, value in response.headers.multi_items()
        if name.lower() not in ("content-encoding", "content-length", "transfer-encoding")
    ]
    return httpx.Response(
        response.status_code, headers=headers, content=body, request=response.request
    )


def read_bounded(response: httpx.Response, limit: int = MAX_RESPONSE_BYTES) -> httpx.Response:
    """The streamed response with its body read, at most `limit` bytes (ApiError beyond)."""
    chunks: list[bytes] = []
    size = 0
    try:
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > limit:
                raise _too_large(response, limit)
            chunks.append(chunk)
    finally:
        response.close()
    return _complete(response, b"".join(chunks))


async def aread_bounded(
    response: httpx.Response, limit: int = MAX_RESPONSE_BYTES
) -> httpx.Response:
    """The streamed response with its body read, at most `limit` bytes (ApiError beyond)."""
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > limit:
                raise _too_large(response, limit)
            chunks.append(chunk)
    finally:
        await response.aclose()
    return _complete(response, b"".join(chunks))
