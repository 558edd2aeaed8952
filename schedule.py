"""ayrdw-watch: the command line (click). Each command parses its arguments, calls jobs/ and
the archive's read models, and formats what they return; jobs/app.py opens the config and
the archive and turns errors into one line.

Exit codes: 0 ok, 1 the job failed, 2 usage or config error. Errors are one line
on stderr. Output meant for scripts (JSON) goes to stdout.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from typing import Any

import click

from domain.times import iso, utcnow
from jobs.app import EXIT_FAILED, EXIT_USAGE, ONE_WATCH, App, Failed, command_errors, pass_app
from jobs.cli_archive import COMMANDS as ARCHIVE_COMMANDS
from jobs.errors import ConfigError
from jobs.logs import setup_logging
from jobs.version import VERSION

# Each command imports what it uses when it runs (the HTTP client, the scheduler, sqlite-utils,
# the extractor): `--help` and `status` start in a few tens of milliseconds.


def _url_argument(ctx: click.Context, param: click.Parameter, value: str) -> str:
    """A URL argument: http(s) with a host, or a usage error (exit 2)."""
    from domain.values import http_url

    try:
        return http_url(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


AYRDW_WATCH = True  # ayrdw_watch.py checks it: a module of this name installed by another project is not ours


def _optional_url(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    return None if value is None else _url_argument(ctx, param, value)


def _dump(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False),
    envvar="AYRDW_CONFIG",
    help="TOML config file (or $AYRDW_CONFIG). Without one, every key has its default.",
)
@click.option("-v", "--verbose", is_flag=True, help="Log every poll, delivery and retry (INFO).")
@click.option(
    "--log-format", type=click.Choice(["text", "json"]), default="text", show_default=True, help="Log line format."
)
@click.version_option(VERSION, prog_name="ayrdw-watch")
@click.pass_context
def cli(ctx: click.Context, config_file: str | None, verbose: bool, log_format: str) -> None:
    """Watch the 监督工作 section of a government site for new, edited and removed reports."""
    service = ctx.invoked_subcommand in ("run", "demo")
    setup_logging(log_format, logging.INFO if verbose or service else logging.WARNING)
    ctx.obj = App(config_file, ctx.invoked_subcommand)


WATCH = click.option("--watch", "watch_names", multiple=True, metavar="NAME", help="Only this watch (repeatable).")


@cli.command()
@click.argument("url", required=False, callback=_optional_url)
@click.option("--file", "files", multiple=True, metavar="PATH", help="A saved page to read instead (repeatable).")
@click.option("--url", "urls", multiple=True, metavar="URL", help="Where the i-th --file was saved from.")
@pass_app
@command_errors
def extract(app: App, url: str | None, files: tuple[str, ...], urls: tuple[str, ...]) -> None:
    """Fetch one report page and print its fields as JSON (stores nothing); or, with --file,
    read saved pages without fetching and print one JSON object per file (JSON Lines).

    Exit 1 when a page is not a usable report (see "problems")."""
    from jobs.inspect import extract_one

    if files:
        _extract_files(app, url, files, urls)
        return
    if url is None or urls:
        raise click.UsageError("give a report URL, or --file PATH (with --url URL for it)")
    with app.fetcher(url) as fetcher:
        data, failure = extract_one(fetcher, url, app.selectors_for(url))
    _dump(data)
    if failure:
        raise Failed(failure)


def _extract_files(app: App, url: str | None, files: tuple[str, ...], urls: tuple[str, ...]) -> None:
    from crawler.profile import Selectors
    from jobs.inspect import extract_file

    if url is not None:
        raise click.UsageError("give a URL or --file, not both (--url says where a file was saved from)")
    if len(urls) > len(files):
        raise click.UsageError(f"{len(urls)} --url for {len(files)} --file: the i-th --url belongs to the i-th --file")
    failures = []
    for i, path in enumerate(files):
        page_url = _url_argument(click.get_current_context(), None, urls[i]) if i < len(urls) else None
        selectors = app.selectors_for(page_url) if page_url else Selectors()
        data, failure = extract_file(path, page_url, selectors)
        click.echo(json.dumps(data, ensure_ascii=False))
        if failure:
            failures.append(failure)
    if failures:
        raise Failed("; ".join(failures) if len(failures) < 4 else f"{len(failures)} of {len(files)} files not usable")


@cli.command()
@click.argument("url", callback=_url_argument)
@click.option("--all", "walk_all", is_flag=True, help="Follow the pagination and list every page's items.")
@pass_app
@command_errors
def listing(app: App, url: str, walk_all: bool) -> None:
    """Print the items and further pages of one list page as JSON (stores nothing)."""
    from jobs.inspect import list_page

    with app.fetcher(url) as fetcher:
        data, failure = list_page(fetcher, url, app.selectors_for(url), walk_all, app.config.crawl.max_list_pages)
    if data:
        _dump(data)
    if failure:
        raise Failed(failure)


@cli.command()
@ONE_WATCH
@pass_app
@command_errors
def section(app: App, watch_name: str | None) -> None:
    """Find the section's list URL from the configured home page and say how."""
    from jobs.inspect import find_list

    for watch in app.watches((watch_name,) if watch_name else ()):
        with app.fetcher(watch.url) as fetcher:
            url, how = find_list(fetcher, watch)
        if len(app.config.watches) > 1 and not watch_name:
            click.echo(f"{watch.name}: {url}")
        else:
            click.echo(url)
        click.echo(f"how: {how}")


