"""with_stream_usage: the opt-in that makes OpenAI-shaped streams report their usage."""

from __future__ import annotations

from typing import Any


def with_stream_usage(**kwargs: Any) -> dict[str, Any]:
    """The caller's kwargs plus `stream_options={"include_usage": True}` (a new dict).

    OpenAI (and OpenRouter, Mistral) streams carry usage only when asked, on an extra final
    chunk. Nothing changes a request silently: pass the result yourself, e.g.
    `client.chat.completions.create(**with_stream_usage(model=..., messages=..., stream=True))`.
    Other stream options the caller set are kept.
    """
    options = dict(kwargs.get("stream_options") or {})
    options["include_usage"] = True
    return {**kwargs, "stream_options": options}
