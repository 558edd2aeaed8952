"""The command line contract: exit codes and one-line errors."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("extract", "not-a-url"), "expected an http:// or https:// URL"),
        (("listing", "ftp://example.org/"), "expected an http:// or https:// URL"),
        (("export", "--format", "xml"), "'xml' is not one of 'jsonl', 'csv'"),
        (("no-such-command",), "No such command"),
    ],
)
def test_usage_errors_are_one_line_and_exit_2(run_cli, args: tuple[str, ...], message: str) -> None:
    result = run_cli(*args)
    assert result.code == 2
    assert result.stderr.startswith("error: ") and message in result.stderr
    assert result.stderr.strip().count("\n") == 0


def test_help_and_version_exit_0(run_cli) -> None:
    assert run_cli("--help").code == 0
    version = run_cli("--version")
    assert version.code == 0 and "ayrdw-watch, version" in version.stdout


def test_status_without_an_archive_is_unhealthy_and_creates_nothing(run_cli, tmp_path) -> None:
    result = run_cli("status")  # a container's health check before the first poll: a verdict, not an error
    assert result.code == 1 and "health:       no poll has run yet (no archive at ayrdw.db)" in result.stdout
    assert not (tmp_path / "ayrdw.db").exists(), "a read-only command never creates the archive"


def test_status_without_any_poll_is_unhealthy(run_cli, tmp_path) -> None:
    from storage.db import open_db

    open_db(tmp_path / "ayrdw.db")  # an archive a writer created, before its first poll
    result = run_cli("status")
    assert result.code == 1 and "no poll has run yet" in result.stdout
