"""Shared fixtures: fast fetch settings, the fixture site on a real loopback server,
and a helper that runs the real CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from crawler.fetch import FetchSettings
from tests.procs import free_port

if TYPE_CHECKING:
    from fixturesite.server import FixtureServer

ROOT = Path(__file__).resolve().parent.parent
REALPAGES = Path(__file__).resolve().parent / "realpages"
LAYOUTS = ("table-gbk", "trs", "modern")


@pytest.fixture
def fast_settings() -> FetchSettings:
    """Polite in shape, fast in time: no delay, short backoff, short timeout."""
    return FetchSettings(user_agent="ayrdw-watch-tests/1.0", delay=0.0, timeout=2.0, backoff=0.01)


@pytest.fixture(params=LAYOUTS)
def layout(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def served(layout: str) -> Iterator[FixtureServer]:
    """The fixture site of one layout, served on 127.0.0.1."""
    from fixturesite.server import FixtureServer
    from fixturesite.site import FixtureSite

    with FixtureServer(FixtureSite(layout)) as server:
        yield server


@dataclass
class CliResult:
    code: int
    stdout: str
    stderr: str

    def json(self) -> dict:
        return json.loads(self.stdout)


@pytest.fixture
def archive_site() -> Iterator[FixtureServer]:
    """The fixture site where the archives of tests/fixtures point (a fixed loopback address)."""
    from fixturesite.server import FixtureServer
    from fixturesite.site import FixtureSite
    from tests.fixtures.make_archive import HOST, LAYOUT, PORT

    try:
        server = FixtureServer(FixtureSite(LAYOUT), HOST, PORT).start()
    except OSError as exc:
        pytest.fail(f"cannot serve the fixture site at {HOST}:{PORT}, where the archives point: {exc}")
    yield server
    server.stop()


@pytest.fixture
def run_cli(tmp_path: Path):
    """Run the real command line in a subprocess, as a user would."""

    def run(*args: str, config: str | None = None, timeout: float = 60) -> CliResult:
        cmd = [sys.executable, str(ROOT / "schedule.py")]
        if config is not None:
            cfg = tmp_path / "config.toml"
            cfg.write_text(config, encoding="utf-8")
            cmd += ["--config", str(cfg)]
        env = {k: v for k, v in os.environ.items() if k != "AYRDW_CONFIG"}
        done = subprocess.run(
            [*cmd, *args], capture_output=True, text=True, timeout=timeout, cwd=tmp_path, env=env, encoding="utf-8"
        )
        return CliResult(done.returncode, done.stdout, done.stderr)

    return run


def site_config(server: FixtureServer, **crawl: str) -> str:
    """A config that points the tool at a fixture server, with no delay."""
    extra = "".join(f'{k} = "{v}"\n' for k, v in crawl.items())
    return f'[site]\nurl = "{server.base_url}/"\n[crawl]\ndelay = "0s"\nretry_backoff = "10ms"\n{extra}'


# -- a real SMTP server on loopback (aiosmtpd) -------------------------------------------------------
class MailSink:
    """Collects the messages an aiosmtpd server receives; can refuse them on demand."""

    def __init__(self) -> None:
        self.messages: list = []
        self.refuse: str | None = None  # e.g. "550 mailbox unavailable"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.refuse:
            return self.refuse
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        import email
        import email.policy

        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 Message accepted"


SMTP_USER, SMTP_PASSWORD = "watch", "smtp-pa55word"


def _authenticator(server, session, envelope, mechanism, auth_data):  # type: ignore[no-untyped-def]
    from aiosmtpd.smtp import AuthResult, LoginPassword

    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        SMTP_USER.encode(),
        SMTP_PASSWORD.encode(),
    )
    return AuthResult(success=ok)


@pytest.fixture
def smtp_server() -> Iterator[tuple[MailSink, int]]:
    """aiosmtpd on a free loopback port, requiring AUTH (user "watch") over plain SMTP."""
    from aiosmtpd.controller import Controller

    sink = MailSink()
    port = free_port()
    controller = Controller(
        sink, hostname="127.0.0.1", port=port, authenticator=_authenticator, auth_require_tls=False, auth_required=True
    )
    controller.start()
    try:
        yield sink, port
    finally:
        controller.stop()
