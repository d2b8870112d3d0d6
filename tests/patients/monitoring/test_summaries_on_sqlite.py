"""The sweep's two summary statements are written twice: PostgreSQL reads each programme on
its own (LATERAL), SQLite, which has no LATERAL, reads the chunk as a whole. CI runs the suite
on PostgreSQL, so the SQLite statements are checked here, in a suite of their own on a laptop's
database: the property test that they fold the history exactly as `rules.summarise` does."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection


@pytest.mark.timeout(600)
def test_the_sqlite_summaries_fold_the_history_as_rules_summarise(tmp_path: Path) -> None:
    if connection.vendor == "sqlite":
        pytest.skip("this suite runs on SQLite already: test_sweep checks these statements")
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'laptop.sqlite3'}",
        "DEBUG": "true",
    }
    completed = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
         "tests/patients/monitoring/test_sweep.py::test_the_state_is_the_full_history_summarised",
         "tests/patients/monitoring/test_sweep.py"
         "::test_the_database_summary_is_rules_summarise_of_the_same_rows"],
        cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=580, check=False,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-2000:]
    assert "2 passed" in completed.stdout
    assert " failed" not in completed.stdout
