"""Property tests of the byte-level input surfaces: the CLI's `validate`/`send` input lines and
the local server's request bodies and headers (over HTTP, on 127.0.0.1).

For every input: no traceback, no hang, no 5xx, a clear error for invalid input, the key in no
output, and every line or event accounted for. Case counts: tests/properties.py.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from mosaicstack_telemetry._cli import main
from mosaicstack_telemetry._cli._validate import parse_lines
from mosaicstack_telemetry._generated.models import BatchEventResponse, PredictionBatchResponse
from tests.factories import API_KEY, INSTANCE_ID, event_payload, query_payload
from tests.local_server import LocalServer
from tests.properties import (
    cases,
    input_lines,
    json_line,
    json_values,
    mostly,
    mutated_events,
)
from tests.secrets_log import all_logs

# --- CLI input lines -------------------------------------------------------------------------


@cases("cli_lines")
@given(st.lists(input_lines, max_size=6))
@example([b"[" * 3000 + b"\n"])
@example([b'{"model": "\\ud800"}\n', b"\xff\n"])
def test_every_non_blank_line_gets_an_event_or_named_errors(lines: list[bytes]) -> None:
    parsed = list(parse_lines(lines))
    expected = [n for n, raw in enumerate(lines, start=1) if raw.strip()]
    assert [p.number for p in parsed] == expected
    for line in parsed:
        assert (line.event is None) == bool(line.errors)
        for path, message in line.errors:
            assert path
            assert message


@pytest.fixture
def jsonl(tmp_path: Path) -> Path:
    return tmp_path / "events.jsonl"


def _non_blank(path: Path) -> int:
    # JSON Lines are separated by \n only (a lone \r is inside a line, as the CLI reads it).
    return sum(1 for raw in path.read_bytes().split(b"\n") if raw.strip())


def _write(path: Path, lines: list[bytes]) -> None:
    # Each line on its own: a generated line without a newline must not swallow the next.
    path.write_bytes(b"".join(line if line.endswith(b"\n") else line + b"\n" for line in lines))


@cases("cli_validate")
@given(st.lists(input_lines, max_size=5))
@example([b'{"a": 1}\r{"b": 2}', b"\x0b\r\n"])
def test_validate_reports_every_bad_line_and_exits_0_or_1(
    jsonl: Path, capsys: pytest.CaptureFixture[str], lines: list[bytes]
) -> None:
    _write(jsonl, lines)
    status = main(["validate", str(jsonl)])
    out, err = capsys.readouterr()
    non_blank = _non_blank(jsonl)
    summary = re.search(r": (\d+) valid, (\d+) invalid of (\d+) events?\n\Z", out)
    assert summary is not None, out
    valid, invalid, total = map(int, summary.groups())
    assert total == non_blank
    assert valid + invalid == total
    assert status == (1 if invalid else 0)
    assert "Traceback" not in out + err


_SENDABLE = st.one_of(
    st.builds(lambda: json_line(event_payload(event_id=None) | {"event_id": _uuid()})),
    st.builds(json_line, mutated_events()),
    input_lines,
)


def _uuid() -> str:
    import uuid

    return str(uuid.uuid4())


@cases("cli_send")
@given(st.lists(_SENDABLE, min_size=1, max_size=6))
def test_send_accounts_for_every_line_and_never_prints_the_key(
    local_server: LocalServer,
    jsonl: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    lines: list[bytes],
) -> None:
    monkeypatch.setenv("MOSAIC_TELEMETRY_SERVER_URL", local_server.url)
    monkeypatch.setenv("MOSAIC_TELEMETRY_API_KEY", API_KEY)
    monkeypatch.setenv("MOSAIC_TELEMETRY_INSTANCE_ID", INSTANCE_ID)
    _write(jsonl, lines)
    with all_logs() as logs:
        status = main(["send", str(jsonl), "--no-progress"])
    out, err = capsys.readouterr()
    rows = dict(re.findall(r"^  (\w[\w ]*?) +(\d+)", out, flags=re.MULTILINE))
    read = int(re.search(r"read +(\d+) non-blank lines?", out).group(1))  # type: ignore[union-attr]
    assert read == _non_blank(jsonl)
    outcome = re.search(r"^  delivered +(\d+) of (\d+) to ", out, flags=re.MULTILINE)
    assert outcome is not None, out
    delivered, sent = map(int, outcome.groups())
    assert int(rows["invalid"]) + sent == read
    assert delivered + int(rows["rejected"]) + int(rows["not delivered"]) == sent
    assert status in (0, 1)
    assert API_KEY not in out + err
    assert "Traceback" not in out + err
    logs.assert_free_of(API_KEY)


# --- the local server's request bodies and headers --------------------------------------------

_HEADER_BYTES = st.binary(max_size=30).map(
    lambda raw: bytes(b for b in raw if b >= 0x20 and b != 0x7F).strip()
)
_AUTH = mostly(
    f"Bearer {API_KEY}",
    st.one_of(
        st.just(f"Bearer {API_KEY}"),
        st.just(f"bearer {API_KEY.upper()}"),
        st.just(f"Bearer {'b' * 64}"),
        st.just(f"Basic {API_KEY}"),
        st.just("Bearer"),
        st.just(None),
        _HEADER_BYTES,
    ),
)
_CONTENT_TYPES = mostly(
    "application/json",
    st.one_of(
        st.sampled_from(
            [
                "application/json",
                "application/json; charset=utf-8",
                "text/plain",
                "application/x-www-form-urlencoded",
                "application/problem+json",
                None,
            ]
        ),
        _HEADER_BYTES,
    ),
)


@st.composite
def _bodies(draw: st.DrawFn, path: str) -> bytes:
    if path.endswith("events/batch"):
        valid = st.lists(mutated_events(), max_size=3).map(lambda evs: {"events": evs})
    else:
        valid = st.lists(st.builds(query_payload), max_size=3).map(lambda qs: {"queries": qs})
    hostile = st.one_of(
        st.builds(lambda v: json.dumps(v).encode(), json_values),
        st.binary(max_size=80),
        st.just(b'{"events": [' + b"[" * 2000 + b"]" * 2000 + b"]}"),
        st.just(b'{"events": [{"model": "\\udc00"}]}'),
    )
    kind = draw(st.sampled_from(["valid", "valid", "hostile"]))
    return draw(valid.map(lambda v: json.dumps(v).encode()) if kind == "valid" else hostile)


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=30.0) as client:
        yield client


_STATUS = {"/v1/events/batch": 202, "/v1/predictions/batch": 200}


@cases("server")
@given(
    st.sampled_from(sorted(_STATUS)).flatmap(lambda p: st.tuples(st.just(p), _bodies(p))),
    _AUTH,
    _CONTENT_TYPES,
    st.dictionaries(
        st.sampled_from(["X-Forwarded-For", "Accept", "Content-Encoding", "X-Junk", "Expect"]),
        _HEADER_BYTES,
        max_size=2,
    ),
)
@example(("/v1/events/batch", b"[" * 100_000), f"Bearer {API_KEY}", "application/json", {})
@example(
    ("/v1/events/batch", b'{"events": "\\ud800"}'), f"Bearer {API_KEY}", "application/json", {}
)
def test_the_server_answers_any_request_without_a_5xx(
    local_server: LocalServer,
    http: httpx.Client,
    request_: tuple[str, bytes],
    auth: str | bytes | None,
    content_type: str | bytes | None,
    extra: dict[str, bytes],
) -> None:
    path, body = request_
    headers: dict[str, Any] = {k: v for k, v in extra.items() if k.lower() != "expect"}
    if auth is not None:
        headers["Authorization"] = auth
    if content_type is not None:
        headers["Content-Type"] = content_type
    response = http.post(local_server.url + path, content=body, headers=headers)
    assert response.status_code < 500, response.text
    assert response.status_code in {_STATUS[path], 400, 401, 403, 413, 415, 422}, response.text
    data = response.json()
    if response.status_code == _STATUS[path]:
        model = BatchEventResponse if path.endswith("events/batch") else PredictionBatchResponse
        model.model_validate(data)
    else:
        assert data["detail"], data
    assert API_KEY not in response.text
    assert API_KEY.upper() not in response.text
