"""PNG plots of the archive (matplotlib, Agg: no display needed), for `kronika plot`.

Each function draws from a read-only session, writes `out` and returns what it drew; it raises
ValueError when there is nothing to draw rather than writing an empty picture.
"""
from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.orm import Session, aliased

from kronika.browse import run_dict, runs_query
from kronika.storage.db.models import Article, TelegramPost, TelegramPostVersion

DPI = 100


def _figure(width: float = 10, height: float = 5, rows: int = 1):
    from matplotlib.figure import Figure  # no pyplot: no global state, no GUI backend

    figure = Figure(figsize=(width, height), dpi=DPI, layout="constrained")
    axes = figure.subplots(rows, 1, squeeze=False)[:, 0]
    return figure, axes


def _save(figure, out: Path) -> None:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    out.parent.mkdir(parents=True, exist_ok=True)
    FigureCanvasAgg(figure).print_png(str(out))


def _segments(items: list[dict], factor: float = 3.0) -> list[list[dict]]:
    """A source's runs split where they stop for a while (more than `factor` times the usual interval
    between runs), so a line never bridges a stretch with no runs as if it had data."""
    if len(items) < 3:
        return [items] if items else []
    gaps = sorted((b["started_at"] - a["started_at"]).total_seconds() for a, b in zip(items, items[1:]))
    usual = max(gaps[len(gaps) // 2], 1.0)
    segments = [[items[0]]]
    for before, run in zip(items, items[1:]):
        if (run["started_at"] - before["started_at"]).total_seconds() > factor * usual:
            segments.append([])
        segments[-1].append(run)
    return segments


def plot_runs(session: Session, out: Path, source: str | None = None) -> dict[str, Any]:
    """Pages fetched and errors per run, over time, a line per source; failed runs circled red."""
    figure, drawn = runs_figure(session, source)
    _save(figure, out)
    return {"plot": "runs", "file": str(out), **drawn}


def runs_figure(session: Session, source: str | None = None) -> tuple[Any, dict[str, Any]]:
    """The runs plot as a matplotlib Figure, and what it drew."""
    runs = [run_dict(r) for r in session.scalars(runs_query(source))][::-1]
    if not runs:
        raise ValueError(f"no runs{f' of {source}' if source else ''} to plot")
    figure, (pages, errs) = _figure(rows=2, height=6)
    by_source: dict[str, list[dict]] = {}
    for run in runs:
        by_source.setdefault(run["source"], []).append(run)
    segments_drawn = 0
    failed_marked = 0
    for name, items in sorted(by_source.items()):
        colour = None
        for segment in _segments(items):
            times = [r["started_at"] for r in segment]
            label = None if colour else name
            (line,) = pages.plot(times, [r["pages"] for r in segment], marker="o", color=colour, label=label)
            colour = line.get_color()
            errs.plot(times, [r["errors"] for r in segment], marker="x", color=colour, label=label)
            segments_drawn += 1
        failed = [r for r in items if r["status"] == "failed"]
        for axis, key in ((pages, "pages"), (errs, "errors")):
            if failed:
                # clip_on=False: a failed run with zero pages sits on the axis and must still show
                axis.scatter([r["started_at"] for r in failed], [r[key] for r in failed], s=160, linewidths=2,
                             facecolors="none", edgecolors="red", zorder=3, clip_on=False,
                             label="failed run" if failed_marked == 0 and axis is pages else None)
        failed_marked += len(failed)
    pages.set_title(f"Pages fetched per run{f' ({source})' if source else ''}; failed runs circled red")
    pages.set_ylabel("pages")
    errs.set_title("Errors per run (skips are not errors)")
    errs.set_ylabel("errors")
    errs.set_xlabel("run start (UTC)")
    from matplotlib.ticker import MaxNLocator

    for axis in (pages, errs):
        axis.grid(alpha=0.3)
        axis.legend(loc="upper left", fontsize="small")
        axis.set_ylim(0, max(1, axis.get_ylim()[1]))
        axis.yaxis.set_major_locator(MaxNLocator(integer=True))  # counts: whole numbers only
    return figure, {"runs": len(runs), "sources": sorted(by_source), "failed_runs": failed_marked,
                    "segments": segments_drawn,
                    "description": f"{len(runs)} runs of {len(by_source)} sources, {failed_marked} failed"}


def plot_versions(session: Session, out: Path, source: str | None = None, top: int = 25) -> dict[str, Any]:
    """Versions per article: the most rewritten articles, and how many articles have N versions."""
    stmt = select(Article.title, Article.url, Article.versions, Article.source)
    if source:
        stmt = stmt.where(Article.source == source)
    articles = session.execute(stmt).all()
    if not articles:
        raise ValueError(f"no articles{f' of {source}' if source else ''} to plot")
    ranked = sorted(articles, key=lambda a: (-a.versions, a.title or a.url))[:top]
    figure, (bars, histogram) = _figure(rows=2, height=9)
    labels = [((a.title or a.url)[:60] + ("…" if len(a.title or a.url) > 60 else "")) for a in ranked][::-1]
    bars.barh(range(len(ranked)), [a.versions for a in ranked][::-1], color="#4c72b0")
    bars.set_yticks(range(len(ranked)), labels, fontsize=7)
    bars.set_xlabel("versions (captures with different content)")
    bars.set_title(f"Most rewritten articles{f' ({source})' if source else ''}")
    counts = Counter(a.versions for a in articles)
    histogram.bar(list(counts), list(counts.values()), color="#dd8452")
    histogram.set_xlabel("versions per article")
    histogram.set_ylabel("articles")
    histogram.set_title(f"{len(articles)} articles, {sum(a.versions for a in articles)} versions")
    histogram.set_xticks(sorted(counts))
    from matplotlib.ticker import MaxNLocator

    # counts are whole numbers: no 2.5 versions, no 0.5 articles on an axis
    bars.xaxis.set_major_locator(MaxNLocator(integer=True))
    histogram.yaxis.set_major_locator(MaxNLocator(integer=True))
    _save(figure, out)
    return {"plot": "versions", "file": str(out), "articles": len(articles),
            "versions": sum(a.versions for a in articles),
            "description": f"{len(articles)} articles, most versions {ranked[0].versions}"}


def _per_day(values) -> Counter:
    return Counter(v.date() for v in values if v is not None)


def _at_least_slots(axis, bars: int, slots: int = 6) -> None:
    """A few day-bars keep a bar's width instead of stretching over the whole axis."""
    if 0 < bars < slots:
        spare = (slots - bars) / 2
        axis.set_xlim(-0.5 - spare, bars - 0.5 + spare)


def plot_posts(session: Session, out: Path, source: str | None = None) -> dict[str, Any]:
    """Posts per day (by publication) and edits and deletions per day (by when Kronika saw them)."""
    posts_stmt = select(TelegramPost.posted_at, TelegramPost.deleted_at)
    earlier = aliased(TelegramPostVersion)
    edits_stmt = (select(TelegramPostVersion.captured_at).join(TelegramPost)
                  .where(exists().where(earlier.post_id == TelegramPostVersion.post_id,
                                        earlier.captured_at < TelegramPostVersion.captured_at)))
    if source:
        posts_stmt = posts_stmt.where(TelegramPost.source == source)
        edits_stmt = edits_stmt.where(TelegramPost.source == source)
    posts = session.execute(posts_stmt).all()
    if not posts:
        raise ValueError(f"no posts{f' of {source}' if source else ''} to plot")
    posted = _per_day(p.posted_at for p in posts)
    edited = _per_day(session.scalars(edits_stmt))
    deleted = _per_day(p.deleted_at for p in posts)
    figure, (top, bottom) = _figure(rows=2, height=7)
    days = sorted(posted)
    # days as labels, not a date axis: a single day would otherwise stretch over hours of empty axis
    top.bar([d.isoformat() for d in days], [posted[d] for d in days], color="#4c72b0", width=0.8)
    top.set_title(f"Posts per day{f' ({source})' if source else ''}: {len(posts)} posts")
    top.set_ylabel("posts")
    # two different clocks, each named on its axis: when the channel says it posted, and when
    # Kronika's capture saw an edit or a deletion
    top.set_xlabel("day of publication (the post's own date, UTC)")
    changes = sorted(set(edited) | set(deleted))
    labels = [d.isoformat() for d in changes]
    bottom.bar(labels, [edited[d] for d in changes], color="#dd8452", width=0.4, label="edits seen")
    bottom.bar(labels, [deleted[d] for d in changes], bottom=[edited[d] for d in changes], color="#c44e52",
               width=0.4, label="deletions seen")
    bottom.set_title(f"Edits and deletions per day: {sum(edited.values())} edits, {sum(deleted.values())} deletions")
    bottom.set_ylabel("changes")
    bottom.set_xlabel("day Kronika captured the change (capture time, UTC)")
    _at_least_slots(top, len(days))
    _at_least_slots(bottom, len(changes))
    if changes:
        bottom.legend(loc="upper left", fontsize="small")
    else:  # say so, rather than draw an empty day that never happened
        bottom.text(0.5, 0.5, "no edits or deletions seen", transform=bottom.transAxes, ha="center", va="center")
        bottom.set_xticks([])
    from matplotlib.ticker import MaxNLocator

    for axis in (top, bottom):
        axis.yaxis.set_major_locator(MaxNLocator(integer=True))
        axis.grid(alpha=0.3, axis="y")
        axis.tick_params(axis="x", labelrotation=30)
    _save(figure, out)
    return {"plot": "posts", "file": str(out), "posts": len(posts), "days": len(days),
            "edits": sum(edited.values()), "deletions": sum(deleted.values()),
            "description": f"{len(posts)} posts over {len(days)} days, {sum(edited.values())} edits"}


def claims_figure(session: Session, source: str | None = None, category: str | None = None) -> tuple[Any, dict[str, Any]]:
    """Figures over time: one panel per category, one colour per source, a line per article or post
    joining the figures its versions stated; a figure that changed since the version before is ringed red."""
    from kronika.claims.timeline import timeline, version_figures_over_time

    series = version_figures_over_time(timeline(session, source=source, category=category))
    if not series:
        raise ValueError(f"no figures{f' of {source}' if source else ''}{f' for {category}' if category else ''} to plot")
    figure, axes = _figure(rows=len(series), height=max(3.5, 3.2 * len(series)))
    colours: dict[str, str] = {}
    changed = points = 0
    for axis, (name, lines) in zip(axes, sorted(series.items())):
        labelled: set[str] = set()  # each panel's legend names each of its sources once
        for (line_source, _url), items in sorted(lines.items()):
            times, values = [e["captured_at"] for e in items], [e["value"] for e in items]
            (line,) = axis.plot(times, values, marker="o", color=colours.get(line_source),
                                label=None if line_source in labelled else line_source)
            labelled.add(line_source)
            colours.setdefault(line_source, line.get_color())
            ringed = [e for e in items if e["changed"]]
            if ringed:
                axis.scatter([e["captured_at"] for e in ringed], [e["value"] for e in ringed], s=160, linewidths=2,
                             facecolors="none", edgecolors="red", zorder=3, clip_on=False)
            changed += len(ringed)
            points += len(items)
        moments = {e["captured_at"] for items in lines.values() for e in items}
        if len(moments) == 1:  # one capture time: a few minutes around it, not matplotlib's years
            from datetime import timedelta

            only = next(iter(moments))
            axis.set_xlim(only - timedelta(minutes=5), only + timedelta(minutes=5))
        axis.set_title(f"{name}: figures stated, by capture time (a line per article or post; red ring: changed)")
        axis.set_ylabel(name)
        axis.set_ylim(0, max(1, axis.get_ylim()[1]))
        axis.grid(alpha=0.3)
        axis.legend(loc="best", fontsize="small")
        from matplotlib.ticker import MaxNLocator

        axis.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes[-1].set_xlabel("capture time of the version (UTC)")
    return figure, {"categories": sorted(series), "sources": sorted(colours), "points": points, "changed": changed,
                    "description": f"{points} figures in {len(series)} categories from {len(colours)} sources, "
                                   f"{changed} changed"}


def plot_claims(session: Session, out: Path, source: str | None = None, category: str | None = None) -> dict[str, Any]:
    """The claims plot as a PNG (`kronika plot claims`)."""
    figure, drawn = claims_figure(session, source, category)
    _save(figure, out)
    return {"plot": "claims", "file": str(out), **drawn}


PLOTS = {"runs": plot_runs, "versions": plot_versions, "posts": plot_posts, "claims": plot_claims}