@cli.command()
@WATCH
@pass_app
@command_errors
def poll(app: App, watch_names: tuple[str, ...]) -> None:
    """Poll every watch (or the ones named) once now: store new, changed, restored and removed
    reports. Exit 0 when every list walk was complete, 1 when a poll failed."""
    from jobs.cycle import poll_cycle
    from jobs.show import poll_lines

    watches = app.watches(watch_names)
    archive = app.archive("poll")
    results, delivered = poll_cycle(app.config, archive, watches)
    if delivered.sent or delivered.failed or delivered.gave_up:
        click.echo(delivered.summary(archive.outbox.counts()["pending"]), err=True)
    for line, to_stderr in poll_lines(results):
        click.echo(line, err=to_stderr)
    failed = [r for r in results if not r.ok]
    if failed:
        several = len(results) > 1
        raise Failed("poll failed: " + "; ".join(f"{r.watch}: {r.error}" if several else str(r.error) for r in failed))


@cli.command()
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv"]), default="jsonl", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), help="Write here instead of stdout.")
@WATCH
@pass_app
@command_errors
def export(app: App, fmt: str, output: str | None, watch_names: tuple[str, ...]) -> None:
    """Every stored report (removed ones too), latest version, oldest first."""
    from jobs.export import write_export

    archive = app.reader()
    names = [app.archived_watch(name, archive) or "" for name in watch_names]
    rows = archive.queries.export_rows(names)
    if output:
        with open(output, "w", encoding="utf-8", newline="") as out:
            count = write_export(rows, fmt, out)
        click.echo(f"export: {count} reports written to {output}", err=True)
    else:
        write_export(rows, fmt, sys.stdout)


@cli.command()
@click.argument("url")
@click.option("--json", "as_json", is_flag=True, help="Print the versions as JSON.")
@ONE_WATCH
@pass_app
@command_errors
def history(app: App, url: str, as_json: bool, watch_name: str | None) -> None:
    """Every stored version of one report, its removals and restores, in time order."""
    from jobs.show import history_lines

    archive = app.reader()
    watch = app.watch_of_report(url, watch_name, archive)
    queries = archive.queries
    versions = queries.versions(url, watch)
    entries = queries.history(url, watch)
    if as_json:
        status = queries.report_status(url, watch)["status"]
        events = queries.events(url, watch)
        _dump({"url": url, "watch": watch, "status": status, "entries": entries, "versions": versions,
               "events": events})  # fmt: skip
        return
    for line in history_lines(entries, versions):
        click.echo(line)


