"""ayrdw-watch: the command line (click) and, later, the scheduled service.

Exit codes: 0 ok, 1 the job failed, 2 usage or config error. Errors are one line
on stderr. Output meant for scripts (JSON) goes to stdout.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from functools import wraps
from typing import Any

import click

from crawler.discover import locate_section
from crawler.errors import BlockedError, CrawlError
from crawler.extract import extract_report
from crawler.fetch import Fetcher
from crawler.listing import parse_listing
from crawler.models import Report
from crawler.walk import walk_section
from jobs.config import VERSION, Config, ConfigError, load_config

EXIT_FAILED, EXIT_USAGE = 1, 2


class Failed(Exception):
    """The job ran and failed: exit 1 with this one-line message."""


def _dump(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


def command_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Turn the project's errors into one stderr line and the documented exit code."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except ConfigError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(EXIT_USAGE)
        except (CrawlError, Failed) as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(EXIT_FAILED)

    return wrapper


class App:
    """What every command needs: the config, read once, on first use."""

    def __init__(self, config_file: str | None) -> None:
        self._config_file = config_file
        self._config: Config | None = None

    @property
    def config(self) -> Config:
        if self._config is None:
            self._config = load_config(self._config_file)
        return self._config

    def fetcher(self, site_url: str | None = None) -> Fetcher:
        from urllib.parse import urlsplit

        host = urlsplit(site_url or self.config.site.url).hostname
        return Fetcher(self.config.fetch_settings(), site_host=host)


pass_app = click.make_pass_decorator(App)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False),
    envvar="AYRDW_CONFIG",
    help="TOML config file (or $AYRDW_CONFIG). Without one, every key has its default.",
)
@click.version_option(VERSION, prog_name="ayrdw-watch")
@click.pass_context
def cli(ctx: click.Context, config_file: str | None) -> None:
    """Watch the 监督工作 section of a government site for new, edited and removed reports."""
    ctx.obj = App(config_file)


@cli.command()
@click.argument("url")
@pass_app
@command_errors
def extract(app: App, url: str) -> None:
    """Fetch one report page and print its fields as JSON (stores nothing).

    Exit 1 when the page is not a usable report (see "problems")."""
    selectors = app.config.selectors()
    with app.fetcher(url) as fetcher:
        try:
            page = fetcher.get(url)
        except BlockedError as exc:
            _dump(Report(url, None, None, None, "", problems=(f"challenge page ({exc.waf})",)).as_dict())
            raise
        if page.status != 200:
            problem = "not found" if page.status in (404, 410) else "not a report page"
            _dump(Report(page.final_url, None, None, None, "", problems=(f"{problem} (HTTP {page.status})",)).as_dict())
            raise Failed(f"{url}: HTTP {page.status}")
        report = extract_report(page, selectors)
    _dump(report.as_dict())
    if not report.usable:
        raise Failed(f"{url}: not a usable report ({'; '.join(report.problems)})")


@cli.command()
@click.argument("url")
@click.option("--all", "walk_all", is_flag=True, help="Follow the pagination and list every page's items.")
@pass_app
@command_errors
def listing(app: App, url: str, walk_all: bool) -> None:
    """Print the items and further pages of one list page as JSON (stores nothing)."""
    selectors = app.config.selectors()
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
        found = locate_section(fetcher, site.url, site.section, app.config.selectors().section_link)
    click.echo(found.url)
    click.echo(f"how: {found.how}")


def main() -> None:
    cli(prog_name="ayrdw-watch")


if __name__ == "__main__":
    main()
