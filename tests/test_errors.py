"""Bad input, bad disks, bad archives: one line on stderr, the right exit code, nothing lost.

Real files and real processes: a tmpfs of 1 MB for a full disk (or, where this machine may
not mount, a file-size limit on the process), a read-only remount, a damaged page, a folder
where the archive should be."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import resource
import signal
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from fixturesite.server import FixtureServer
from fixturesite.site import FixtureSite
from tests.procs import PYTHON, cli


@pytest.fixture
def site() -> Iterator[FixtureServer]:
    with FixtureServer(FixtureSite("trs")) as server:
        yield server


def write(tmp_path: Path, server: FixtureServer | None, db: str | Path = "watch.db", extra: str = "") -> Path:
    url = server.url("/") if server else "http://127.0.0.1:9/"
    config = tmp_path / "watch.toml"
    config.write_text(
        f'[site]\nurl = "{url}"\n[crawl]\ndelay = "0s"\nretry_backoff = "10ms"\n[storage]\ndb = "{db}"\n{extra}',
        encoding="utf-8",
    )
    return config


def one_line(done: subprocess.CompletedProcess) -> str:
    assert "Traceback" not in done.stderr, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.startswith("error: ")]
    assert len(lines) == 1, done.stderr
    return lines[0]


@contextlib.contextmanager
def tmpfs(path: Path, size: str) -> Iterator[Path | None]:
    """A tmpfs mounted at ``path``, or None where this machine does not let us mount."""
    path.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], capture_output=True)
    try:
        yield path if mounted.returncode == 0 else None
    finally:
        if mounted.returncode == 0:
            subprocess.run(["umount", "-l", str(path)], capture_output=True)


# -- 8. one line, the right exit code ---------------------------------------------------------------------
def test_an_archive_path_whose_folder_cannot_be_created_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("x")
    for db in (tmp_path / "a-file" / "sub" / "watch.db", Path("/proc/ayrdw-nope/watch.db")):
        for command in ("poll", "deliver"):
            done = cli(write(tmp_path, None, db), command)
            assert done.returncode == 2, done.stderr
            assert one_line(done).startswith("error: storage.db: cannot create the archive's folder")


def test_a_folder_as_the_archive_path(tmp_path: Path) -> None:
    (tmp_path / "archive").mkdir()
    config = write(tmp_path, None, tmp_path / "archive")
    polled = cli(config, "poll")
    assert polled.returncode == 2 and "is a folder, not a file" in one_line(polled)
    status = cli(config, "status")
    assert (
        status.returncode == 1 and one_line(status) == f"error: no archive at {tmp_path / 'archive'} (it is a folder)"
    )


def test_a_damaged_archive_is_refused_by_writers_and_unhealthy_for_status(tmp_path: Path, site: FixtureServer) -> None:
    config = write(tmp_path, site)
    assert cli(config, "poll").returncode == 0
    db = tmp_path / "watch.db"
    with sqlite3.connect(db) as conn:
        page = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'reports_first_seen'").fetchone()[0]
        size = conn.execute("PRAGMA page_size").fetchone()[0]
    with db.open("r+b") as f:  # the index page's header now claims cells past its end
        f.seek((page - 1) * size)
        f.write(b"\x0a\x00\x00\x00\x05\x0f\xff\x00")
    before = db.read_bytes()
    for command in ("poll", "run", "deliver"):
        done = cli(config, command, timeout=30)
        assert done.returncode == 1, (command, done.stderr)
        assert one_line(done).startswith(f"error: the archive at {db} is damaged (")
    assert db.read_bytes() == before, "nothing written to a damaged archive"
    status = cli(config, "status")
    assert status.returncode == 1 and "is damaged" in status.stdout and "Traceback" not in status.stderr


def test_a_file_that_is_not_an_archive(tmp_path: Path) -> None:
    db = tmp_path / "watch.db"
    db.write_bytes(os.urandom(8192))
    config = write(tmp_path, None)
    for command in ("status", "export", "poll"):
        done = cli(config, command)
        assert done.returncode == 1 and "is damaged" in one_line(done), (command, done.stderr)


def test_a_full_disk_fails_the_poll_with_one_line_exit_1_and_keeps_what_was_stored(
    tmp_path: Path, site: FixtureServer
) -> None:
    with tmpfs(tmp_path / "small", "1200k") as mounted:
        folder = mounted or tmp_path
        config = write(tmp_path, site, folder / "watch.db")
        limit = None
        if mounted is None:  # no mount here: a file-size limit makes the same wall

            def limit() -> None:
                signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
                resource.setrlimit(resource.RLIMIT_FSIZE, (1_200_000, 1_200_000))

        for report in site.site.sections["监督工作"][:10]:
            site.site.edit_report(report.slug, paragraphs=report.paragraphs * 40)  # big reports fill it fast
        done = subprocess.run(
            [*PYTHON, "--config", str(config), "poll"],
            capture_output=True, text=True, timeout=120, preexec_fn=limit,
        )  # fmt: skip
        assert done.returncode == 1, done.stdout + done.stderr
        line = one_line(done)
        assert "the disk is full" in line or "disk I/O error" in line, line
        if mounted is not None:
            assert line == f"error: poll failed: the archive at {folder / 'watch.db'} cannot grow: the disk is full"
        status = cli(config, "status")
        assert status.returncode == 1 and "Traceback" not in status.stderr
        assert json.loads(cli(config, "status", "--json").stdout)["reports"]["active"] >= 1, "kept what it stored"


def test_a_read_only_archive_can_be_read_and_is_refused_for_writing(tmp_path: Path, site: FixtureServer) -> None:
    with tmpfs(tmp_path / "ro", "5m") as mounted:
        if mounted is None:
            pytest.skip("cannot mount a tmpfs on this machine (needs root); a read-only folder needs one")
        config = write(tmp_path, site, mounted / "watch.db")
        assert cli(config, "poll").returncode == 0
        remount = subprocess.run(["mount", "-o", "remount,ro", str(mounted)], capture_output=True, text=True)
        assert remount.returncode == 0, remount.stderr
        exported = cli(config, "export")
        assert exported.returncode == 0 and len(exported.stdout.splitlines()) == 23, exported.stderr
        status = cli(config, "status")
        assert status.returncode == 0, status.stderr
        polled = cli(config, "poll")
        assert (polled.returncode in (1, 2) and "read-only" in one_line(polled)) or "Read-only" in one_line(polled)


def test_a_folder_this_user_cannot_write_is_one_line_for_status_and_for_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A Docker bind mount the image's user cannot write: both commands say so in one line, and
    how to fix it. Root writes anywhere but on a read-only mount, so the commands meet one of
    those; a folder owned by someone else is what os.access says of it."""
    from storage.errors import not_writable

    monkeypatch.setattr(os, "access", lambda path, mode: False)
    owned = not_writable(tmp_path)
    assert owned and f"{tmp_path} is not writable by this user" in owned and "chown 10001:10001" in owned
    monkeypatch.undo()
    with tmpfs(tmp_path / "mnt", "1m") as mounted:
        if mounted is None:
            pytest.skip("cannot mount a tmpfs on this machine (needs root); an unwritable folder needs one")
        remount = subprocess.run(["mount", "-o", "remount,ro", str(mounted)], capture_output=True, text=True)
        assert remount.returncode == 0, remount.stderr
        config = write(tmp_path, None, mounted / "ayrdw.db")
        status = cli(config, "status")
        assert status.returncode == 1 and "Traceback" not in status.stdout + status.stderr
        health = next(line for line in status.stdout.splitlines() if line.startswith("health:"))
        assert f"no poll can run: the archive's folder {mounted} is read-only" in health
        for command in ("run", "poll"):
            done = cli(config, command)
            assert done.returncode == 2 and f"{mounted} is read-only" in one_line(done), done.stderr


