"""Two versions side by side for the web view: each field read across, old | new."""
from __future__ import annotations

from datetime import datetime

from kronika import browse


def _shown(value) -> str:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S UTC")
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return value or "—"


def side_by_side(old: dict, new: dict) -> list[tuple[str, list, list]]:
    """The title (always) and every other changed field as (name, old runs, new runs): read across,
    old | new, each side whole with the words that differ marked, rather than one interleaved line."""
    rows = []
    for name in ("title", *[f for f in browse.ARTICLE_FIELDS if f not in ("title", "text")]):
        before, after = old.get(name), new.get(name)
        if name != "title" and before == after:
            continue
        if name == "title":
            runs = browse.word_diff(before, after)
            rows.append((name, joined_runs([r for r in runs if r[0] != "+"]), joined_runs([r for r in runs if r[0] != "-"])))
        else:
            rows.append((name, [("-", _shown(before))], [("+", _shown(after))]))
    return rows


def joined_runs(runs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """One side's runs with the spaces between two changed words marked too: one struck phrase, not
    a struck word, a space, a struck word."""
    out: list[tuple[str, str]] = []
    for i, (op, text) in enumerate(runs):
        between = op == "=" and not text.strip() and 0 < i < len(runs) - 1 and runs[i - 1][0] == runs[i + 1][0] != "="
        op = runs[i - 1][0] if between else op
        if out and out[-1][0] == op:
            out[-1] = (op, out[-1][1] + text)
        else:
            out.append((op, text))
    return out
