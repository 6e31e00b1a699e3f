"""Chain-of-custody commands: stamp, custody verify/stamp-head/log, evidence, verify-package."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import click
from rich.table import Table

from kronika.cli.base import (
    KnownError,
    _config,
    console,
    emit_json,
    environment,
    errors,
    main,
    one_line_errors,
    progress_bar,
    reading_environment,
)

SIGNING_KEY_ENV = "KRONIKA_SIGNING_KEY"


def signer_for(ctx: click.Context, key: str | None, cert: str | None):
    """The WACZ signer for --sign KEY [--cert CHAIN], with the config's TSA; None without a key."""
    from kronika.custody.signing import SigningError, signer

    if not key:
        if cert:
            raise KnownError("--cert needs --sign KEY (the certificate's private key)")
        return None
    try:
        return signer(key, _config(ctx).timestamping, cert)
    except SigningError as exc:
        raise KnownError(str(exc)) from None


@main.command()
@click.option("--source", help="Only this source's files.")
@click.option("--json", "as_json", is_flag=True, help="Print what was stamped as JSON.")
@click.pass_context
@one_line_errors
def stamp(ctx: click.Context, source: str | None, as_json: bool) -> None:
    """Time-stamp every closed WARC file that lacks a token from a configured TSA (RFC 3161).

    Files whose TSA did not answer when they were closed, and files indexed before time-stamping
    was configured. Each file is hashed again first; one that no longer matches its custody
    entry is reported, not stamped. Exits 1 if a file could not be stamped.

    Example: kronika stamp --source riverside-herald
    """
    from kronika.custody.stamping import stamp_missing
    from kronika.storage.db.engine import open_database

    env = environment()
    config = _config(ctx)
    with progress_bar("files") as bar:
        task = bar.add_task("stamping", total=None)
        report = stamp_missing(open_database(env.database_url), env, config, source,
                               progress=lambda _: bar.advance(task))
    if as_json:
        emit_json(report.as_dict())
    else:
        if report.closed:
            console.print(f"{len(report.closed)} files had no custody entry yet: recorded as closed now")
        for line in report.failed + report.problems:
            errors.print(f"[red]problem:[/] {line}", highlight=False, soft_wrap=True)
        console.print(f"{len(report.stamped)} tokens obtained; {report.unstamped} files without any token")
        if report.unstamped and not config.timestamping and not any(s.timestamping for s in config.sources):
            console.print("no `timestamping` in the config: nothing can be stamped (docs/custody.md)")
    if report.failed or report.problems:
        sys.exit(1)


@main.group()
def custody() -> None:
    """The custody log: verify it and the files in it, time-stamp its head, list or restore it.

    Example: kronika custody verify
    """


@custody.command("verify")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.pass_context
@one_line_errors
def custody_verify(ctx: click.Context, as_json: bool) -> None:
    """Prove the custody log's chain unbroken, every logged file unchanged since it was closed,
    and every stored RFC 3161 token valid. Exits 1 on any problem.

    Example: kronika custody verify --json
    """
    from kronika.steps.custody import verify_custody

    env = reading_environment()
    with progress_bar("files") as bar:
        task = bar.add_task("verifying", total=None)
        result = verify_custody(env, _config(ctx), progress=lambda _: bar.advance(task))
    if as_json:
        emit_json(result.as_dict())
    else:
        for note in result.notes:
            errors.print(f"[yellow]note:[/] {note}", highlight=False, soft_wrap=True)
        for problem in result.problems:
            errors.print(f"[red]problem:[/] {problem}", highlight=False, soft_wrap=True)
        console.print(f"{'OK' if result.ok else 'FAILED'}: {result.entries} entries, {result.files} files, "
                      f"{result.tokens} tokens checked")
    if not result.ok:
        sys.exit(1)


@custody.command("stamp-head")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.pass_context
@one_line_errors
def custody_stamp_head(ctx: click.Context, as_json: bool) -> None:
    """Time-stamp the custody log's newest entry and copy the log to the archive (custody/log.jsonl).

    The maintenance DAG does this once a day.

    Example: kronika custody stamp-head
    """
    from kronika.steps.custody import stamp_head

    try:
        result = stamp_head(environment(), _config(ctx))
    except RuntimeError as exc:
        raise KnownError(str(exc)) from None
    if as_json:
        emit_json(result)
    else:
        console.print(f"head: entry {result['head']}; log copied to {result.get('log')}; "
                      f"{len(result.get('stamped', []))} tokens" + (f" ({result['note']})" if "note" in result else ""))


@custody.command("log")
@click.option("--file", "file", help="Only the entries of this archive file (SOURCE/NAME.warc.gz).")
@click.option("--json", "as_json", is_flag=True, help="Print the entries as JSON.")
@one_line_errors
def custody_log(file: str | None, as_json: bool) -> None:
    """List the custody log (or one file's entries), oldest first.

    Example: kronika custody log --file riverside-herald/kronika-riverside-herald-20260114062000000-00001-host.warc.gz
    """
    from kronika.custody import log as log_module
    from kronika.storage.db.engine import open_database

    env = reading_environment()
    rows = log_module.entries(open_database(env.database_url), files=[file] if file else None)
    if as_json:
        emit_json(rows)
        return
    table = Table(title=f"{len(rows)} custody entries")
    for column in ("#", "at", "action", "file", "sha256", "host", "user"):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(str(row["seq"]), row["at"], row["action"], row["file"] or "", (row["sha256"] or "")[:16],
                      row["host"], row["user"])
    console.print(table)


