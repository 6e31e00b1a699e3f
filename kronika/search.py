"""Full-text search over articles and Telegram posts — every version, not only the latest — ranked,
with snippets; the CLI (`kronika search`) and the web view's search both call `search()`.

What is indexed (docs/schema.md, "Full-text search"):
- the latest text: SQLite FTS5 `articles_fts` and `telegram_posts_fts` (migration 0002);
  PostgreSQL the generated `search_vector` columns;
- every version: SQLite FTS5 `article_versions_fts` and `telegram_post_versions_fts` (migration
  0018); PostgreSQL GIN expression indexes over `VERSION_VECTORS`.

An article or post is a hit when its latest text or any of its versions matches. The hit says
which versions matched and whether the latest text still does (`in_latest`): text removed in a
rewrite is found, marked removed. `latest_only` searches the current text alone.

Ranking: bm25 on SQLite (title weighs most), ts_rank_cd on PostgreSQL, the best over the item's
versions. `simple` (PostgreSQL) and unicode61 (SQLite) do not stem, so each query word also matches
as a prefix (3 letters or more): "удар" finds "удару" and "ударів". All words must match.
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from datetime import datetime

from sqlalchemy import Engine, bindparam, text

from kronika.storage.db.models import UTCDateTime

SNIPPET_START, SNIPPET_END = "[", "]"
_WORD_RE = re.compile(r"\w+", re.U)


@dataclass
class Hit:
    kind: str  # article | post
    source: str
    url: str
    title: str | None
    published_at: datetime | None
    score: float  # higher is better; comparable within one search, not across dialects
    snippet: str
    id: int = 0  # articles.id or telegram_posts.id (the web view links to it)
    versions: int = 0  # versions stored
    # the versions whose text matched: [{"version": 1, "captured_at": ...}], oldest first
    matched_versions: list[dict] = field(default_factory=list)
    in_latest: bool = True  # False: the text was there once and a later version removed it

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class _Kind:
    """Where one kind of item and its versions live, and how each is ranked and quoted."""
    table: str
    versions_table: str
    parent_key: str  # the versions table's column naming the item
    date_column: str
    title_column: str | None
    bm25_weights: str
    text_column_index: int  # in the FTS table, for snippet()


KINDS = {
    "article": _Kind("articles", "article_versions", "article_id", "published_at", "title", "10.0, 4.0, 1.0", 2),
    "post": _Kind("telegram_posts", "telegram_post_versions", "post_id", "posted_at", None, "", 0),
}


def query_words(query: str) -> list[str]:
    return [w.lower() for w in _WORD_RE.findall(query)]


def _fts5_query(words: list[str]) -> str:
    # every word quoted (no FTS syntax from the user), a prefix match from 3 letters on
    return " ".join(f'"{w}"*' if len(w) >= 3 else f'"{w}"' for w in words)


def _tsquery(words: list[str]) -> str:
    # \w+ words carry no tsquery operators; quoting keeps digits and underscores literal
    return " & ".join(f"'{w}':*" if len(w) >= 3 else f"'{w}'" for w in words)


# as migrations 0002 and 0018 create them (a migration keeps its own frozen copy of its SQL)
SQLITE_FTS = {"articles": ("title", "description", "text"), "telegram_posts": ("text",),
              "article_versions": ("title", "description", "text"), "telegram_post_versions": ("text",)}

# PostgreSQL: the versions' tsvector expressions, exactly as migration 0018 indexes them (an
# expression index is only used by a query that repeats its expression)
VERSION_VECTORS = {
    "article_versions": "setweight(to_tsvector('simple', coalesce({v}.title, '')), 'A') || "
                        "setweight(to_tsvector('simple', coalesce({v}.description, '')), 'B') || "
                        "setweight(to_tsvector('simple', coalesce({v}.text, '')), 'C')",
    "telegram_post_versions": "to_tsvector('simple', coalesce({v}.text, ''))",
}


def sqlite_fts_statements(table: str, columns: tuple[str, ...]) -> list[str]:
    fts, cols = f"{table}_fts", ", ".join(columns)
    new, old = ", ".join(f"new.{c}" for c in columns), ", ".join(f"old.{c}" for c in columns)
    return [
        f"CREATE VIRTUAL TABLE IF NOT EXISTS {fts} USING fts5({cols}, content='{table}', content_rowid='id', "
        "tokenize='unicode61 remove_diacritics 0')",
        f"CREATE TRIGGER IF NOT EXISTS {fts}_ai AFTER INSERT ON {table} BEGIN "
        f"INSERT INTO {fts}(rowid, {cols}) VALUES (new.id, {new}); END",
        f"CREATE TRIGGER IF NOT EXISTS {fts}_ad AFTER DELETE ON {table} BEGIN "
        f"INSERT INTO {fts}({fts}, rowid, {cols}) VALUES ('delete', old.id, {old}); END",
        f"CREATE TRIGGER IF NOT EXISTS {fts}_au AFTER UPDATE OF {cols} ON {table} BEGIN "
        f"INSERT INTO {fts}({fts}, rowid, {cols}) VALUES ('delete', old.id, {old}); "
        f"INSERT INTO {fts}(rowid, {cols}) VALUES (new.id, {new}); END",
        f"INSERT INTO {fts}({fts}) VALUES ('rebuild')",
    ]


def _as_datetime(value, dialect) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):  # SQLite hands a raw query's DATETIME back as text
        value = datetime.fromisoformat(value)
    return UTCDateTime().process_result_value(value, dialect)


def ensure_search_index(engine: Engine) -> bool:
    """SQLite: put back FTS tables/triggers a table rebuild dropped, and reindex; True if it had to."""
    if engine.dialect.name != "sqlite":
        return False
    with engine.connect() as connection:
        present = {row[0] for row in connection.execute(text("SELECT name FROM sqlite_master WHERE type='trigger'"))}
    missing = [table for table in SQLITE_FTS if not {f"{table}_fts_ai", f"{table}_fts_ad", f"{table}_fts_au"} <= present]
    if missing:  # only then write (a read-only engine with a whole index never has to)
        with engine.begin() as connection:
            for table in missing:
                for statement in sqlite_fts_statements(table, SQLITE_FTS[table]):
                    connection.exec_driver_sql(statement)
    return bool(missing)


def _filters(kind: _Kind, source: str | None, channel: str | None, since, until, params: dict) -> str:
    """Conditions on the item (alias p): its source (a post: its channel) and its publication time."""
    clauses = []
    if source:
        clauses.append("p.source = :source")
        params["source"] = source
    if channel and kind.table == "telegram_posts":
        clauses.append("p.channel = :channel")
        params["channel"] = channel
    if since:
        clauses.append(f"p.{kind.date_column} >= :since")
        params["since"] = since
    if until:
        clauses.append(f"p.{kind.date_column} < :until")
        params["until"] = until
    return "".join(f" AND {c}" for c in clauses)


def _matches_sql(dialect: str, kind: _Kind, versions: bool, where: str) -> str:
    """(item id, version id or NULL, score) of every matching latest text or version; no snippets yet."""
    if dialect == "sqlite":
        table = kind.versions_table if versions else kind.table
        fts = f"{table}_fts"
        weights = f", {kind.bm25_weights}" if kind.bm25_weights else ""
        if versions:
            return (f"SELECT v.{kind.parent_key} AS item_id, v.id AS version_id, -bm25({fts}{weights}) AS score "
                    f"FROM {fts} JOIN {table} v ON v.id = {fts}.rowid JOIN {kind.table} p ON p.id = v.{kind.parent_key} "
                    f"WHERE {fts} MATCH :q{where}")
        return (f"SELECT p.id AS item_id, NULL AS version_id, -bm25({fts}{weights}) AS score "
                f"FROM {fts} JOIN {kind.table} p ON p.id = {fts}.rowid WHERE {fts} MATCH :q{where}")
    if versions:
        vector = VERSION_VECTORS[kind.versions_table].format(v="v")
        return (f"SELECT v.{kind.parent_key} AS item_id, v.id AS version_id, "
                f"ts_rank_cd({vector}, to_tsquery('simple', :q)) AS score "
                f"FROM {kind.versions_table} v JOIN {kind.table} p ON p.id = v.{kind.parent_key} "
                f"WHERE ({vector}) @@ to_tsquery('simple', :q){where}")
    return (f"SELECT p.id AS item_id, CAST(NULL AS integer) AS version_id, "
            f"ts_rank_cd(p.search_vector, to_tsquery('simple', :q)) AS score "
            f"FROM {kind.table} p WHERE p.search_vector @@ to_tsquery('simple', :q){where}")


def _snippets(connection, dialect: str, kind: _Kind, table: str, ids: list[int], q: str) -> dict[int, str]:
    """The marked snippet of each row (of the item table or its versions table) by id."""
    if not ids:
        return {}
    if dialect == "sqlite":
        fts = f"{table}_fts"
        title = (f"snippet({fts}, 0, '{SNIPPET_START}', '{SNIPPET_END}', '…', 24)" if kind.title_column
                 else "NULL")
        sql = text(f"SELECT rowid AS id, snippet({fts}, {kind.text_column_index}, '{SNIPPET_START}', "
                   f"'{SNIPPET_END}', '…', 24) AS body, {title} AS title FROM {fts} "
                   f"WHERE {fts} MATCH :q AND rowid IN :ids")
    else:
        options = f"StartSel={SNIPPET_START}, StopSel={SNIPPET_END}, MaxWords=30, MinWords=12, MaxFragments=2"
        body = "coalesce(r.text, r.description, '')" if kind.title_column else "coalesce(r.text, '')"
        title = (f"ts_headline('simple', coalesce(r.title, ''), to_tsquery('simple', :q), '{options}')"
                 if kind.title_column else "NULL")
        sql = text(f"SELECT r.id, ts_headline('simple', {body}, to_tsquery('simple', :q), '{options}') AS body, "
                   f"{title} AS title FROM {table} r WHERE r.id IN :ids")
    rows = connection.execute(sql.bindparams(bindparam("ids", expanding=True)), {"q": q, "ids": ids}).mappings()
    snippets = {}
    for row in rows:
        snippet = row["body"] or ""
        if SNIPPET_START not in snippet and row["title"]:
            snippet = row["title"]  # the words were in the title (or the lead) only
        snippets[row["id"]] = " ".join(snippet.split())
    return snippets


def search(engine: Engine, query: str, source: str | None = None, since: datetime | None = None,
           until: datetime | None = None, limit: int = 20, kinds: tuple[str, ...] = ("article", "post"),
           latest_only: bool = False, channel: str | None = None) -> list[Hit]:
    """The best `limit` articles and posts whose text matches — in any version, or with
    `latest_only` in the current text — best first."""
    words = query_words(query)
    if not words:
        raise ValueError("the query has no words to search for")
    dialect = engine.dialect.name
    if dialect not in ("sqlite", "postgresql"):
        raise NotImplementedError(f"no full-text search on {dialect}")
    if dialect == "sqlite":
        ensure_search_index(engine)
    q = _fts5_query(words) if dialect == "sqlite" else _tsquery(words)
    # dates are bound through the column type: naive UTC on SQLite, timestamptz on PostgreSQL
    bind = UTCDateTime()
    since_value = bind.process_bind_param(since, engine.dialect) if since else None
    until_value = bind.process_bind_param(until, engine.dialect) if until else None

    with engine.connect() as connection:
        # 1. every matching item: its best score, the versions that matched, whether the latest does
        found: dict[tuple[str, int], dict] = {}
        for name in kinds:
            kind = KINDS[name]
            for versions in (False,) if latest_only else (False, True):
                params: dict = {"q": q}
                where = _filters(kind, source, channel, since_value, until_value, params)
                for row in connection.execute(text(_matches_sql(dialect, kind, versions, where)), params):
                    entry = found.setdefault((name, row.item_id), {"score": float("-inf"), "versions": set(),
                                                                    "in_latest": False})
                    entry["score"] = max(entry["score"], float(row.score))
                    if row.version_id is None:
                        entry["in_latest"] = True
                    else:
                        entry["versions"].add(row.version_id)
        best = sorted(found.items(), key=lambda item: (-item[1]["score"], item[0][0], -item[0][1]))[:limit]

        # 2. the chosen items' fields, their versions in order, and a snippet of the matching text
        hits: dict[tuple[str, int], Hit] = {}
        for name in kinds:
            kind = KINDS[name]
            chosen = {item_id: entry for (k, item_id), entry in best if k == name}
            if not chosen:
                continue
            ids = list(chosen)
            title = f"p.{kind.title_column}" if kind.title_column else "NULL"
            items = connection.execute(text(
                f"SELECT p.id, p.source, p.url, {title} AS title, p.{kind.date_column} AS published_at "
                f"FROM {kind.table} p WHERE p.id IN :ids").bindparams(bindparam("ids", expanding=True)),
                {"ids": ids}).mappings()
            ordered: dict[int, list] = {item_id: [] for item_id in ids}
            for row in connection.execute(text(
                    f"SELECT id, {kind.parent_key} AS item_id, captured_at FROM {kind.versions_table} "
                    f"WHERE {kind.parent_key} IN :ids ORDER BY captured_at, id")
                    .bindparams(bindparam("ids", expanding=True)), {"ids": ids}):
                ordered[row.item_id].append((row.id, _as_datetime(row.captured_at, engine.dialect)))
            # the snippet shows the current text when it still matches, else the newest version that did
            from_latest = [i for i, entry in chosen.items() if entry["in_latest"] or not entry["versions"]]
            newest_matched = {}
            for i, entry in chosen.items():
                if i not in from_latest:
                    position = {vid: n for n, (vid, _) in enumerate(ordered[i])}
                    newest_matched[i] = max(entry["versions"], key=lambda vid: position.get(vid, -1))
            latest_snippets = _snippets(connection, dialect, kind, kind.table, from_latest, q)
            version_snippets = _snippets(connection, dialect, kind, kind.versions_table,
                                         list(newest_matched.values()), q)
            for row in items:
                entry, versions = chosen[row["id"]], ordered[row["id"]]
                matched = [{"version": number, "captured_at": captured_at}
                           for number, (vid, captured_at) in enumerate(versions, start=1)
                           if vid in entry["versions"]]
                if latest_only and versions:
                    matched = [{"version": len(versions), "captured_at": versions[-1][1]}]
                snippet = (latest_snippets.get(row["id"]) if row["id"] in latest_snippets
                           else version_snippets.get(newest_matched.get(row["id"]), ""))
                hits[(name, row["id"])] = Hit(
                    kind=name, source=row["source"], url=row["url"], title=row["title"],
                    published_at=_as_datetime(row["published_at"], engine.dialect), score=entry["score"],
                    snippet=snippet or "", id=row["id"], versions=len(versions), matched_versions=matched,
                    in_latest=entry["in_latest"])
    return [hits[key] for key, _ in best if key in hits]
