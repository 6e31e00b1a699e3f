"""One reading of the times people type (kronika/times.py, the TIME parameter of every command)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import click
import pytest
from click.testing import CliRunner

from kronika.cli.params import TIME
from kronika.times import parse_duration, parse_time

NOW = datetime(2026, 1, 14, 15, 30, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("text, expected", [
    ("2026", datetime(2026, 1, 1, tzinfo=timezone.utc)),
    ("20260102", datetime(2026, 1, 2, tzinfo=timezone.utc)),
    ("202601021305", datetime(2026, 1, 2, 13, 5, tzinfo=timezone.utc)),
    ("20260102130507", datetime(2026, 1, 2, 13, 5, 7, tzinfo=timezone.utc)),
    ("2026-01-02", datetime(2026, 1, 2, tzinfo=timezone.utc)),
    ("2026-01-02T13:05", datetime(2026, 1, 2, 13, 5, tzinfo=timezone.utc)),
    ("2026-01-02T13:05:07Z", datetime(2026, 1, 2, 13, 5, 7, tzinfo=timezone.utc)),
    ("2026-01-02T15:05:07+02:00", datetime(2026, 1, 2, 13, 5, 7, tzinfo=timezone.utc)),
    ("2h", NOW - timedelta(hours=2)),
    ("3d", NOW - timedelta(days=3)),
    ("90m ago", NOW - timedelta(minutes=90)),
    ("yesterday", datetime(2026, 1, 13, tzinfo=timezone.utc)),
    ("today", datetime(2026, 1, 14, tzinfo=timezone.utc)),
    (" now ", NOW),
])
def test_every_form_reads_as_an_aware_utc_time(text, expected):
    moment = parse_time(text, now=NOW)
    assert moment == expected and moment.utcoffset() == timedelta(0)


@pytest.mark.parametrize("text", ["last tuesday", "2026-13-01", "20261301", "123", "2 hours", ""])
def test_anything_else_is_an_error_naming_the_forms(text):
    with pytest.raises(ValueError, match="cannot read time .*20260102130500.*yesterday"):
        parse_time(text, now=NOW)


def test_durations_of_the_config():
    assert parse_duration("90s") == 90 and parse_duration("6h") == 21600
    with pytest.raises(ValueError):
        parse_duration("6 hours")


def test_the_click_type_reads_the_same_and_fails_as_a_usage_error():
    @click.command()
    @click.option("--since", type=TIME)
    def show(since):
        click.echo(since.isoformat())

    assert CliRunner().invoke(show, ["--since", "20260102"]).output.strip() == "2026-01-02T00:00:00+00:00"
    bad = CliRunner().invoke(show, ["--since", "soon"])
    assert bad.exit_code == 2 and "cannot read time 'soon'" in bad.output
