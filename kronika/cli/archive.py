"""Archive commands: get (one capture back), verify (digests and files), wacz (export), replay (pywb)."""
from __future__ import annotations

import signal
import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.table import Table

from kronika.cli.base import (
    KnownError,
    console,
    emit_json,
    environment,
    errors,
    main,
    one_line_errors,
    read_session,
    reading_environment,
)
from kronika.cli.params import TIME, TIME_HELP
from kronika.storage.warc.paths import relative_name

if TYPE_CHECKING:
    from kronika.settings import Environment



def _bytes_bar(description: str):
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    return Progress(TextColumn(description), BarColumn(), DownloadColumn(), TransferSpeedColumn(),
                    TimeRemainingColumn(), console=errors, transient=True)


@main.command()
@click.argument("url")
@click.option("--at", "at", type=TIME,
              help=f"Closest capture to this time (default: the newest). {TIME_HELP}")
@click.option("--raw", "mode", flag_value="raw", help="The HTTP response as archived (headers + body as sent).")
@click.option("--headers", "mode", flag_value="headers", help="Only the status line and headers.")
@click.option("--body", "mode", flag_value="body", default=True, help="The decoded body, e.g. the HTML source (default).")
@click.option("--text", "mode", flag_value="text",
              help="The extracted text of the article or post: the version in effect at --at (default: the newest).")
@click.option("--json", "as_json", is_flag=True, help="Print the capture, its headers and its body as JSON "
              "(with --text: the version and its text).")
@one_line_errors
def get(url: str, at: datetime | None, mode: str, as_json: bool) -> None:
    """Print the capture of URL closest to a time (a revisit's body comes from its original),
    or with --text the text Kronika extracted from it.

    URL may be given in any SURT-equivalent form (case, www., default port, query order) or as a
    SURT key.

    \b
    Examples:
      kronika get http://mirror.kronika.test/herald/news/flood.html --text
      kronika get https://t.me/zarichna_ova/4117 --text --at 20260114
      kronika get http://mirror.kronika.test/herald/news/flood.html --at 20260102 --headers
      kronika get http://mirror.kronika.test/herald/news/flood.html --raw > response.http
    """
    from kronika.lookup import closest_capture
    from kronika.spiders.parsers.charset import decode_html
    from kronika.storage.warc.retrieve import http_head, read_capture

    env = reading_environment()
    if mode == "text":
        _print_extracted_text(env, url, at, as_json)
        return
    with read_session() as session:
        capture = closest_capture(session, url, at)
        if capture is None:
            raise KnownError(f"no captures of {url} (see `kronika history`, or run `kronika index`)")
        try:
            found = read_capture(session, env.archive_dir, *capture)
        except LookupError as exc:
            raise KnownError(str(exc)) from None
    response = found.response
    if as_json:
        text, encoding = decode_html(response.body, response.header("Content-Type"))
        emit_json({"capture": found.capture, "payload_from": found.payload_from,
                   "status_line": f"{response.protocol} {response.status_line}".strip(),
                   "headers": [[k, v] for k, v in response.headers], "encoding": encoding, "text": text})
        return
    out = sys.stdout.buffer
    if mode == "raw":
        out.write(http_head(response) + response.raw_body)
    elif mode == "headers":
        out.write(http_head(response))
    else:
        text, _ = decode_html(response.body, response.header("Content-Type"))
        out.write(text.encode("utf-8"))
        if text and not text.endswith("\n"):
            out.write(b"\n")
    out.flush()
    from kronika.storage.warc.replay import timestamp14

    stamp = timestamp14(datetime.fromisoformat(found.capture["captured_at"]))  # the form --at and replay take
    note = f"{found.capture['record_type']} of {found.capture['url']} at {found.capture['captured_at']} ({stamp})"
    if found.payload_from:
        note += f", payload from {found.payload_from['captured_at']}"
    errors.print(f"[dim]{note} ({found.capture['warc_file']}@{found.capture['offset']})[/]", highlight=False,
                 soft_wrap=True)