def test_a_huge_interval_and_deeply_nested_toml_are_one_line_config_errors(tmp_path: Path) -> None:
    huge = write(tmp_path, None, extra='[schedule]\ninterval = "99999999999999d"\n')
    done = cli(huge, "run")
    assert done.returncode == 2 and "schedule.interval: at most a year" in one_line(done)
    nested = tmp_path / "nested.toml"
    nested.write_text("x = " + "[" * 20000 + "]" * 20000 + "\n", encoding="utf-8")
    done = cli(nested, "status")
    assert done.returncode == 2 and "not valid TOML (nested too deeply)" in one_line(done)


# -- 10. read-only commands need no secrets ----------------------------------------------------------------
def test_read_only_commands_do_not_need_the_secrets(tmp_path: Path, site: FixtureServer) -> None:
    extra = '[[watchers]]\nkind = "webhook"\nurl = "http://127.0.0.1:9/hook"\nsecret_env = "AYRDW_TEST_SECRET"\n'
    config = write(tmp_path, site, extra=extra)
    env = {**os.environ, "AYRDW_TEST_SECRET": "s3cret"}
    polled = subprocess.run(
        [*PYTHON, "--config", str(config), "poll"], capture_output=True, text=True, env=env, timeout=60
    )
    assert polled.returncode == 0, polled.stderr
    for command in ("status", "export", "outbox"):
        done = cli(config, command)  # the variable is not set here
        assert done.returncode == 0, (command, done.stderr)
    needs = cli(config, "deliver")
    assert needs.returncode == 2 and "AYRDW_TEST_SECRET is not set" in one_line(needs)


