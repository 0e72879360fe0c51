"""The XSS suite's report (sinks x vectors x findings) at the end of the run, from every worker.
The hooks are imported by tests/conftest.py: under xdist only the root conftest reaches the controller."""
from __future__ import annotations

from pathlib import Path

REPORTS = Path(__file__).resolve().parents[2] / ".pytest_cache" / "xss-report"


def write_report(name: str, lines: list[str]) -> None:
    REPORTS.mkdir(parents=True, exist_ok=True)
    (REPORTS / f"{name}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")


def pytest_sessionstart(session):
    if not hasattr(session.config, "workerinput"):  # the controller (or a run without xdist)
        for old in REPORTS.glob("*.txt") if REPORTS.exists() else ():
            old.unlink()


def pytest_terminal_summary(terminalreporter):
    for report in sorted(REPORTS.glob("*.txt")) if REPORTS.exists() else ():
        terminalreporter.write_sep("-", f"XSS sinks: {report.stem}")
        terminalreporter.write(report.read_text(encoding="utf-8"))
