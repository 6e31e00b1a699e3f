"""`kronika plot`: each plot renders a real, non-trivial PNG from a crawl with history."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest
from PIL import Image

from tests.integration.crawled import crawl_with_history


@pytest.fixture
def archive(sqlite_env, mirror, demo_config):
    crawl_with_history(demo_config, sqlite_env, mirror)
    return sqlite_env


def test_every_plot_renders_a_non_trivial_png(archive, tmp_path):
    for kind, source in (("runs", None), ("versions", "riverside-herald"), ("versions", None),
                         ("claims", None), ("posts", "zarichna-ova")):
        out = tmp_path / f"{kind}-{source}.png"
        args = [sys.executable, "-m", "kronika.cli", "plot", kind, "-o", str(out), "--json"]
        if source:
            args += ["--source", source]
        result = subprocess.run(args, capture_output=True, text=True, env=dict(os.environ), timeout=120)
        assert result.returncode == 0, result.stderr
        assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert out.stat().st_size > 20_000, f"{kind}: suspiciously small PNG"
        with Image.open(out) as image:
            assert image.width >= 800 and image.height >= 400
            colours = image.convert("RGB").getcolors(maxcolors=1_000_000)
            assert colours is not None and len(colours) > 50, f"{kind}: too few colours to be a plot"
            # not one colour with specks: the background is less than 98% of the picture
            assert max(count for count, _ in colours) < 0.98 * image.width * image.height
    summary = __import__("json").loads(result.stdout)
    assert summary["posts"] > 0 and summary["edits"] > 0 and summary["deletions"] > 0


def test_plot_of_nothing_is_a_one_line_error(sqlite_env, tmp_path):
    from kronika.storage.db.engine import open_database

    open_database(sqlite_env.database_url)  # an empty, migrated database
    result = subprocess.run([sys.executable, "-m", "kronika.cli", "plot", "runs", "-o", str(tmp_path / "x.png")],
                            capture_output=True, text=True, env=dict(os.environ), timeout=120)
    assert result.returncode == 1 and "no runs to plot" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and not (tmp_path / "x.png").exists()


def test_counts_sit_on_whole_numbers_and_each_time_axis_says_which_time(archive, monkeypatch):
    """The versions and posts plots, drawn in-process so their axes can be read back: every count
    axis has whole-number ticks only, and the posts plot names which clock each day axis is
    (publication vs. capture). The PNGs are kept in test-artifacts/plots/ for a reviewer."""
    from kronika import plots
    from kronika.storage.db.engine import unit_of_work
    from kronika.storage.db.readonly import read_only_engine
    from tests.conftest import ROOT

    drawn = {}
    real_save = plots._save
    monkeypatch.setattr(plots, "_save", lambda figure, out: drawn.__setitem__(out.stem, figure) or real_save(figure, out))
    artifacts = ROOT / "test-artifacts" / "plots"
    engine = read_only_engine(archive.database_url)
    with unit_of_work(engine) as session:
        plots.plot_versions(session, artifacts / "versions.png")
        plots.plot_posts(session, artifacts / "posts.png", "zarichna-ova")
    engine.dispose()

    def whole(ticks) -> bool:
        return all(float(t).is_integer() for t in ticks)

    bars, histogram = drawn["versions"].axes
    assert whole(bars.get_xticks()) and whole(histogram.get_yticks()) and whole(histogram.get_xticks())
    posted, changed = drawn["posts"].axes
    assert whole(posted.get_yticks()) and whole(changed.get_yticks())
    assert "publication" in posted.get_xlabel() and "capture" in changed.get_xlabel()
    assert posted.get_xlabel() != changed.get_xlabel()
    for name in ("versions", "posts"):
        assert (artifacts / f"{name}.png").stat().st_size > 20_000