def _print_extracted_text(env: Environment, url: str, moment, as_json: bool) -> None:
    """The title and text of the version in effect at `moment` (the newest captured at or before
    it), as extract stored it; which version it is goes to stderr (stdout stays the text alone)."""
    from kronika.extracted import extracted_text
    from kronika.storage.warc.replay import timestamp14

    found = extracted_text(env, url, moment)
    if as_json:
        emit_json(found)
        return
    out = sys.stdout
    if found.get("title"):
        out.write(f"{found['title']}\n\n")
    out.write(found["text"] + ("" if found["text"].endswith("\n") else "\n"))
    out.flush()
    errors.print(f"[dim]{found['kind']} {found['url']}: version {found['version']} of {found['versions']}, "
                 f"captured {found['captured_at']} ({timestamp14(found['captured_at'])}), "
                 f"capture {found['capture_id']}[/]", highlight=False, soft_wrap=True)


@main.command()
@click.option("--source", help="Only this source's files.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@one_line_errors
def verify(source: str | None, as_json: bool) -> None:
    """Re-read every closed WARC file: each record's block and payload digests, and the file's
    sha256, size and record count against warc_files. Exits 1 on any problem.

    Example: kronika verify --source riverside-herald
    """
    from kronika.names import check_stored_source
    from kronika.storage.warc.verify import verify_archive

    env = reading_environment()
    check_stored_source(env.database_url, source)  # an unknown source is an error, not "OK: 0 files"
    with _bytes_bar("verifying") as progress:
        task = progress.add_task("verify", total=None)
        result = verify_archive(env.database_url, env.archive_dir, source,
                                on_start=lambda total: progress.update(task, total=total),
                                on_bytes=lambda n: progress.advance(task, n))
    from kronika.custody.record import files_verified

    files_verified(env, result.verified)
    if as_json:
        emit_json(result.as_dict())
    else:
        for note in result.notes:
            errors.print(f"[yellow]note:[/] {note}", highlight=False, soft_wrap=True)
        if result.problems:
            table = Table(title=f"{len(result.problems)} problems")
            for column in ("file", "offset", "URL", "problem"):
                table.add_column(column, overflow="fold")
            for problem in result.problems:
                table.add_row(problem.file, "" if problem.offset is None else str(problem.offset),
                              problem.url or "", problem.problem)
            console.print(table)
        console.print(f"{'OK' if result.ok else 'FAILED'}: {result.files} files, {result.records} records, "
                      f"{result.digests_checked} digests, {result.bytes} bytes checked")
    if not result.ok:
        sys.exit(1)


@main.command()
@click.argument("out", type=click.Path(dir_okay=False, writable=True))
@click.option("--source", help="Only this source's captures.")
@click.option("--since", type=TIME, help=f"Captures at or after this time. {TIME_HELP}")
@click.option("--until", type=TIME, help="Captures before this time.")
@click.option("--title", help="The package's title (default: Kronika archive of SOURCE).")
@click.option("--sign", "key", envvar="KRONIKA_SIGNING_KEY", type=click.Path(dir_okay=False),
              help="Sign with this ECDSA private key (PEM; or $KRONIKA_SIGNING_KEY): the WACZ signing spec, "
                   "with an RFC 3161 token over the signature and the files' custody record.")
@click.option("--cert", type=click.Path(dir_okay=False),
              help="With --sign: the key's certificate chain (PEM, leaf first), the domain-certificate mode.")
@click.option("--json", "as_json", is_flag=True, help="Print the datapackage as JSON.")
@click.pass_context
@one_line_errors
def wacz(ctx: click.Context, out: str, source: str | None, since: datetime | None, until: datetime | None,
         title: str | None, key: str | None, cert: str | None, as_json: bool) -> None:
    """Export captures as a WACZ 1.1.1 package (WARCs, CDXJ index, pages with titles, hashes).

    Whole WARC files go in: those holding a capture in the range, and those holding the
    originals its revisits need. Opens in ReplayWeb.page; `wacz validate -f OUT` accepts it.
    Signed (--sign), it also carries the files' custody entries and time-stamp tokens;
    `kronika verify-package OUT` checks it.

    \b
    Examples:
      kronika wacz herald.wacz --source riverside-herald --since 2026-01-01
      kronika wacz herald.wacz --source riverside-herald --sign signing-key.pem
    """
    from kronika.cli.custody import signer_for

    sign = signer_for(ctx, key, cert)
    from kronika.names import check_stored_source
    from kronika.storage.warc.wacz import build_wacz, select_for_wacz

    env = reading_environment()
    check_stored_source(env.database_url, source)
    files, pages = select_for_wacz(env.database_url, env.archive_dir, source,
                                   since, until)
    if not files:
        raise KnownError("no captures match: nothing to package (run `kronika index`, or widen --since/--until)")
    title = title or f"Kronika archive of {source or 'all sources'}"
    description = "Captures " + " ".join(part for part in (f"since {since.isoformat()}" if since else "",
                                                           f"until {until.isoformat()}" if until else "") if part)
    members = None
    if sign:
        from kronika.custody.evidence import custody_for
        from kronika.storage.db.engine import open_database

        members = custody_for(open_database(env.database_url), _file_digests(env, files),
                              whole_members={relative_name(env.archive_dir, p): f"archive/{p.name}" for p in files})
    with _bytes_bar("packaging") as progress:
        task = progress.add_task("wacz", total=sum(p.stat().st_size for p in files))
        package = build_wacz(Path(out), files, pages, title, description.strip() if since or until else None,
                             on_bytes=lambda n: progress.advance(task, n), members=members, sign=sign)
    from kronika.custody.record import package_written
    from kronika.storage.warc.paths import file_sha256

    package_written(env, "exported", Path(out).name, file_sha256(Path(out)),
                    {"warc_files": [relative_name(env.archive_dir, p) for p in files], "signed": bool(sign)})
    if as_json:
        emit_json(package)
    else:
        console.print(f"wrote {out}: {len(files)} WARC files, {len(pages)} pages")


def _file_digests(env: Environment, files: list) -> dict[str, str]:
    """Each packaged file's sha256 as indexed (the custody check compares the packaged bytes with it)."""
    from sqlalchemy import select

    from kronika.storage.db.engine import open_database, unit_of_work
    from kronika.storage.db.models import WarcFile

    relatives = [relative_name(env.archive_dir, p) for p in files]
    with unit_of_work(open_database(env.database_url)) as session:
        return dict(session.execute(select(WarcFile.path, WarcFile.sha256).where(WarcFile.path.in_(relatives))).all())


@main.command()
@click.option("--port", default=8080, show_default=True, help="Port on the bind address.")
@click.option("--bind", default="127.0.0.1", show_default=True, help="Address to listen on.")
@one_line_errors
def replay(port: int, bind: str) -> None:
    """Browse the archive in pywb: each source is a collection, and `all` spans every source.

    A capture replays at /<collection>/<timestamp>/<url>, with the 14-digit timestamp that
    `kronika history` and the web view show (a prefix such as 2026 finds the closest capture).
    Needs pywb (`make pywb` installs it into .venv-pywb; or set KRONIKA_PYWB to its `wayback`).
    Point `kronika serve --replay-url` at the address it prints to link every capture to it.

    \b
    Example: kronika replay --port 8080
    then open http://127.0.0.1:8080/all/2026/http://mirror.kronika.test/herald/rss.xml
    """
    from kronika.storage.warc import replay as pywb

    env = environment()
    wayback = pywb.find_wayback()
    archive = env.archive_dir
    work_dir = env.local_archive_dir / ".replay"
    if env.archive_is_remote:
        console.print(f"copying the archive from {archive} for pywb (it reads local files only)…")
        archive = pywb.local_copy(archive, work_dir / "archive")
    process = pywb.start(archive, work_dir, port, bind, wayback=wayback)
    names = [name for name in pywb.collections(archive) if name != pywb.ALL]
    console.print(f"pywb on http://{bind}:{port}/ — collections: {pywb.ALL} (every source), {', '.join(names)}; "
                  f"a capture is at http://{bind}:{port}/<collection>/<YYYYMMDDhhmmss>/<url> (Ctrl-C stops)",
                  highlight=False, soft_wrap=True)
    # stopping `kronika replay` stops pywb with it, whether by Ctrl-C or by a service manager's SIGTERM
    signal.signal(signal.SIGTERM, lambda *_: process.terminate())
    try:
        code = process.wait()
    except KeyboardInterrupt:
        process.terminate()
        code = process.wait(timeout=10)
    if code not in (0, -signal.SIGTERM, -signal.SIGINT):
        raise KnownError(f"pywb exited with status {code}")
