"""The benchmarks' data generator still fills a database the current models accept: it
writes rows with bulk inserts (COPY on PostgreSQL), past the models' defaults, so a new NOT
NULL column broke it unnoticed once (0017_applied_records) until the next benchmark run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings


@pytest.mark.timeout(300)
def test_a_small_clinic_is_generated_on_the_current_schema(tmp_path: Path) -> None:
    database = tmp_path / "bench.sqlite3"
    completed = subprocess.run(
        [sys.executable, "-m", "bench.generate", "--patients", "5",
         "--database", f"sqlite:///{database}", "--today", "2026-12-06"],
        cwd=settings.BASE_DIR, env={**os.environ, "DEBUG": "true"},
        capture_output=True, text=True, timeout=280, check=False,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr[-2000:]
    report = json.loads(completed.stdout.strip().splitlines()[-1])
    assert report["patients_in_database"] == 5
    totals = report["totals"]
    for table in ("session_logs", "exercise_logs", "check_ins", "questionnaires"):
        assert totals[table] > 0, table
