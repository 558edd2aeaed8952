"""`ayrdw-watch demo`: the whole cycle on one machine, without the internet.

Serves the fixture site the package ships on 127.0.0.1, runs the service against
it with a short interval and a local webhook receiver as the watcher, changes a
report on the site now and then (a new report, an edit, a new title, a removal),
and prints what the watcher receives, rendered as the email a watcher would read.
"""

from __future__ import annotations

import itertools
import json
import tempfile
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from domain.events import Notice
from domain.times import iso, utcnow
from fixturesite.server import FixtureServer
from fixturesite.site import FixtureSite
from jobs.config import Config, config_from_dict
from jobs.result import PollResult
from jobs.service import Service
from jobs.watchers import open_reader, open_writer
from notify import render
from web.server import Address, Background, free_port

SECTION = "监督工作"


def _receiver(echo: Callable[[str], None]) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            data = json.loads(body)
            echo(f"\n=== webhook received {data['event']} (delivery {self.headers.get('X-Ayrdw-Delivery')})")
            echo(render.text_body(Notice.from_payload(data)))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _changes(site: FixtureSite) -> itertools.cycle:
    """What the demo does to the site, in turn: each returns a line saying what it did."""

    def publish() -> str:
        report = site.add_report(site.new_report())
        return f"published a new report: {report.title}"

    def edit_body() -> str:
        report = site.sections[SECTION][2]
        site.edit_report(report.slug, paragraphs=[*report.paragraphs, "（本文已于今日补充更正。）"])
        return f"edited the body of: {report.title}"

    def retitle() -> str:
        report = site.sections[SECTION][4]
        site.edit_report(report.slug, title=report.title + "（修订）")
        return f"changed a title to: {report.title}"

    def remove() -> str:
        report = site.sections[SECTION][-1]
        site.remove_report(report.slug)
        return f"took down: {report.title}"

    return itertools.cycle([publish, edit_body, retitle, remove])


def _when_delivered(config: Config, done: threading.Event, limit: float = 15.0) -> None:
    deadline = time.monotonic() + limit
    archive = open_reader(config)
    while time.monotonic() < deadline and archive.outbox.counts()["pending"]:
        time.sleep(0.1)
    archive.close()
    done.set()


def run_demo(layout: str, interval: float, polls: int | None, echo: Callable[[str], None]) -> None:
    site = FixtureSite(layout)
    changes = _changes(site)
    with FixtureServer(site) as server, tempfile.TemporaryDirectory(prefix="ayrdw-demo-") as tmp:
        receiver = _receiver(echo)
        config = config_from_dict(
            {
                "site": {"url": server.url("/")},
                "crawl": {"delay": "0s", "recheck": "0s"},
                "storage": {"db": str(Path(tmp) / "demo.db")},
                "schedule": {"interval": f"{interval}s", "deliver_interval": "1s"},
                "watchers": [{"kind": "webhook", "url": f"http://127.0.0.1:{receiver.server_port}/hook"}],
            }
        )
        done = threading.Event()
        count = itertools.count(1)

        def after_poll(result: PollResult) -> None:
            n = next(count)
            echo(f"--- poll {n}: {result.summary()}")
            if n == 1:
                echo(f"    the baseline: {result.new} reports stored, nothing sent (notify.on_baseline = false)")
            if polls is not None and n >= polls:
                # What the last poll found goes out on the delivery thread: stop once it has.
                threading.Thread(target=_when_delivered, args=(config, done), daemon=True).start()
                return
            if n % 2 == 1:
                echo(f"--- the site changes: {next(changes)()}")

        echo(f"fixture site ({layout}) at {server.url('/')}, archive {config.storage.db}; Ctrl-C to stop")
        writer = open_writer(config, "demo", iso(utcnow()))
        web = Background(config, Address("127.0.0.1", free_port()))
        web.start()
        echo(f"web view: http://127.0.0.1:{web.server.config.port}/ (reports, changes, search, feeds)")
        try:
            Service(config, writer, on_poll=after_poll, stop=done).run_until_stopped()
        finally:
            web.stop()
            writer.close()
        receiver.shutdown()
