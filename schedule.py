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

from crawler.discover import locate_section
from crawler.errors import BlockedError
from crawler.extract import extract_report
from crawler.listing import parse_listing
from crawler.models import Report
from crawler.walk import walk_section
from domain.change import diff_order, text_diff
from domain.times import iso, utcnow
from domain.trouble import Problem, ProblemKind
from jobs.app import EXIT_FAILED, EXIT_USAGE, App, Failed, command_errors
from jobs.config import VERSION, ConfigError, http_url
from jobs.cycle import poll_cycle
from jobs.deliver import deliver_pass, find_watcher, ping_all
from jobs.export import write_export
from jobs.logs import setup_logging
from jobs.result import PollResult
from jobs.service import Service
from jobs.status import format_status, status
from jobs.watchers import all_watchers
from storage.lock import holder


def _url_argument(ctx: click.Context, param: click.Parameter, value: str) -> str:
    """A URL argument: http(s) with a host, or a usage error (exit 2)."""
    try:
        return http_url(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


def _dump(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


pass_app = click.make_pass_decorator(App)


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


@cli.command()
@click.argument("url", callback=_url_argument)
@pass_app
@command_errors
def extract(app: App, url: str) -> None:
    """Fetch one report page and print its fields as JSON (stores nothing).

    Exit 1 when the page is not a usable report (see "problems")."""
    selectors = app.config.selectors
    with app.fetcher(url) as fetcher:
        try:
            page = fetcher.get(url)
        except BlockedError as exc:
            _dump(Report.unusable(url, Problem(f"challenge page ({exc.waf})", ProblemKind.CHALLENGE)).as_dict())
            raise
        if page.status != 200:
            gone = page.status in (404, 410)
            problem = Problem(
                f"{'not found' if gone else 'not a report page'} (HTTP {page.status})",
                ProblemKind.NOT_FOUND if gone else ProblemKind.PAGE_FAILED,
            )
            _dump(Report.unusable(page.final_url, problem).as_dict())
            raise Failed(f"{url}: HTTP {page.status}")
        report = extract_report(page, selectors)
    _dump(report.as_dict())
    if not report.usable:
        raise Failed(f"{url}: not a usable report ({'; '.join(report.problems)})")


@cli.command()
@click.argument("url", callback=_url_argument)
@click.option("--all", "walk_all", is_flag=True, help="Follow the pagination and list every page's items.")
@pass_app
@command_errors
def listing(app: App, url: str, walk_all: bool) -> None:
    """Print the items and further pages of one list page as JSON (stores nothing)."""
    selectors = app.config.selectors
    with app.fetcher(url) as fetcher:
        if walk_all:
            result = walk_section(
                fetcher, url, max_pages=app.config.crawl.max_list_pages, item_selector=selectors.list_item
            )
            _dump(
                {
                    "items": [{"title": i.title, "url": i.url, "date": i.date} for i in result.items],
                    "pages": list(result.pages),
                    "complete": result.complete,
                    "total_pages": result.total_pages,
                    "problems": list(result.problems),
                }
            )
            if not result.items or not result.complete:
                raise Failed(f"{url}: the walk was incomplete ({'; '.join(result.problems) or 'no items'})")
            return
        page = fetcher.get(url)
        if page.status != 200:
            raise Failed(f"{url}: list page answered HTTP {page.status}")
        result_page = parse_listing(page, selectors.list_item)
    data = result_page.as_dict()
    del data["url"]
    _dump(data)
    if not result_page.items:
        raise Failed(f"{url}: {'; '.join(result_page.problems)}")


@cli.command()
@pass_app
@command_errors
def section(app: App) -> None:
    """Find the section's list URL from the configured home page and say how."""
    site = app.config.site
    if site.list_url:
        click.echo(site.list_url)
        click.echo("how: configured as [site] list_url (discovery skipped)")
        return
    with app.fetcher() as fetcher:
        found = locate_section(fetcher, site.url, site.section, app.config.selectors.section_link)
    click.echo(found.url)
    click.echo(f"how: {found.how}")


# -- issue 3: poll, store, export ------------------------------------------------------------------
def _print_poll(result: PollResult) -> None:
    for kind, url, title in result.events:
        click.echo(f"{kind:<8} {title}  {url}")
    for problem in result.problems:
        click.echo(f"problem: {problem}", err=True)
    click.echo(result.summary())


@cli.command()
@pass_app
@command_errors
def poll(app: App) -> None:
    """Poll the section once now: store new, changed and removed reports.

    Exit 0 when the list walk was complete, 1 when the poll failed."""
    archive = app.archive("poll")
    result, delivered = poll_cycle(app.config, archive)
    if delivered.sent or delivered.failed or delivered.gave_up:
        click.echo(delivered.summary(archive.outbox.counts()["pending"]), err=True)
    _print_poll(result)
    if not result.ok:
        raise Failed(f"poll failed: {result.error}")


@cli.command()
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv"]), default="jsonl", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), help="Write here instead of stdout.")
@pass_app
@command_errors
def export(app: App, fmt: str, output: str | None) -> None:
    """Every stored report (removed ones too), latest version, oldest first."""
    rows = app.reader().queries.export_rows()
    if output:
        with open(output, "w", encoding="utf-8", newline="") as out:
            count = write_export(rows, fmt, out)
        click.echo(f"export: {count} reports written to {output}", err=True)
    else:
        write_export(rows, fmt, sys.stdout)


@cli.command()
@click.argument("url")
@click.option("--json", "as_json", is_flag=True, help="Print the versions as JSON.")
@pass_app
@command_errors
def history(app: App, url: str, as_json: bool) -> None:
    """Every stored version of one report, with its time and the fields that changed."""
    queries = app.reader().queries
    versions = queries.versions(url)
    if not versions:
        raise Failed(f"{url}: no such report in the archive")
    events = queries.events(url)
    entries = queries.history(url)
    if as_json:
        status = queries.report_status(url)["status"]
        _dump({"url": url, "status": status, "entries": entries, "versions": versions, "events": events})
        return
    by_version = {v["version"]: v for v in versions}
    for entry in entries:
        kind, at, number = entry["kind"], entry["at"], entry["version"]
        if kind == "version":
            fields = entry["changed_fields"]
            what = "first seen" if number == 1 else ("changed: " + ", ".join(fields) if fields else "listed again")
            v = by_version[number]
            click.echo(f"version {number}  {at}  {what}")
            click.echo(f"  {v['title']}  ({v['published'] or 'no date'}, {len(v['text'])} characters)")
        elif kind == "removed":
            how = f"confirmed by {entry['removal']['confirmed_by']}, " if entry.get("removal") else ""
            click.echo(f"removed    {at}  ({how}was version {number})")
        else:
            what = "changed: " + ", ".join(entry["changed_fields"]) if entry["changed_fields"] else "unchanged"
            click.echo(f"restored   {at}  (version {number}, {what})")


@cli.command()
@click.argument("url")
@pass_app
@command_errors
def diff(app: App, url: str) -> None:
    """The latest change of one report: every changed field, the text as a unified diff."""
    versions = app.reader().queries.versions(url)
    if not versions:
        raise Failed(f"{url}: no such report in the archive")
    changed = [v for v in versions if v["changed_fields"]]
    if not changed:
        click.echo(f"{url}: no change recorded (version {versions[-1]['version']} is as first seen)")
        return
    new = changed[-1]
    old = next(v for v in versions if v["version"] == new["version"] - 1)
    click.echo(f"{url}: version {old['version']} -> {new['version']} ({new['stored_at']})")
    for name in diff_order():
        if name not in new["changed_fields"]:
            continue
        if name == "text":
            click.echo(text_diff(old["text"], new["text"], url))
        else:
            before, after = (json.dumps(v[name], ensure_ascii=False) for v in (old, new))
            click.echo(f"{name}:\n- {before}\n+ {after}")


@cli.command()
@pass_app
@command_errors
def run(app: App) -> None:
    """Run the service: poll now and every [schedule] interval, deliver between polls,
    until SIGTERM or Ctrl-C (exit 0)."""
    config = app.config
    writer = app.writer("run")  # the one writer: the archive opens (and migrates) before the first job
    service = Service(config, writer)
    settled = service.run_until_stopped()
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
@pass_app
@command_errors
def status_command(app: App, as_json: bool) -> None:
    """Last and next poll, report counts, deliveries, trouble, database. Exit 1 when the
    last poll failed or is overdue (a health check)."""
    # Read-only as a health check should be: never creates, migrates or writes the archive.
    state = status(app.config, app.reader(), utcnow(), holder(app.config.storage.db))
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
@click.option("--json", "as_json", is_flag=True, help="Print the deliveries as JSON.")
@pass_app
@command_errors
def outbox(app: App, as_json: bool) -> None:
    """Pending and failed deliveries (never a secret)."""
    box = app.reader().outbox
    rows = box.undelivered()
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