# -- 11. config hygiene -----------------------------------------------------------------------------------
def test_line_breaks_in_mail_headers_are_config_errors(tmp_path: Path) -> None:
    for extra in (
        '[notify]\nsubject_prefix = "[监督]\\r\\nBcc: x@example.org"\n',
        '[smtp]\nfrom = "a@example.org\\nBcc: b@example.org"\n',
    ):
        done = cli(write(tmp_path, None, extra=extra), "status")
        assert done.returncode == 2 and "must be one line" in one_line(done), done.stderr


def test_a_secret_of_the_wrong_type_is_never_echoed(tmp_path: Path) -> None:
    cases = [
        '[[watchers]]\nkind = "webhook"\nurl = "http://127.0.0.1:9/"\nsecret = 918273645\n',
        '[smtp]\nhost = "127.0.0.1"\npassword = 918273645\n',
    ]
    for extra in cases:
        done = cli(write(tmp_path, None, extra=extra), "status")
        assert done.returncode == 2 and "918273645" not in done.stderr + done.stdout
        assert "the value is not shown" in one_line(done)


def test_an_smtp_password_without_tls_to_another_host_gets_one_warning(tmp_path: Path, site: FixtureServer) -> None:
    extra = '[smtp]\nhost = "smtp.example.org"\nuser = "u"\npassword = "pw-not-shown"\n'
    done = cli(write(tmp_path, site, extra=extra), "poll")
    warnings = [line for line in done.stderr.splitlines() if "WARNING" in line]
    assert len(warnings) == 1 and "without TLS" in warnings[0] and "pw-not-shown" not in done.stderr
    local = cli(write(tmp_path, site, extra=extra.replace("smtp.example.org", "127.0.0.1")), "poll")
    assert "without TLS" not in local.stderr


# -- 12. replay-safe webhook signatures --------------------------------------------------------------------
def verify(secret: str, headers: dict[str, str], body: bytes, tolerance: float = 300) -> bool:
    """What a receiver does, written from the README's description, not from our code."""
    parts = dict(part.split("=", 1) for part in headers["X-Ayrdw-Signature-256"].split(","))
    timestamp = int(parts["t"])
    if abs(time.time() - timestamp) > tolerance or headers["X-Ayrdw-Timestamp"] != parts["t"]:
        return False
    message = f"{timestamp}.{headers['X-Ayrdw-Delivery']}.".encode() + body
    expected = hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, parts["v1"])


def test_each_attempt_is_signed_with_its_own_timestamp_and_the_same_body(
    tmp_path: Path, site: FixtureServer, httpserver: HTTPServer
) -> None:
    calls: list[tuple[dict[str, str], bytes]] = []

    def handle(request: Request) -> Response:
        calls.append((dict(request.headers), request.get_data()))
        return Response(status=500 if len(calls) == 1 else 204)

    httpserver.expect_request("/hook", method="POST").respond_with_handler(handle)
    extra = f'[[watchers]]\nkind = "webhook"\nurl = "{httpserver.url_for("/hook")}"\nsecret = "k3y"\n'
    config = write(tmp_path, site, extra=extra)
    assert cli(config, "poll").returncode == 0
    site.site.add_report(site.site.new_report())
    assert cli(config, "poll").returncode == 0  # the first attempt is refused
    time.sleep(1.1)  # the retry is due at once; a second later it has a timestamp of its own
    assert cli(config, "deliver").returncode == 0
    (first, body1), (second, body2) = calls
    assert body1 == body2 and first["X-Ayrdw-Delivery"] == second["X-Ayrdw-Delivery"]
    assert first["X-Ayrdw-Timestamp"] != second["X-Ayrdw-Timestamp"]
    assert first["X-Ayrdw-Signature-256"] != second["X-Ayrdw-Signature-256"]
    assert verify("k3y", first, body1) and verify("k3y", second, body2)
    assert first["X-Ayrdw-Signature"] == second["X-Ayrdw-Signature"], "the body-only signature is kept"
    replayed = {**second, "X-Ayrdw-Delivery": "another-delivery"}
    assert not verify("k3y", replayed, body2), "the delivery id is signed"
    assert not verify("k3y", second, body2, tolerance=-1), "an old timestamp is refused"
