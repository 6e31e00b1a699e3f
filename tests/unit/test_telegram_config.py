"""Telegram source keys: the overlap window, the first-run depth and the media option."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from kronika.settings import ConfigError, first_run_cutoff, load_config

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)


def _config(tmp_path, extra: str):
    path = tmp_path / "sources.yaml"
    path.write_text("sources:\n  - name: chan\n    kind: telegram\n    channel: some_channel\n" + extra,
                    encoding="utf-8")
    return load_config(path)


def test_defaults(tmp_path):
    source = _config(tmp_path, "").source("chan")
    assert (source.overlap_posts, source.overlap_age, source.media) == (100, "72h", "none")
    assert (source.first_run_pages, source.first_run_since) == (5, None)


def test_overrides(tmp_path):
    source = _config(tmp_path, "    overlap_posts: 0\n    overlap_age: 7d\n    media: all\n"
                               "    first_run_since: '2026-01-01'\n").source("chan")
    assert (source.overlap_posts, source.overlap_age, source.media, source.first_run_since) == (0, "7d", "all",
                                                                                                 "2026-01-01")


@pytest.mark.parametrize(("extra", "field"), [
    ("    media: everything\n", "media"),
    ("    overlap_age: three days\n", "overlap_age"),
    ("    overlap_posts: -1\n", "overlap_posts"),
    ("    first_run_since: last spring\n", "first_run_since"),
])
def test_bad_values_name_the_field(tmp_path, extra, field):
    with pytest.raises(ConfigError, match=f"source 'chan': field {field}:"):
        _config(tmp_path, extra)


@pytest.mark.parametrize(("value", "expected"), [
    ("7d", datetime(2026, 2, 22, 12, 0, tzinfo=timezone.utc)),
    ("36h", datetime(2026, 2, 28, 0, 0, tzinfo=timezone.utc)),
    ("2026-01-01", datetime(2026, 1, 1, tzinfo=timezone.utc)),
    ("2026-01-01T06:00:00+02:00", datetime(2026, 1, 1, 4, 0, tzinfo=timezone.utc)),
])
def test_first_run_cutoff(value, expected):
    assert first_run_cutoff(value, NOW) == expected
