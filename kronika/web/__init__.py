"""The read-only web view (`kronika serve`): Starlette + Jinja2, server-rendered, no scripts at all.

Read-only by construction: every route is GET (HEAD), the database is opened through
kronika.storage.db.readonly (SQLite `mode=ro`, PostgreSQL `default_transaction_read_only`), and
archived content is only ever shown escaped (Jinja autoescape) or as text/plain under a
Content-Security-Policy that allows no script, on every response.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import datetime
from importlib import resources
from urllib.parse import urlencode

from jinja2 import Environment as Templates
from jinja2 import PackageLoader, select_autoescape
from markupsafe import Markup, escape
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.applications import Starlette
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from kronika import browse
from kronika.settings import Environment
from kronika.storage.db.models import Article, Capture, CrawlRun, Source, TelegramPost
from kronika.storage.db.readonly import read_only_engine
from kronika.storage.warc.replay import timestamp14
from kronika.web.diffs import side_by_side

PER_PAGE = 50
FEED_ENTRIES = 50  # a feed reader polls often: the newest changes are enough
MAX_CHANGE_PAGES = 100  # further back, ask with until= (each page re-reads the newer ones)
# no script may run on any page: the app has none, and archived markup must never get to run
PAGE_POLICY = ("default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
               "base-uri 'none'; frame-ancestors 'none'")
CAPTURE_POLICY = "default-src 'none'; sandbox"
SECURITY_HEADERS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
                    "X-Frame-Options": "DENY"}


class SecurityHeaders:
    """Pure ASGI middleware: a CSP and friends on every response that does not set its own."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if "content-security-policy" not in headers:
                    headers["Content-Security-Policy"] = PAGE_POLICY
                for name, value in SECURITY_HEADERS.items():
                    headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _page_number(request: Request) -> int:
    try:
        return max(1, int(request.query_params.get("page", "1")))
    except ValueError:
        raise HTTPException(400, "page must be a number") from None


def _with_capture_urls(session: Session, versions: list[dict]) -> list[dict]:
    """Each version's capture URL: what was fetched (a post's channel page, an article's redirect
    target), which is what pywb replays, rather than the article's or post's own URL."""
    ids = [v["capture_id"] for v in versions]
    urls = dict(session.execute(select(Capture.id, Capture.url).where(Capture.id.in_(ids))).all()) if ids else {}
    for version in versions:
        version["capture_url"] = urls.get(version["capture_id"])
    return versions


def _time_param(request: Request, name: str) -> datetime | None:
    from kronika.times import parse_time

    value = request.query_params.get(name, "").strip()
    try:
        return parse_time(value) if value else None
    except ValueError as exc:
        raise HTTPException(400, f"{name}: {exc}") from None


def _version_link(entry: dict) -> str:
    """The page of the version a claim comes from: an article's diff against the version before
    (or the article, for its first version), a post's version anchor."""
    number = entry.get("version_number")
    if entry["item_kind"] == "post":
        return f"/posts/{entry['item_id']}" + (f"#v{number}" if number else "")
    if number and number > 1:
        return f"/articles/{entry['item_id']}?a={number - 1}&b={number}"
    return f"/articles/{entry['item_id']}"


def _marked(snippet: str | None) -> Markup:
    """A search snippet, escaped, with the matched words (between [ and ]) in <mark>."""
    parts = re.split(r"\[([^\]]*)\]", snippet or "")
    return Markup("").join(Markup("<mark>{}</mark>").format(part) if i % 2 else escape(part)
                           for i, part in enumerate(parts))


