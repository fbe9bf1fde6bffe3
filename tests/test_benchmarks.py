"""The benchmarks still run (on a tiny database: their numbers are read from a real run, not here)."""

from __future__ import annotations

import pytest

from benchmarks import citizen_list, report


def test_the_citizen_list_benchmark_runs_and_prints_its_table(capsys: pytest.CaptureFixture[str]) -> None:
    citizen_list.main(["--citizens", "30", "--requests", "1", "--rounds", "1"])
    out = capsys.readouterr().out
    assert "list, 20 columns, 3 filters" in out and "CSV, 20 field columns" in out and "target:" in out


def test_the_report_benchmark_runs_and_prints_its_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert report.main(["--citizens", "30", "--requests", "1", "--rounds", "1"]) == 0
    out = capsys.readouterr().out
    assert (
        "report, 3½ years" in out and "check-ins worklist" in out and "target: the report under 300 ms" in out
    )
