"""Versions as a function of sightings: the one place where version rows are added and removed.

A sighting is one capture that showed an item (an article, a Telegram post) with the hash of its
normalised content. Sorted by capture time (WARC-Date, then WARC-Record-ID for two captures in the
same instant), the sightings fall into runs of equal hashes; each run is one version, stored at
the run's first capture. That is a function of the set of captures, not of the order files were
loaded in, so a file that arrives late can move a version boundary: `reconcile` brings an item's
stored versions to the derived set, and tells every registered listener what it added and removed,
so rows derived from versions (claims, clusters) follow.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select


@dataclass(frozen=True)
class Sighting:
    capture_id: int
    captured_at: datetime
    record_id: str  # WARC-Record-ID: orders captures with the same time, the same way in every load
    text_hash: str | None

    @property
    def order(self) -> tuple[datetime, str]:
        return self.captured_at, self.record_id


def in_capture_order(sightings: Iterable[Sighting]) -> list[Sighting]:
    return sorted(sightings, key=lambda s: s.order)


def run_starts(sightings: Iterable[Sighting]) -> list[Sighting]:
    """The first sighting of each run of equal hashes, in capture order: where the versions are."""
    starts: list[Sighting] = []
    previous: str | None = None
    for index, sighting in enumerate(in_capture_order(sightings)):
        if index == 0 or sighting.text_hash != previous:
            starts.append(sighting)
        previous = sighting.text_hash
    return starts


# listener(session, version model, rows added, rows removed): called before the removed rows are
# deleted and after the added ones are flushed, in the same transaction
VersionListener = Callable[[object, type, Sequence[object], Sequence[object]], None]
_listeners: list[VersionListener] = []


def on_versions_changed(listener: VersionListener) -> VersionListener:
    """Register a listener for every version added or removed (usable as a decorator)."""
    if listener not in _listeners:
        _listeners.append(listener)
    return listener


def notify(session, model: type, added: Sequence[object], removed: Sequence[object]) -> None:
    """Tell the listeners about versions added or removed outside `reconcile` (a new item's first)."""
    if added or removed:
        for listener in list(_listeners):
            listener(session, model, added, removed)


def reconcile(session, model: type, owner_column, owner_id: int, starts: Sequence[Sighting],
              make_row: Callable[[Sighting, dict[str, object]], object]) -> tuple[int, int]:
    """Make the item's version rows those of `starts` (one per run): rows at captures that no
    longer start a run are removed, missing ones made by `make_row(sighting, rows_by_hash)`, where
    `rows_by_hash` holds the item's existing rows by text_hash (a run split by a late sighting
    takes its content from the row of the run it was part of). Returns (added, removed)."""
    existing = list(session.scalars(select(model).where(owner_column == owner_id)))
    wanted = {s.capture_id for s in starts}
    have = {row.capture_id for row in existing}
    by_hash: dict[str, object] = {}
    for row in sorted(existing, key=lambda r: r.captured_at):
        by_hash.setdefault(row.text_hash, row)
    removed = [row for row in existing if row.capture_id not in wanted]
    added = [make_row(s, by_hash) for s in starts if s.capture_id not in have]
    if not added and not removed:
        return 0, 0
    session.add_all(added)
    session.flush()
    notify(session, model, added, removed)
    if removed:
        session.execute(delete(model).where(model.id.in_([row.id for row in removed])))
        for row in removed:
            if row in session:
                session.expunge(row)
    return len(added), len(removed)