@custody.command("restore")
@click.argument("copy", type=click.Path(exists=True, dir_okay=False))
@one_line_errors
def custody_restore(copy: str) -> None:
    """Put the custody log back from a copy (the archive's custody/log.jsonl) after the database
    was lost or rebuilt; run it before new entries are written. The copy must be an unbroken chain.

    Example: kronika custody restore data/archive/custody/log.jsonl
    """
    from kronika.custody import log as log_module
    from kronika.storage.db.engine import open_database

    env = environment()
    rows = log_module.read_lines(Path(copy).read_text(encoding="utf-8"))
    added = log_module.restore(open_database(env.database_url), rows)
    console.print(f"{added} entries restored; the log has {len(rows)} entries up to the copy's head")


@main.command()
@click.argument("url")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, writable=True),
              help="The package to write (FILE.wacz).")
@click.option("--sign", "key", envvar=SIGNING_KEY_ENV, type=click.Path(dir_okay=False),
              help=f"ECDSA private key (PEM) to sign with (or ${SIGNING_KEY_ENV}).")
@click.option("--cert", type=click.Path(dir_okay=False),
              help="The key's certificate chain (PEM, leaf first): the spec's domain-certificate mode.")
@click.option("--json", "as_json", is_flag=True, help="Print what was packaged as JSON.")
@click.pass_context
@one_line_errors
def evidence(ctx: click.Context, url: str, out: str, key: str | None, cert: str | None, as_json: bool) -> None:
    """Package every capture of one article or Telegram post as signed evidence (a WACZ).

    The records of each capture (response or revisit with its original, request, metadata),
    the versions' extracted text, the custody entries and RFC 3161 tokens of the WARC files
    involved, and an HTML report (report/index.html) saying what was captured when and how to
    check it with standard tools. Check it with `kronika verify-package`.

    \b
    Examples:
      kronika evidence http://mirror.kronika.test/herald/news/flood.html --out flood.wacz --sign key.pem
      kronika evidence t.me/zarichna_ova/1042 --out post.wacz --sign key.pem --cert chain.pem
    """
    from kronika.custody.evidence import build_evidence

    sign = signer_for(ctx, key, cert)
    env = reading_environment()
    try:
        result = build_evidence(env, url, Path(out), sign=sign)
    except LookupError as exc:
        raise KnownError(str(exc)) from None
    from kronika.custody.record import package_written

    package_written(env, "packaged", Path(out).name, result.sha256,
                    {"subject": result.subject, "warc_files": result.files, "signed": result.signed})
    if as_json:
        emit_json(result.__dict__)
        return
    if not sign:
        errors.print(f"[yellow]note:[/] not signed (give --sign KEY or set ${SIGNING_KEY_ENV})", highlight=False)
    console.print(f"wrote {out}: {result.captures} captures, {result.records} WARC records from "
                  f"{len(result.files)} files{', signed' if result.signed else ''} (sha256 {result.sha256})")


@main.command("verify-package")
@click.argument("package", type=click.Path(exists=True, dir_okay=False))
@click.option("--public-key", type=click.Path(exists=True, dir_okay=False),
              help="The signer's public key (PEM), known from elsewhere: the package must be signed with it.")
@click.option("--tsa-ca", type=click.Path(exists=True, dir_okay=False),
              help="Trusted root certificates (PEM) of the time-stamping authorities.")
@click.option("--ca", "domain_ca", type=click.Path(exists=True, dir_okay=False),
              help="Trusted root certificates (PEM) for a domain-certificate signature.")
@click.option("--json", "as_json", is_flag=True, help="Print every check as JSON.")
@one_line_errors
def verify_package(package: str, public_key: str | None, tsa_ca: str | None, domain_ca: str | None,
                   as_json: bool) -> None:
    """Check a WACZ or evidence package on its own: no database, no network. Exits 1 on any failure.

    Each resource's hash against datapackage.json, the digest file against datapackage.json,
    the signature, the RFC 3161 token over the signature and its time (within 10 minutes of
    `created`), every WARC record's digests, the custody entries and the files' tokens. Checks
    that need a trust anchor you did not give are listed as skipped.

    Example: kronika verify-package flood.wacz --public-key signer.pub.pem --tsa-ca tsa-root.pem
    """
    from kronika.custody.package import load_anchors
    from kronika.custody.package import verify_package as check

    try:
        anchors = load_anchors(public_key, tsa_ca, domain_ca)
    except ValueError as exc:
        raise KnownError(f"cannot read a trust anchor: {exc}") from None
    result = check(package, anchors)
    if as_json:
        emit_json(result.as_dict())
    else:
        table = Table(title=f"{os.path.basename(package)}: {'VALID' if result.ok else 'INVALID'}")
        for column in ("check", "result", "detail", "member"):
            table.add_column(column, overflow="fold")
        style = {"ok": "green", "failed": "bold red", "skipped": "yellow"}
        for item in result.checks:
            table.add_row(item.name, f"[{style[item.status]}]{item.status}[/]", item.detail, item.member or "")
        console.print(table)
    if not result.ok:
        first = result.failures[0]
        if not as_json:
            where = f" ({first.member})" if first.member else ""
            errors.print(f"[bold red]invalid:[/] {first.name}{where}: {first.detail}", highlight=False,
                         soft_wrap=True)
        sys.exit(1)
