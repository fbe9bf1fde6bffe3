"""The benchmarks still run (on a tiny database: their numbers are read from a real run, not here)."""

from __future__ import annotations

import re

import pytest

from benchmarks import citizen_list, report


def test_the_citizen_list_benchmark_runs_and_prints_its_table(capsys: pytest.CaptureFixture[str]) -> None:
    citizen_list.main(["--citizens", "30", "--requests", "1", "--rounds", "1"])
    out = capsys.readouterr().out
    assert "list, 20 columns, 3 filters" in out and "CSV, 20 field columns" in out and "target:" in out


def test_the_search_benchmark_runs_and_prints_its_table(capsys: pytest.CaptureFixture[str]) -> None:
    from benchmarks import search

    assert search.main(["--pages", "200", "--rounds", "1"]) == 0
    out = capsys.readouterr().out
    assert "common word" in out and "LIKE ms" in out and "target: every search under 100 ms" in out


def test_the_report_benchmark_runs_and_prints_its_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert report.main(["--citizens", "30", "--requests", "1", "--rounds", "1"]) == 0
    out = capsys.readouterr().out
    assert (
        "report, 3½ years" in out and "check-ins worklist" in out and "target: the report under 300 ms" in out
    )


@pytest.mark.postgresql
def test_the_load_benchmark_runs_and_finds_no_errors_and_no_overbooked_course(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from benchmarks import load

    args = ["--seconds", "3", "--workers", "2", "--clients", "2", "--citizens", "30", "--courses", "3"]
    load.main([*args, "--participants", "4"])  # its latency targets are for the real run, not this one
    out = capsys.readouterr().out
    assert "hello-world" in out and "p95" in out
    for check in ("zero errors", "zero overbooked courses", "every sign-up's audit agrees"):
        assert re.search(rf"^{re.escape(check)} .* met$", out, re.M), out[-1500:]