@cli.command()
@click.argument("url")
@ONE_WATCH
@pass_app
@command_errors
def diff(app: App, url: str, watch_name: str | None) -> None:
    """The latest change of one report: every changed field, the text as a unified diff."""
    from jobs.show import diff_lines

    archive = app.reader()
    watch = app.watch_of_report(url, watch_name, archive)
    for line in diff_lines(archive.queries.versions(url, watch), url):
        click.echo(line)


def _address(ctx: click.Context, param: click.Parameter, value: str | None) -> Any:
    from web.server import Address

    try:
        return None if value is None else Address.parse(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


@cli.command()
@click.option("--web", "web", metavar="HOST:PORT", callback=_address, help="Also serve the archive (as `serve`).")
@pass_app
@command_errors
def run(app: App, web: Any) -> None:
    """Run the service: poll now and every [schedule] interval, deliver between polls,
    until SIGTERM or Ctrl-C (exit 0). With --web, serve the archive read-only too."""
    from jobs.service import Service

    config = app.config
    writer = app.writer("run")  # the one writer: the archive opens (and migrates) before the first job
    service = Service(config, writer)
    server = None
    if web is not None:
        from web.server import Background

        server = Background(config, web)
        server.start()
    try:
        settled = service.run_until_stopped()
    finally:
        if server is not None:
            server.stop()
    if service.failure:
        raise Failed(service.failure)
    if not settled:  # a hung request: every commit is atomic, so leaving now loses nothing
        logging.shutdown()
        os._exit(0)


@cli.command()
@click.option("--layout", type=click.Choice(["modern", "trs", "table-gbk"]), default="modern", show_default=True)
@click.option("--interval", type=float, default=3.0, show_default=True, help="Seconds between polls.")
@click.option("--polls", type=int, default=None, help="Stop after this many polls (default: run until Ctrl-C).")
@command_errors
def demo(layout: str, interval: float, polls: int | None) -> None:
    """Serve the bundled fixture site locally, watch it with a short interval, change a report
    now and then, and print what a watcher receives. Needs no config and no internet."""
    from jobs.demo import run_demo

    run_demo(layout, interval, polls, click.echo)


@cli.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
@ONE_WATCH
@pass_app
@command_errors
def status_command(app: App, as_json: bool, watch_name: str | None) -> None:
    """Last and next poll, report counts, deliveries, trouble, database. Exit 1 when a watch's
    last poll failed or is overdue, or the archive is damaged (a health check)."""
    from jobs.status import format_status, status, without_archive
    from storage.errors import ArchiveMissing
    from storage.lock import holder

    # Read-only as a health check should be: never creates, migrates or writes the archive.
    try:
        archive = app.reader()
    except ArchiveMissing as exc:  # nothing has polled yet: a verdict, not an error
        state = without_archive(app.config, str(exc))
    else:
        only = app.archived_watch(watch_name, archive)
        state = status(app.config, archive, utcnow(), holder(app.config.storage.db), only)
    if as_json:
        _dump(state)
    else:
        for line in format_status(state):
            click.echo(line)
    if not state["healthy"]:
        sys.exit(EXIT_FAILED)


# -- issue 4: notifications ------------------------------------------------------------------------
@cli.command()
@click.option("--retry-failed", is_flag=True, help="Send the deliveries that gave up (failed) again, oldest first.")
@click.option("--watcher", "watcher_name", help="With --retry-failed: only this watcher (its name or id).")
@pass_app
@command_errors
def deliver(app: App, retry_failed: bool, watcher_name: str | None) -> None:
    """Send every delivery that is due (backlog after an outage, retries)."""
    from jobs.deliver import deliver_pass, find_watcher
    from jobs.watchers import all_watchers

    if watcher_name is not None and not retry_failed:
        raise click.UsageError("--watcher needs --retry-failed")
    watchers = all_watchers(app.config)
    if watcher_name is not None:
        found = find_watcher(app.config, watcher_name)
        if found is None:
            known = ", ".join(f"{w.name or w.label} ({w.id})" for w in watchers) or "none configured"
            raise ConfigError(f"deliver: no watcher {watcher_name!r} (watchers: {known})")
        watchers = (found,)
    outbox = app.archive("deliver").outbox
    if retry_failed:
        count = outbox.requeue_failed([w.id for w in watchers], iso(utcnow()))
        click.echo(f"deliver: {count} failed deliveries queued again", err=True)
    result = deliver_pass(app.config, outbox)
    for error in result.errors:
        click.echo(f"problem: {error}", err=True)
    click.echo(result.summary(outbox.counts()["pending"]))


@cli.command("notify-test")
@pass_app
@command_errors
def notify_test(app: App) -> None:
    """Send a test message (webhook event "ping") to every watcher and print each result."""
    from jobs.deliver import ping_all

    results = ping_all(app.config, iso(utcnow()))
    if not results:
        click.echo("no watchers configured ([[watchers]] or [[alerts]] in the config)")
        return
    for watcher, error in results:
        role = "alert " if watcher.role == "alert" else ""
        click.echo(f"ok    {role}{watcher.label}" if error is None else f"FAIL  {role}{error}")
    failures = sum(1 for _, error in results if error)
    if failures:
        raise Failed(f"{failures} of {len(results)} watchers could not be reached")


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print the watches as JSON.")
@pass_app
@command_errors
def watches(app: App, as_json: bool) -> None:
    """The configured watches (and archived ones no longer configured): last and next poll,
    report counts, health. Always exit 0: `status` is the health check."""
    from jobs.status import format_watches, watches_overview
    from storage.lock import holder

    overview = watches_overview(app.config, app.reader(), utcnow(), holder(app.config.storage.db))
    if as_json:
        _dump(overview)
        return
    for line in format_watches(overview):
        click.echo(line)


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print the deliveries as JSON.")
@ONE_WATCH
@pass_app
@command_errors
def outbox(app: App, as_json: bool, watch_name: str | None) -> None:
    """Pending and failed deliveries (never a secret)."""
    archive = app.reader()
    only = app.archived_watch(watch_name, archive)
    box = archive.outbox
    rows = [row for row in box.undelivered() if only is None or row["watch"] == only]
    if as_json:
        _dump(rows)
        return
    for row in rows:
        when = ("next " if row["status"] == "pending" else "gave up, next probe ") + row["next_attempt_at"]
        watcher = f"{row['watcher']} ({row['watcher_id']})"
        error = f"  error: {row['last_error']}" if row["last_error"] else ""
        click.echo(
            f"{row['status']:<8} {row['event']:<16} {watcher}  attempts={row['attempts']} {when}"
            f"  {row['subject'] or ''}{error}"
        )
    counts = box.counts()
    click.echo(f"outbox: pending={counts['pending']} failed={counts['failed']} delivered={counts['delivered']}")


for _command in ARCHIVE_COMMANDS:  # search, serve, verify, evidence, warc, keygen (jobs/cli_archive.py)
    cli.add_command(_command)


def main() -> None:
    """The console script: click's usage errors become one line too (exit 2)."""
    try:
        code = cli.main(prog_name="ayrdw-watch", standalone_mode=False)
    except click.UsageError as exc:
        click.echo(f"error: {exc.format_message()} (see ayrdw-watch --help)", err=True)
        sys.exit(EXIT_USAGE)
    except click.ClickException as exc:
        click.echo(f"error: {exc.format_message()}", err=True)
        sys.exit(exc.exit_code)
    except click.Abort:
        click.echo("error: aborted", err=True)
        sys.exit(EXIT_FAILED)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
