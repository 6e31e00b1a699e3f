"""Full-text search over articles and Telegram posts, ranked, with snippets.

SQLite: the FTS5 tables `articles_fts` and `telegram_posts_fts` (migration 0002), ranked by bm25
(title weighs most). PostgreSQL: the `search_vector` tsvector columns with the `simple` config,
ranked by ts_rank_cd, snippets from ts_headline. `simple` does not stem, so each query word also
matches as a prefix (3 letters or more): "удар" finds "удару" and "ударів", "strike" "strikes".
All words must match.
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import datetime

from sqlalchemy import Engine, text

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

    def as_dict(self) -> dict:
        return asdict(self)


def query_words(query: str) -> list[str]:
    return [w.lower() for w in _WORD_RE.findall(query)]


def _fts5_query(words: list[str]) -> str:
    # every word quoted (no FTS syntax from the user), a prefix match from 3 letters on
    return " ".join(f'"{w}"*' if len(w) >= 3 else f'"{w}"' for w in words)


def _tsquery(words: list[str]) -> str:
    # \w+ words carry no tsquery operators; quoting keeps digits and underscores literal
    return " & ".join(f"'{w}':*" if len(w) >= 3 else f"'{w}'" for w in words)


# as migration 0002 creates them (a migration keeps its own frozen copy of its SQL)
SQLITE_FTS = {"articles": ("title", "description", "text"), "telegram_posts": ("text",)}


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
    with engine.begin() as connection:
        present = {row[0] for row in connection.execute(text("SELECT name FROM sqlite_master WHERE type='trigger'"))}
        missing = [table for table in SQLITE_FTS if not {f"{table}_fts_ai", f"{table}_fts_ad", f"{table}_fts_au"} <= present]
        for table in missing:
            for statement in sqlite_fts_statements(table, SQLITE_FTS[table]):
                connection.exec_driver_sql(statement)
    return bool(missing)


def _filters(prefix: str, date_column: str, source: str | None, since: datetime | None,
             until: datetime | None, params: dict) -> str:
    clauses = []
    if source:
        clauses.append(f"{prefix}.source = :source")
        params["source"] = source
    if since:
        clauses.append(f"{prefix}.{date_column} >= :since")
        params["since"] = since
    if until:
        clauses.append(f"{prefix}.{date_column} < :until")
        params["until"] = until
    return "".join(f" AND {c}" for c in clauses)


def search(engine: Engine, query: str, source: str | None = None, since: datetime | None = None,
           until: datetime | None = None, limit: int = 20, kinds: tuple[str, ...] = ("article", "post")) -> list[Hit]:
    """The best `limit` matches among articles and posts, best first."""
    words = query_words(query)
    if not words:
        raise ValueError("the query has no words to search for")
    dialect = engine.dialect.name
    # dates are bound through the column type: naive UTC on SQLite, timestamptz on PostgreSQL
    bind = UTCDateTime()
    since_value = bind.process_bind_param(since, engine.dialect) if since else None
    until_value = bind.process_bind_param(until, engine.dialect) if until else None
    statements = []
    params: dict = {"limit": limit}
    if dialect == "sqlite":
        ensure_search_index(engine)
        params["q"] = _fts5_query(words)
        if "article" in kinds:
            statements.append(
                "SELECT 'article' AS kind, a.source, a.url, a.title, a.published_at AS published_at, "
                "-bm25(articles_fts, 10.0, 4.0, 1.0) AS score, "
                f"snippet(articles_fts, 2, '{SNIPPET_START}', '{SNIPPET_END}', '…', 24) AS snippet_text, "
                f"snippet(articles_fts, 0, '{SNIPPET_START}', '{SNIPPET_END}', '…', 24) AS snippet_title "
                "FROM articles_fts JOIN articles a ON a.id = articles_fts.rowid WHERE articles_fts MATCH :q"
                + _filters("a", "published_at", source, since_value, until_value, params))
        if "post" in kinds:
            statements.append(
                "SELECT 'post' AS kind, p.source, p.url, NULL AS title, p.posted_at AS published_at, "
                "-bm25(telegram_posts_fts) AS score, "
                f"snippet(telegram_posts_fts, 0, '{SNIPPET_START}', '{SNIPPET_END}', '…', 24) AS snippet_text, "
                "NULL AS snippet_title "
                "FROM telegram_posts_fts JOIN telegram_posts p ON p.id = telegram_posts_fts.rowid "
                "WHERE telegram_posts_fts MATCH :q"
                + _filters("p", "posted_at", source, since_value, until_value, params))
    elif dialect == "postgresql":
        params["q"] = _tsquery(words)
        options = f"StartSel={SNIPPET_START}, StopSel={SNIPPET_END}, MaxWords=30, MinWords=12, MaxFragments=2"
        if "article" in kinds:
            statements.append(
                "SELECT 'article' AS kind, a.source, a.url, a.title, a.published_at AS published_at, "
                "ts_rank_cd(a.search_vector, to_tsquery('simple', :q)) AS score, "
                f"ts_headline('simple', coalesce(a.text, a.description, ''), to_tsquery('simple', :q), '{options}') AS snippet_text, "
                f"ts_headline('simple', coalesce(a.title, ''), to_tsquery('simple', :q), '{options}') AS snippet_title "
                "FROM articles a WHERE a.search_vector @@ to_tsquery('simple', :q)"
                + _filters("a", "published_at", source, since_value, until_value, params))
        if "post" in kinds:
            statements.append(
                "SELECT 'post' AS kind, p.source, p.url, NULL AS title, p.posted_at AS published_at, "
                "ts_rank_cd(p.search_vector, to_tsquery('simple', :q)) AS score, "
                f"ts_headline('simple', coalesce(p.text, ''), to_tsquery('simple', :q), '{options}') AS snippet_text, "
                "NULL AS snippet_title "
                "FROM telegram_posts p WHERE p.search_vector @@ to_tsquery('simple', :q)"
                + _filters("p", "posted_at", source, since_value, until_value, params))
    else:
        raise NotImplementedError(f"no full-text search on {dialect}")
    if not statements:
        return []
    sql = " UNION ALL ".join(f"SELECT * FROM ({s}) AS part{i}" for i, s in enumerate(statements))
    sql += " ORDER BY score DESC, published_at DESC, url LIMIT :limit"
    hits = []
    with engine.connect() as connection:
        for row in connection.execute(text(sql), params).mappings():
            snippet = row["snippet_text"] or ""
            if SNIPPET_START not in snippet and row["snippet_title"]:
                snippet = row["snippet_title"]  # the words were in the title (or the lead) only
            hits.append(Hit(kind=row["kind"], source=row["source"], url=row["url"], title=row["title"],
                            published_at=_as_datetime(row["published_at"], engine.dialect),
                            score=float(row["score"]), snippet=" ".join(snippet.split())))
    return hits
