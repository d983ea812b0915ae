"""server_url checks: what is wrong with one, how to show it, and what may be used of it.

Credentials in a URL (`https://user:pw@host`) are never sent: an HTTP client turns them into an
`Authorization: Basic` header that would replace the API key. They are shown masked everywhere.
"""

from __future__ import annotations

from urllib.parse import SplitResult, urlsplit

_MASK = "***"


def _split(url: str) -> SplitResult | None:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number in range
    except ValueError:
        return None
    return parts


def _unsafe_characters(url: str) -> bool:
    return any(ord(c) <= 0x20 or ord(c) == 0x7F for c in url)


def mask(url: str) -> str:
    """The URL with any user:password replaced by ***, safe to print or log."""
    if "@" not in url:
        return url
    scheme, sep, rest = url.partition("://")
    if not sep:
        return _MASK if "@" in url.split("/", 1)[0] else url
    authority, slash, path = rest.partition("/")
    if "@" not in authority:
        return url
    return f"{scheme}://{_MASK}@{authority.rpartition('@')[2]}{slash}{path}"


def problem(url: str) -> str | None:
    """Why `url` cannot be a server_url (the URL shown masked), or None when it can."""
    shown = repr(mask(url))
    if not url.startswith(("http://", "https://")):
        return f"server_url must start with http:// or https://, got {shown}"
    if _unsafe_characters(url):
        return (
            f"server_url must not contain spaces or control characters (such as NUL), got {shown}"
        )
    parts = _split(url)
    if parts is None or not parts.hostname:
        return f"server_url must be http(s)://host[:port][/path], got {shown}"
    if "@" in parts.netloc:
        return (
            f"server_url must not contain credentials (user:password@), got {shown}: "
            "they are never sent; the API key is the only credential"
        )
    return None


def usable(url: str) -> str:
    """What the client may send to: the URL without credentials, or "" if it is unusable."""
    if not url.startswith(("http://", "https://")) or _unsafe_characters(url):
        return ""
    parts = _split(url)
    if parts is None or not parts.hostname:
        return ""
    if "@" in parts.netloc:
        host = parts.netloc.rpartition("@")[2]
        url = parts._replace(netloc=host).geturl()
    return url
