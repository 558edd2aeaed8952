"""The commands that read the archive for what it proves and holds: `search`, `serve`,
`verify`, `evidence`, `warc`, and `keygen` (the signing key pair). Registered on the command
line by schedule.py; each imports what it uses when it runs."""

from __future__ import annotations

import json
import sys

import click

from jobs.app import EXIT_FAILED, ONE_WATCH, App, Failed, command_errors, pass_app


@click.command()
@click.option("--host", help="Address to listen on (default [web] host, 127.0.0.1).")
@click.option("--port", type=click.IntRange(1, 65535), help="Port (default [web] port, 8080).")
@pass_app
@command_errors
def serve(app: App, host: str | None, port: int | None) -> None:
    """Serve the archive read-only: search API, Atom feeds, /healthz, /metrics (Ctrl-C stops)."""
    from web.server import Address
    from web.server import serve as serve_archive

    app.reader().close()  # an archive that is missing or needs upgrading: one line, before listening
    web = app.config.web
    serve_archive(app.config, Address(host or web.host, port or web.port))


@click.command()
@click.argument("query")
@ONE_WATCH
@click.option("--status", type=click.Choice(["active", "removed"]), help="Only reports in this state.")
@click.option("--limit", type=click.IntRange(1, 10_000), default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="JSON Lines: the export's fields plus snippet.")
@pass_app
@command_errors
def search(app: App, query: str, watch_name: str | None, status: str | None, limit: int, as_json: bool) -> None:
    """Reports whose title, source or text hold every word of QUERY, best first (exit 1: none)."""
    from storage.search import Query, plain

    archive = app.reader()
    watch = app.archived_watch(watch_name, archive)
    hits = archive.browse.search(Query(query, watch, status, limit))
    for report, snippet in hits:
        if as_json:
            click.echo(json.dumps({**report, "snippet": plain(snippet)}, ensure_ascii=False))
        else:
            when = report.get("published") or "-"
            click.echo(f"{report['id']:>6}  {report['status']:<7}  {when:<10}  {report['title']}")
            click.echo(f"        {report['url']}\n        {plain(snippet)}")
    if not hits:
        click.echo(f"search: no report matches {query!r}", err=True)
        sys.exit(EXIT_FAILED)


@click.command()
@ONE_WATCH
@click.option("--public-key", type=click.Path(exists=True, dir_okay=False), help="Also check every signed head.")
@pass_app
@command_errors
def verify(app: App, watch_name: str | None, public_key: str | None) -> None:
    """Recompute every content hash, chain link and raw response hash (exit 1 at the first break);
    with --public-key, every signed chain head too."""
    archive = app.reader()
    only = app.archived_watch(watch_name, archive)
    checked, broken = archive.evidence.verify([only] if only else [])
    if broken is not None:
        raise Failed(f"verify: {broken.what}")
    if public_key is not None:
        from jobs.evidence import check_signatures

        signed = check_signatures(archive, public_key, [only] if only else [])
        click.echo(f"{signed} signed heads checked with {public_key}")
    heads = archive.evidence.heads()
    for name, head in sorted(heads.items()):
        if only is None or name == only:
            click.echo(f"{name}: {head['links']} links, head {head['link']}")
    click.echo(f"verify: ok ({checked} links, every version's content hash and every raw response checked)")


@click.command()
@click.argument("url")
@ONE_WATCH
@click.option("--version", "version", type=click.IntRange(1), help="This version (default: the latest).")
@click.option("--raw", is_flag=True, help="Write the raw response's bytes to stdout instead.")
@click.option(
    "--file", "file_url", metavar="FILE_URL", help="Write this attachment's last kept file to stdout instead."
)
@pass_app
@command_errors
def evidence(app: App, url: str, watch_name: str | None, version: int | None, raw: bool, file_url: str | None) -> None:
    """The proof of one stored version: its fetch, raw response, chain link, files and the chain head."""
    from jobs.evidence import NoSuchVersion, proof, proof_lines

    archive = app.reader()
    watch = app.watch_of_report(url, watch_name, archive)
    try:
        found = proof(archive, url, watch, version)
    except NoSuchVersion as exc:
        raise click.UsageError(str(exc)) from None
    if file_url:
        state = next((f["state"] for f in found["files"] if f["state"].url == file_url), None)
        if state is None or not state.response_id or not state.sha256:
            raise Failed(f"evidence: no file kept for {file_url} of {url}")
        for block in archive.evidence.blob_chunks(state.sha256):
            sys.stdout.buffer.write(block)
        return
    if raw:
        body = archive.evidence.blob(found["raw_sha256"]) if found["raw_sha256"] else None
        if body is None:
            raise Failed(f"evidence: no raw response kept for version {found['version']} of {url}")
        sys.stdout.buffer.write(body)
        return
    hint = f" --config {app.config.source}" if app.config.source else ""
    for line in proof_lines(found, hint):
        click.echo(line)


@click.command()
@click.option(
    "-o",
    "--output",
    "prefix",
    required=True,
    type=click.Path(dir_okay=False),
    help="PREFIX: writes PREFIX and PREFIX.pub.",
)
def keygen(prefix: str) -> None:
    """A new Ed25519 key pair for signing chain heads: PREFIX (private, mode 0600) and PREFIX.pub."""
    from pathlib import Path

    from domain.signing import keygen as make_keys

    try:
        private, public = make_keys(Path(prefix))
    except (FileExistsError, OSError) as exc:
        click.echo(f"error: keygen: {exc}", err=True)
        sys.exit(EXIT_FAILED)
    click.echo(f"private key: {private} (keep it secret; [evidence] signing_key_env names a variable holding it)")
    click.echo(f"public key:  {public} (publish it: `verify --public-key` checks the signed heads)")


@click.command()
@ONE_WATCH
@click.option("--since", help="Only what was fetched or linked at or after this ISO 8601 date or time.")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="FILE.warc.gz (or .warc)")
@pass_app
@command_errors
def warc(app: App, watch_name: str | None, since: str | None, output: str) -> None:
    """The kept responses (request and response records) and the chain (metadata) as WARC 1.1."""
    from pathlib import Path

    from jobs.warc import write_warc

    archive = app.reader()
    only = app.archived_watch(watch_name, archive)
    counts = write_warc(archive, Path(output), only, since)
    click.echo(f"warc: {counts['response']} responses, {counts['metadata']} chain links written to {output}")


COMMANDS = (serve, search, verify, evidence, keygen, warc)
