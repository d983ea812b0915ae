"""Report how many shared vectors pytest ran, next to pytest's own summary."""

from __future__ import annotations

import pytest

_ran: list[str] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when == "call" and report.nodeid.split("::")[-1].startswith("test_vector["):
        _ran.append(report.outcome)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _ran:
        passed = _ran.count("passed")
        terminalreporter.write_line(
            f"parity vectors run by pytest: {len(_ran)} ({passed} passed, "
            f"{len(_ran) - passed} failed)"
        )
