"""Database housekeeping runs on SQLite and PostgreSQL and leaves the data as it was."""
from __future__ import annotations

from kronika.steps.maintenance import vacuum_analyze
from kronika.steps.run import run_source
from tests.integration.helpers import row_counts


def test_vacuum_analyze_keeps_every_row(any_env, demo_config):
    run_source(demo_config.source("zarichna-ova"), any_env)
    before = row_counts(any_env.database_url)
    done = vacuum_analyze(any_env)
    assert "VACUUM" in done and "ANALYZE" in done
    assert row_counts(any_env.database_url) == before