def _timestamp(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S UTC") if value else "—"


class WebView:
    def __init__(self, env: Environment, replay_url: str | None = None, per_page: int = PER_PAGE):
        self.env = env
        self.engine = read_only_engine(env.database_url)
        self.replay_url = replay_url.rstrip("/") if replay_url else None
        self.per_page = per_page
        self.templates = Templates(loader=PackageLoader("kronika.web", "templates"),
                                   autoescape=select_autoescape(default=True, default_for_string=True))
        self.templates.filters["ts"] = _timestamp
        self.templates.filters["marked"] = _marked
        self.templates.filters["ts14"] = lambda value: timestamp14(value) if value else ""
        self.templates.globals["replay_link"] = self.replay_link

    @contextmanager
    def session(self) -> Iterator[Session]:
        with Session(self.engine) as session:
            yield session

    def render(self, request: Request, name: str, status: int = 200, **context) -> HTMLResponse:
        def link(**changes) -> str:
            params = {**request.query_params, **{k: v for k, v in changes.items()}}
            return "?" + urlencode({k: v for k, v in params.items() if v not in (None, "")})

        html = self.templates.get_template(name).render(request=request, link=link, **context)
        return HTMLResponse(html, status_code=status)

    def replay_link(self, source: str, url: str, captured_at: datetime) -> str | None:
        """The capture in pywb (`kronika replay`): its source's collection, 14-digit timestamp, URL."""
        if not self.replay_url:
            return None
        return f"{self.replay_url}/{source}/{timestamp14(captured_at)}/{url}"

    def pager(self, session: Session, request: Request, stmt) -> dict:
        page = _page_number(request)
        rows, total = browse.page_of(session, stmt, page, self.per_page)
        pages = max(1, -(-total // self.per_page))
        return {"rows": rows, "total": total, "page": page, "pages": pages}

    def found_page(self, request: Request, found: list, as_dict) -> dict:
        """One page of a search's (item, hit) pairs, each item as a dict with its `hit` (None: by URL)."""
        page = _page_number(request)
        rows = found[(page - 1) * self.per_page: page * self.per_page]
        return {"rows": [as_dict(item) | {"hit": hit} for item, hit in rows], "total": len(found), "page": page,
                "pages": max(1, -(-len(found) // self.per_page))}

    # ------------------------------------------------------------------------------ routes
    def home(self, request: Request) -> Response:
        with self.session() as session:
            sources = []
            for source in session.scalars(select(Source).order_by(Source.name)):
                last = session.scalars(browse.runs_query(source.name).limit(1)).first()
                sources.append({
                    "name": source.name, "kind": source.kind, "last_run": browse.run_dict(last) if last else None,
                    "articles": session.scalar(select(func.count(Article.id)).where(Article.source == source.name)),
                    "posts": session.scalar(select(func.count(TelegramPost.id)).where(TelegramPost.source == source.name)),
                    "channels": list(session.scalars(select(TelegramPost.channel).where(
                        TelegramPost.source == source.name).distinct())),
                })
        return self.render(request, "home.html", sources=sources)

    def runs(self, request: Request) -> Response:
        source = request.query_params.get("source") or None
        with self.session() as session:
            self._source_or_404(session, source)
            page = self.pager(session, request, browse.runs_query(source))
            page["rows"] = [browse.run_dict(r) for r in page["rows"]]
        return self.render(request, "runs.html", source=source, **page)

    def run(self, request: Request) -> Response:
        """One run: its outcome and reason, errors by cause, skips by reason, what it added, raw stats."""
        with self.session() as session:
            run = session.get(CrawlRun, request.path_params["run_id"])
            if run is None:
                raise HTTPException(404, "no such run")
            summary = browse.run_dict(run, session)
            stats = sorted((run.stats or {}).items())
        return self.render(request, "run.html", run=summary, stats=stats)

    def articles(self, request: Request) -> Response:
        q, source = request.query_params.get("q", "").strip(), request.query_params.get("source") or None
        with self.session() as session:
            self._source_or_404(session, source)
            if q:
                page = self.found_page(request, browse.search_items(session, q, "article", source=source),
                                       browse.article_dict)
            else:
                page = self.pager(session, request, browse.search_articles_query(None, source))
                page["rows"] = [browse.article_dict(a) for a in page["rows"]]
        return self.render(request, "articles.html", q=q, source=source, **page)

    def article(self, request: Request) -> Response:
        with self.session() as session:
            article = session.get(Article, request.path_params["article_id"])
            if article is None:
                raise HTTPException(404, "no such article")
            versions = _with_capture_urls(session, browse.article_versions(session, article.id))
            item = browse.article_dict(article)
        old, new = self._pair(request, versions)
        diff = {"fields": side_by_side(old, new),
                "text": browse.word_diff(old["text"], new["text"])} if old and new else None
        return self.render(request, "article.html", article=item, versions=versions, old=old, new=new, diff=diff)

    @staticmethod
    def _pair(request: Request, versions: list[dict]) -> tuple[dict | None, dict | None]:
        """The two versions to compare: ?a=N&b=M, by default the last one against the one before."""
        if len(versions) < 2:
            return None, versions[-1] if versions else None
        try:
            a = int(request.query_params.get("a", len(versions) - 1))
            b = int(request.query_params.get("b", len(versions)))
        except ValueError:
            raise HTTPException(400, "a and b are version numbers") from None
        if not (1 <= a <= len(versions) and 1 <= b <= len(versions)):
            raise HTTPException(404, "no such version")
        return versions[a - 1], versions[b - 1]

    def posts(self, request: Request) -> Response:
        q = request.query_params.get("q", "").strip()
        channel = request.path_params.get("channel") or request.query_params.get("channel") or None
        with self.session() as session:
            channel = self._channel_or_404(session, channel)
            if q:
                page = self.found_page(request, browse.search_items(session, q, "post", channel=channel),
                                       browse.post_dict)
            else:
                page = self.pager(session, request, browse.search_posts_query(None, channel))
                page["rows"] = [browse.post_dict(p) for p in page["rows"]]
        return self.render(request, "posts.html", q=q, channel=channel, **page)

    def post(self, request: Request) -> Response:
        with self.session() as session:
            post = session.get(TelegramPost, request.path_params["post_id"])
            if post is None:
                raise HTTPException(404, "no such post")
            versions = _with_capture_urls(session, browse.post_versions(session, post.id))
            item = browse.post_dict(post)
        previous = None
        for version in versions:
            version["diff"] = browse.word_diff(previous["text"], version["text"]) if previous else None
            previous = version
        return self.render(request, "post.html", post=item, versions=versions)

    def capture(self, request: Request) -> Response:
        """The capture's WARC record: where it is, its headers and digests, beside its body as text."""
        from kronika.web.records import RecordMissing, load_capture

        with self.session() as session:
            try:
                record = load_capture(session, self.env.archive_dir, request.path_params["capture_id"])
            except RecordMissing as exc:
                raise HTTPException(404, str(exc)) from None
        if record is None:
            raise HTTPException(404, "no such capture")
        return self.render(request, "capture.html", record=record,
                           replay=self.replay_link(record.source, record.url, record.captured_at))

    def capture_body(self, request: Request) -> Response:
        """The archived response body as text/plain: a record to read, never a page to run."""
        from kronika.storage.warc.paths import archive_path
        from kronika.storage.warc.reader import read_response

        with self.session() as session:
            found = browse.capture_location(session, request.path_params["capture_id"])
            if found is None:
                raise HTTPException(404, "no such capture")
            original = browse.payload_capture(session, found[0])
            located = browse.capture_location(session, original.id)
        capture, warc_path = located
        try:
            stored = read_response(archive_path(self.env.archive_dir, warc_path), capture.offset)
        except (FileNotFoundError, ValueError):  # ValueError: a stored path pointing outside the archive
            raise HTTPException(404, f"WARC file {warc_path} is not in the archive directory") from None
        content_type = stored.header("Content-Type") or ""
        charset = next((p.split("=", 1)[1].strip().strip('"') for p in content_type.split(";")[1:]
                        if p.strip().lower().startswith("charset=")), "utf-8")
        return Response(stored.body, media_type=f"text/plain; charset={charset}", headers={
            "Content-Security-Policy": CAPTURE_POLICY, "Content-Disposition": "inline",
            "X-Kronika-Warc-Record": f"{warc_path}@{capture.offset}",
            "X-Kronika-Target-Uri": capture.url, "X-Kronika-Captured-At": capture.captured_at.isoformat()})

    def _source_or_404(self, session: Session, source: str | None) -> None:
        """An unknown source is a 404 naming the close matches, never an empty page."""
        from kronika.names import UnknownName, check_name, stored_sources

        try:
            if source:
                check_name("source", source, stored_sources(session))
        except UnknownName as exc:
            raise HTTPException(404, str(exc)) from None

    def _channel_or_404(self, session: Session, channel: str | None) -> str | None:
        from kronika.names import UnknownName, check_name, stored_channels

        try:
            return check_name("channel", channel, stored_channels(session), ignore_case=True) if channel else None
        except UnknownName as exc:
            raise HTTPException(404, str(exc)) from None

    def changes(self, request: Request) -> Response:
        """Recent changes across every source (or one), newest first, each linking to its diff."""
        from kronika.changes import recent_changes

        source = request.query_params.get("source") or None
        since, until, page = _time_param(request, "since"), _time_param(request, "until"), _page_number(request)
        if page > MAX_CHANGE_PAGES:
            raise HTTPException(400, f"page {page} is too far back: add until=<a time> to start from there")
        with self.session() as session:
            self._source_or_404(session, source)
            # one more than the page holds says whether there is a next page
            found = recent_changes(session, since, until, source, limit=page * self.per_page + 1)
            sources = list(session.scalars(select(Source.name).order_by(Source.name)))
        rows = found[(page - 1) * self.per_page: page * self.per_page]
        return self.render(request, "changes.html", changes=rows, source=source, sources=sources,
                           since=request.query_params.get("since", ""), page=page,
                           has_next=len(found) > page * self.per_page)

    def changes_feed(self, request: Request) -> Response:
        """The same as an Atom feed: /changes.atom for every source, /changes/<source>.atom for one."""
        from urllib.parse import quote

        from kronika.changes import recent_changes
        from kronika.web.atom import MEDIA_TYPE, atom_feed

        source = request.path_params.get("source")
        with self.session() as session:
            self._source_or_404(session, source)
            found = recent_changes(session, source=source, limit=FEED_ENTRIES)
            runs = select(func.max(CrawlRun.started_at))
            newest_run = session.scalar(runs.where(CrawlRun.source == source) if source else runs)
        body = atom_feed(found, base_url=str(request.base_url), self_path=request.url.path,
                         page_path="/changes" + (f"?source={quote(source)}" if source else ""),
                         title=f"Kronika: changes of {source}" if source else "Kronika: changes of every source",
                         source=source, updated=newest_run)
        return Response(body, media_type=MEDIA_TYPE)

    def find(self, request: Request) -> Response:
        """/find?url=U: the article's or post's page for a URL in any of its forms (kronika.lookup),
        else the newest capture of that page."""
        from starlette.responses import RedirectResponse

        from kronika import lookup

        url = request.query_params.get("url", "").strip()
        if not url:
            raise HTTPException(400, "give the URL to find: /find?url=https://…")
        with self.session() as session:
            found = lookup.find(session, url)
            if isinstance(found, Article):
                target = f"/articles/{found.id}"
            elif found is not None:
                target = f"/posts/{found.id}"
            else:
                newest = lookup.closest_capture(session, url, None)
                target = f"/capture/{newest[0].id}" if newest else None
        if target is None:
            raise HTTPException(404, f"nothing stored for {url}")
        return RedirectResponse(target, status_code=303)

    def _claims_filters(self, session: Session, request: Request) -> dict:
        source = request.query_params.get("source") or None
        self._source_or_404(session, source)
        return {"source": source, "category": request.query_params.get("category") or None,
                "query": request.query_params.get("q", "").strip() or None, "since": _time_param(request, "since")}

    def claims(self, request: Request) -> Response:
        """Figures over time: a chart per category (a PNG of kronika.plots.claims_figure) and the
        claims under it, each linked to the version that states it."""
        from kronika.claims.timeline import add_version_numbers, figure_text, timeline
        from kronika.storage.db.models import StoredClaim

        with self.session() as session:
            filters = self._claims_filters(session, request)
            entries = add_version_numbers(session, timeline(session, **filters))
            sources = list(session.scalars(select(Source.name).order_by(Source.name)))
            categories = list(session.scalars(select(StoredClaim.category).distinct().order_by(StoredClaim.category)))
        by_category: dict[str, list[dict]] = {}
        for entry in entries:
            by_category.setdefault(entry["category"], []).append(entry)
        for items in by_category.values():
            items.sort(key=lambda e: (e["captured_at"], e["source"], e["url"]))
            for entry in items:
                entry["figure"] = figure_text(entry["value"], entry["value_high"], entry["qualifier"])
                entry["link"] = _version_link(entry)
        charts = {name: "/claims.png?" + urlencode({"category": name, **({"source": filters["source"]} if filters["source"] else {})})
                  for name in by_category}
        return self.render(request, "claims.html", by_category=by_category, charts=charts, sources=sources,
                           categories=categories,
                           source=filters["source"], category=filters["category"], q=filters["query"] or "",
                           since=request.query_params.get("since", ""))

    def claims_png(self, request: Request) -> Response:
        """The figures of one category (or all) over time, as a PNG."""
        import io

        from matplotlib.backends.backend_agg import FigureCanvasAgg

        from kronika.plots import claims_figure

        with self.session() as session:
            # the chart follows source and category only; the page's table narrows further
            filters = self._claims_filters(session, request)
            try:
                figure, _drawn = claims_figure(session, filters["source"], filters["category"])
            except ValueError as exc:
                raise HTTPException(404, str(exc)) from None
        out = io.BytesIO()
        FigureCanvasAgg(figure).print_png(out)
        return Response(out.getvalue(), media_type="image/png")

    def stylesheet(self, request: Request) -> Response:
        css = resources.files("kronika.web").joinpath("templates/style.css").read_text(encoding="utf-8")
        return Response(css, media_type="text/css", headers={"Cache-Control": "max-age=3600"})

    def error(self, request: Request, exc: HTTPException) -> Response:
        return self.render(request, "error.html", status=exc.status_code, status_code=exc.status_code,
                           detail=exc.detail)


def create_app(env: Environment | None = None, replay_url: str | None = None, per_page: int = PER_PAGE) -> Starlette:
    view = WebView(env or Environment.from_env(), replay_url, per_page)
    routes = [
        Route("/", view.home, methods=["GET"]),
        Route("/runs", view.runs, methods=["GET"]),
        Route("/runs/{run_id}", view.run, methods=["GET"]),
        Route("/articles", view.articles, methods=["GET"]),
        Route("/articles/{article_id:int}", view.article, methods=["GET"]),
        Route("/posts", view.posts, methods=["GET"]),
        Route("/posts/{post_id:int}", view.post, methods=["GET"]),
        Route("/channels/{channel}", view.posts, methods=["GET"]),
        Route("/changes", view.changes, methods=["GET"]),
        Route("/claims", view.claims, methods=["GET"]),
        Route("/claims.png", view.claims_png, methods=["GET"]),
        Route("/changes.atom", view.changes_feed, methods=["GET"]),
        Route("/changes/{source}.atom", view.changes_feed, methods=["GET"]),
        Route("/capture/{capture_id:int}", view.capture, methods=["GET"]),
        Route("/capture/{capture_id:int}/body", view.capture_body, methods=["GET"]),
        Route("/find", view.find, methods=["GET"]),
        Route("/style.css", view.stylesheet, methods=["GET"]),
    ]
    @asynccontextmanager
    async def lifespan(_app):
        yield
        view.engine.dispose()

    app = Starlette(routes=routes, exception_handlers={HTTPException: view.error}, lifespan=lifespan)
    app.state.view = view
    app.add_middleware(SecurityHeaders)
    return app

