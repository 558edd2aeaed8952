"""What every command of the command line needs: the config read once, the archive opened
as its one writer or as a reader, and the project's errors turned into one line on stderr
with the documented exit code (0 ok, 1 the job failed, 2 usage or config error)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import click

from jobs.errors import EXIT_FAILED, EXIT_USAGE, ConfigError, Failed

if TYPE_CHECKING:
    from crawler.fetch import Fetcher
    from crawler.profile import Selectors
    from domain.watch import Watch
    from jobs.config import Config
    from jobs.watchers import Writer
    from storage.archive import Archive

__all__ = ["EXIT_FAILED", "EXIT_USAGE", "ONE_WATCH", "App", "Failed", "command_errors", "pass_app"]


def command_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Turn the project's errors into one stderr line and the documented exit code."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        import sqlite3

        from crawler.errors import CrawlError
        from storage.errors import ArchiveError, ArchiveUnreachable, describe
        from storage.lock import ArchiveBusy

        try:
            return fn(*args, **kwargs)
        except ConfigError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(EXIT_USAGE)
        except ArchiveUnreachable as exc:  # where the config puts the archive, nothing can be
            click.echo(f"error: storage.db: {exc}", err=True)
            sys.exit(EXIT_USAGE)
        except (CrawlError, Failed, ArchiveBusy, ArchiveError) as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(EXIT_FAILED)
        except sqlite3.Error as exc:  # the archive failed under a command: full, read-only, damaged
            app = next((a for a in args if isinstance(a, App)), None)
            where = app.config.storage.db if app is not None else "?"
            click.echo(f"error: {describe(exc, where)}", err=True)
            sys.exit(EXIT_FAILED)
        except OSError as exc:  # a file we were asked to write: a full disk, a folder we cannot write
            click.echo(f"error: {exc.filename or 'output'}: {exc.strerror or exc}", err=True)
            sys.exit(EXIT_FAILED)

    return wrapper


SENDING_COMMANDS = {"run", "poll", "deliver", "notify-test"}  # they need the secrets, and hear the warnings


class App:
    """What every command needs: the config, read once, on first use."""

    def __init__(self, config_file: str | None, command: str | None = None) -> None:
        self._config_file = config_file
        self._command = command
        self._config: Config | None = None
        self._writer: Writer | None = None

    @property
    def config(self) -> Config:
        if self._config is None:
            import logging

            from jobs.config import config_warnings, load_config

            sends = self._command in SENDING_COMMANDS
            self._config = load_config(self._config_file, require_secrets=sends)
            if sends:
                for warning in config_warnings(self._config):
                    logging.getLogger("ayrdw").warning(warning)
        return self._config

    def fetcher(self, site_url: str | None = None) -> Fetcher:
        host = urlsplit(site_url or self.config.watches[0].url).hostname
        from crawler.fetch import Fetcher  # the HTTP client: only for the commands that fetch

        return Fetcher(self.config.fetch_settings(), site_host=host)

    # -- watches named on the command line --------------------------------------------------------
    def watches(self, names: tuple[str, ...]) -> list[Watch]:
        """The configured watches named by --watch (all when none is named); exit 2 for a name that
        is not configured."""
        if not names:
            return list(self.config.watches)
        known = {w.name: w for w in self.config.watches}
        for name in names:
            if name not in known:
                raise ConfigError(f"--watch: no watch named {name!r} (watches: {', '.join(known)})")
        return [known[name] for name in dict.fromkeys(names)]

    def archived_watch(self, name: str | None, archive: Archive) -> str | None:
        """A watch a read-only command may name: configured, or still in the archive."""
        if name is None:
            return None
        known = [w.name for w in self.config.watches]
        known += [n for n in archive.queries.archived_watches() if n not in known]
        if name not in known:
            raise ConfigError(f"--watch: no watch named {name!r} (watches: {', '.join(known)})")
        return name

    def watch_of_report(self, url: str, name: str | None, archive: Archive) -> str:
        """The watch whose report this URL is: the one named, else the only one holding it."""
        holding = archive.queries.watches_of(url)
        if name is not None:
            self.archived_watch(name, archive)
            if name not in holding:
                raise Failed(f"{url}: no such report in the archive (watch {name})")
            return name
        if not holding:
            raise Failed(f"{url}: no such report in the archive")
        if len(holding) > 1:
            raise ConfigError(f"{url} is known to watches {', '.join(holding)}: add --watch NAME")
        return holding[0]

    def selectors_for(self, url: str) -> Selectors:
        """The profile of the watch on this URL's site, if one is configured."""
        from crawler.profile import Selectors

        host = (urlsplit(url).hostname or "").lower()
        watch = next((w for w in self.config.watches if w.host == host), None)
        return watch.selectors if watch is not None else Selectors()

    def writer(self, command: str) -> Writer:
        """The archive for a command that polls or delivers: this process becomes its one
        writer (a second one is refused with a line naming the first) until it exits."""
        if self._writer is None:
            from domain.times import iso, utcnow
            from jobs.watchers import open_writer

            self._writer = open_writer(self.config, command, iso(utcnow()))
        return self._writer

    def archive(self, command: str) -> Archive:
        return self.writer(command).archive

    def reader(self) -> Archive:
        """The archive for a read-only command: never created, migrated or written."""
        from jobs.watchers import open_reader
        from storage.errors import ArchiveNeedsUpgrade
        from storage.lock import holder

        db = self.config.storage.db
        try:
            return open_reader(self.config)
        except ArchiveNeedsUpgrade:
            writer = holder(db)
            if writer is None:
                raise
            raise Failed(
                f"archive at {db} is being created or upgraded by ayrdw-watch (pid {writer.pid}, {writer.command});"
                " try again in a moment"
            ) from None


pass_app = click.make_pass_decorator(App)  # a command gets the App the group made
ONE_WATCH = click.option("--watch", "watch_name", metavar="NAME", help="Only this watch.")
