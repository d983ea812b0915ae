"""`mosaic-telemetry doctor`: the effective configuration, and whether the server takes the key."""

from __future__ import annotations

import argparse
import os
import socket
import sys
from urllib.parse import urlsplit

from .. import _urls
from .._env_switch import ACCEPTED, ENV_ENABLED, env_decision, parse_switch
from .._version import __version__
from . import _common

PROG = "mosaic-telemetry doctor"

_DESCRIPTION = """\
Check a telemetry setup the way the SDK will see it: print the effective configuration (the API
key redacted: only its length is shown), every problem TelemetryConfig.validate() finds, whether
the server answers (TCP, then HTTP) and whether it accepts the key. The key check asks for one
prediction (POST /v1/predictions/batch), so it stores nothing. The server checks instance_id
against the key only when events are sent, so doctor can check its format only.

exit status (for scripts):
  0  configuration valid, server reachable, key accepted, telemetry enabled
  1  a problem was found (each is printed with "problem:"), including telemetry being
     switched off by MOSAIC_TELEMETRY_ENABLED or DO_NOT_TRACK
  2  bad command-line options
"""

_EPILOG = f"""\
examples:
  mosaic-telemetry doctor
  mosaic-telemetry doctor --server-url http://127.0.0.1:8000
  mosaic-telemetry doctor >/dev/null && echo "telemetry is set up"

{_common.CONNECTION_HELP}"""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `doctor` subcommand."""
    parser = subparsers.add_parser(
        "doctor",
        help="check the configuration and whether the server accepts the key",
        description=_DESCRIPTION,
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=5.0,
        metavar="SECONDS",
        help="timeout of each network check (default: %(default)s)",
    )
    _common.add_connection_options(parser)
    parser.set_defaults(func=run)


class _Report:
    def __init__(self) -> None:
        self.problems = 0

    def ok(self, message: str) -> None:
        print(f"  ok:      {message}")

    def problem(self, message: str) -> None:
        self.problems += 1
        print(f"  problem: {message}")

    def note(self, message: str) -> None:
        print(f"  note:    {message}")


def _tcp(url: str, timeout: float) -> str | None:
    """None if a TCP connection to the URL's host and port opens, else why not."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        return str(exc)
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return None
    except OSError as exc:
        return f"{host}:{port}: {exc.strerror or exc}"


def _check_key(args: argparse.Namespace, report: _Report) -> None:
    """POST one prediction query with the key: 2xx accepted, 401/403 rejected."""
    import httpx

    from .._errors import ApiError
    from .._generated import endpoints
    from .._generated.models import (
        Complexity,
        PredictionBatchRequest,
        PredictionQuery,
        Provider,
        TaskType,
    )

    config = _common.config_from(args)
    request = PredictionBatchRequest(
        queries=[
            PredictionQuery(
                task_type=TaskType.IMPLEMENTATION,
                model="claude-sonnet-4-5-20250929",
                provider=Provider.ANTHROPIC,
                complexity=Complexity.MEDIUM,
            )
        ]
    )
    headers = {"Authorization": f"Bearer {config.api_key}", "User-Agent": config.user_agent}
    try:
        with httpx.Client(
            base_url=_urls.usable(config.server_url),
            headers=headers,
            timeout=args.timeout,
            follow_redirects=False,  # the key goes to this server only
        ) as http:
            endpoints.get_predictions_batch(http, request)
    except ApiError as exc:
        if exc.status_code in (401, 403):
            report.problem(
                f"the server rejected the API key (HTTP {exc.status_code}: {exc.message}); "
                "check MOSAIC_TELEMETRY_API_KEY"
            )
        elif exc.status_code == 429:
            report.problem(f"the server is rate-limiting this key (HTTP 429: {exc.message})")
        else:
            report.problem(
                f"POST {endpoints.GET_PREDICTIONS_BATCH_PATH} answered HTTP {exc.status_code}: "
                f"{exc.message} (is this a Telemetry API v1 server?)"
            )
        return
    except httpx.HTTPError as exc:
        report.problem(f"the server does not answer HTTP: {type(exc).__name__}: {exc}")
        return
    report.ok("the server accepts the API key (POST /v1/predictions/batch answered 2xx)")


def _check_switches(report: _Report) -> None:
    """Telemetry switched off by the environment is a problem: applications would send nothing."""
    decision, source = env_decision()
    raw = os.environ.get(ENV_ENABLED, "").strip()
    if raw and parse_switch(raw) is None:
        report.note(f"{ENV_ENABLED}={raw} is not one of {ACCEPTED}; the SDK ignores it")
    if decision is False:
        report.problem(
            f"{source} turns telemetry off: applications using the SDK will send nothing "
            f"(unset it, or set {ENV_ENABLED}=true)"
        )


def _check_path(server_url: str, report: _Report) -> None:
    """A base URL ending in /v1 makes every request go to /v1/v1/...: a 404."""
    path = urlsplit(server_url).path.rstrip("/")
    if path.endswith("/v1"):
        base = server_url.rstrip("/")[: -len("/v1")]
        report.problem(
            f"server_url ends in /v1, but the SDK adds /v1/... itself: use {base} instead"
        )


def run(args: argparse.Namespace) -> int:
    """Print the configuration and the checks; 0 when nothing is wrong, 1 otherwise."""
    if not 0 < args.timeout <= 600:  # also refuses nan and inf
        print(f"{PROG}: --timeout must be a number of seconds from 0 to 600", file=sys.stderr)
        return 2
    config = _common.config_from(args)
    report = _Report()
    print(f"mosaicstack-telemetry {__version__}, Python {sys.version.split()[0]}")
    print("configuration:")
    rows = [
        (
            "server_url",
            _urls.mask(config.server_url) or "(not set)",
            _common.source_of(args, "server_url"),
        ),
        ("api_key", _common.redact(config.api_key), _common.source_of(args, "api_key")),
        ("instance_id", config.instance_id or "(not set)", _common.source_of(args, "instance_id")),
    ]
    for name, value, source in rows:
        print(f"  {name:<12} {value}  [{source}]")

    print("checks:")
    _check_switches(report)
    problems = config.validate()
    for problem in problems:
        report.problem(problem)
    if not problems:
        report.ok("configuration is complete and well-formed")

    _check_path(config.server_url, report)
    url_ok = bool(_urls.usable(config.server_url))
    if not url_ok:
        report.note("server checks skipped: no usable server_url")
    else:
        reason = _tcp(config.server_url, args.timeout)
        if reason is not None:
            report.problem(f"the server does not answer: cannot connect to {reason}")
        else:
            report.ok(f"{_urls.mask(config.server_url)} accepts TCP connections")
            if not any(p.startswith("api_key") for p in problems):
                _check_key(args, report)
            else:
                report.note("key check skipped: the api_key is not well-formed")

    if report.problems:
        print(f"{report.problems} problem{'' if report.problems == 1 else 's'} found")
        return 1
    print("all good")
    return 0
