"""`make soak [SEED=N]`: the service against the fixture site while everything goes wrong.

A driver publishes, edits and removes reports; the webhook receiver and the SMTP server
go down and come back; the service is killed with SIGKILL at random moments (at least
20 times) and restarted; now and then a second writer is started, which must be
refused. At the end, from what the receivers got against what the site did:

- every event in the archive reached every watcher (``lost``);
- no delivery id reached a watcher twice, except a copy whose first arrival was within
  ``[notify] timeout`` before a kill (in flight when the process died: ``duplicates``);
- every event answers something the driver did, and everything the driver did has its
  event (``false``, ``missed``): noise never makes one;
- ``PRAGMA integrity_check`` says ok.

One summary line; exit 1 on any loss. The same seed replays the same actions at the same
moments (the service's own timing still varies).
"""

from __future__ import annotations

import argparse
import json
import random
import signal
import sqlite3
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from fixturesite.server import FixtureServer  # noqa: E402
from fixturesite.site import REMOVE_MODES, FixtureSite  # noqa: E402
from storage.lock import holder  # noqa: E402
from tests.procs import Proc, WebhookReceiver, cli, free_port, wait_for  # noqa: E402

SECTION = "监督工作"
NOTIFY_TIMEOUT = 2.0


class MailServer:
    """aiosmtpd on a fixed loopback port that can go down and come back; keeps Message-IDs."""

    def __init__(self) -> None:
        self.port = free_port()
        self.received: list[tuple[str, float]] = []  # (delivery id, arrival)
        self._controller = None
        self.delay = 0.0

    def start(self) -> None:
        from aiosmtpd.controller import Controller

        outer = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
                import asyncio
                import email

                arrived = time.monotonic()
                if outer.delay:
                    await asyncio.sleep(outer.delay)
                message = email.message_from_bytes(envelope.content)
                outer.received.append((message["Message-ID"].strip("<>").split("@")[0], arrived))
                return "250 OK"

        self._controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def up(self) -> bool:
        return self._controller is not None


@dataclass
class Story:
    """What the driver did to the site, to hold the archive's events against."""

    published: set[str] = field(default_factory=set)  # report URLs
    edited: dict[str, float] = field(default_factory=dict)  # URL -> last edit (monotonic)
    removed: set[str] = field(default_factory=set)
    kills: list[float] = field(default_factory=list)
    refused: int = 0
    unrefused: list[str] = field(default_factory=list)


def config_text(site: str, hook: str, smtp_port: int) -> str:
    return f"""[site]
url = "{site}"
[crawl]
delay = "0s"
retry_backoff = "10ms"
timeout = "5s"
recheck = "0s"
[storage]
db = "soak.db"
[schedule]
interval = "1s"
deliver_interval = "1s"
[smtp]
host = "127.0.0.1"
port = {smtp_port}
from = "soak <soak@example.org>"
timeout = "{NOTIFY_TIMEOUT:g}s"
[notify]
timeout = "{NOTIFY_TIMEOUT:g}s"
digest_over = 100000
max_attempts = 1000
retry_backoff = "1s"
max_retry_wait = "4s"
[[watchers]]
kind = "webhook"
url = "{hook}"
name = "hook"
[[watchers]]
kind = "email"
to = ["desk@example.org"]
name = "mail"
"""


class Soak:
    def __init__(self, seed: int, seconds: float, folder: Path) -> None:
        self.rng = random.Random(seed)
        self.seed, self.seconds, self.folder = seed, seconds, folder
        self.site = FixtureSite("trs")
        self.server = FixtureServer(self.site).start()
        self.hook = WebhookReceiver(delay=0.2).start()
        self.mail = MailServer()
        self.mail.delay = 0.1
        self.mail.start()
        self.config = folder / "soak.toml"
        self.config.write_text(config_text(self.server.url("/"), self.hook.url, self.mail.port), encoding="utf-8")
        self.story = Story()
        self.service: Proc | None = None
        self.runs = 0
        self.touched: set[str] = set()  # slugs edited or removed: one kind of action per report

    def url(self, slug: str) -> str:
        return self.server.url(self.site.report_path(slug))

    # -- the service --------------------------------------------------------------------------
    def start_service(self) -> None:
        self.runs += 1
        self.service = Proc(self.config, "run", name=f"run{self.runs:03d}").start()

    def kill_service(self) -> None:
        assert self.service is not None
        self.service.kill()
        self.story.kills.append(time.monotonic())

    def second_writer(self) -> None:
        assert self.service is not None
        writer = holder(self.folder / "soak.db")
        if writer is None or writer.pid != self.service.pid:
            return  # the service has not taken its lock yet: a second writer now would be the first
        done = cli(self.config, "poll", timeout=30)
        if done.returncode == 1 and "is in use by another ayrdw-watch" in done.stderr:
            self.story.refused += 1
        elif self.service.alive():
            self.story.unrefused.append(done.stderr.strip()[-200:])

    # -- the site -----------------------------------------------------------------------------
    def untouched(self) -> list:
        return [r for r in self.site.sections[SECTION] if r.slug not in self.touched]

    def publish(self) -> None:
        report = self.site.add_report(self.site.new_report())
        self.story.published.add(self.url(report.slug))

    def edit(self) -> None:
        """A report of the baseline (one just published might be stored edited: no change to see)."""
        candidates = [
            r
            for r in self.site.sections[SECTION]
            if self.url(r.slug) not in self.story.published
            and (r.slug not in self.touched or self.url(r.slug) in self.story.edited)
        ]
        report = self.rng.choice(candidates)
        self.touched.add(report.slug)
        if self.rng.random() < 0.5:
            paragraphs = list(report.paragraphs)
            paragraphs[-1] = paragraphs[-1] + f"（第{self.rng.randint(2, 999)}次更正）"
            self.site.edit_report(report.slug, paragraphs=paragraphs)
        else:
            self.site.edit_report(report.slug, title=report.title + f"（修订{self.rng.randint(2, 99)}）")
        self.story.edited[self.url(report.slug)] = time.monotonic()

    def remove(self) -> None:
        candidates = self.untouched()
        if len(candidates) < 15:
            return self.publish()
        report = self.rng.choice(candidates[3:])
        self.touched.add(report.slug)
        self.site.remove_report(report.slug, how=self.rng.choice(REMOVE_MODES))
        self.story.removed.add(self.url(report.slug))
        return None

    def toggle(self, receiver: WebhookReceiver | MailServer) -> None:
        if receiver.up:
            receiver.stop()
        else:
            receiver.start()

    # -- the run --------------------------------------------------------------------------------
    def run(self) -> dict[str, object]:
        self.start_service()
        wait_for(lambda: "new=23" in self.service.output(), limit=60, what="the baseline")
        start = time.monotonic()
        deadline = start + self.seconds
        kills = sorted(start + self.rng.uniform(2, self.seconds - 2) for _ in range(24))
        actions = [
            (self.publish, 4), (self.edit, 4), (self.remove, 2), (lambda: self.toggle(self.hook), 2),
            (lambda: self.toggle(self.mail), 2), (self.second_writer, 1),
        ]  # fmt: skip
        while time.monotonic() < deadline:
            time.sleep(self.rng.uniform(0.2, 1.5))
            if kills and time.monotonic() >= kills[0]:
                kills.pop(0)
                self.kill_service()
                time.sleep(self.rng.uniform(0, 1.0))
                self.start_service()
                continue
            action = self.rng.choices([a for a, _ in actions], [w for _, w in actions])[0]
            action()
        return self.settle()

    def settle(self) -> dict[str, object]:
        """Everything back up; wait until the service has seen the site as it is and delivered it."""
        if not self.hook.up:
            self.hook.start()
        if not self.mail.up:
            self.mail.start()
        quiet_since = time.monotonic()
        db = self.folder / "soak.db"

        def settled() -> bool:
            status = cli(self.config, "status", "--json", timeout=30)
            if status.returncode not in (0, 1) or not status.stdout:
                return False
            data = json.loads(status.stdout)
            last = data["last_poll"] or {}
            return (
                data["deliveries"]["pending"] == 0
                and last.get("status") == "ok"
                and last["started_at"] > _iso_ago(time.monotonic() - quiet_since)
            )

        wait_for(settled, limit=180, what="the service to catch up")
        assert self.service is not None
        self.service.stop(signal.SIGTERM)
        return self.verdict(db)

    def verdict(self, db: Path) -> dict[str, object]:
        conn = sqlite3.connect(db)
        events = conn.execute("SELECT id, kind, url FROM events WHERE baseline = 0 ORDER BY id").fetchall()
        deliveries = conn.execute(
            "SELECT d.id, w.label, d.event_id, d.status FROM deliveries d JOIN watchers w ON w.id = d.watcher_id"
            " WHERE d.event_id IS NOT NULL"
        ).fetchall()
        integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
        conn.close()
        received = {
            "hook": [(r.delivery, r.at) for r in self.hook.received],
            "mail": list(self.mail.received),
        }
        lost, in_flight, extra_dupes = 0, 0, 0
        by_event: dict[int, set[str]] = {}
        for delivery_id, label, event_id, _status in deliveries:
            by_event.setdefault(event_id, set()).add(label)
            arrivals = sorted(at for did, at in received[label] if did == delivery_id)
            if not arrivals:
                lost += 1
                continue
            first = arrivals[0]
            for _ in arrivals[1:]:
                if any(first - 0.05 <= kill <= first + NOTIFY_TIMEOUT + 0.5 for kill in self.story.kills):
                    in_flight += 1
                else:
                    extra_dupes += 1
        unannounced = sum(1 for event_id, _, _ in events if by_event.get(event_id) != {"hook", "mail"})
        false = 0
        for _, kind, url in events:
            if kind == "new" and url not in self.story.published:
                false += 1
            if kind == "changed" and url not in self.story.edited:
                false += 1
            if kind == "removed" and url not in self.story.removed:
                false += 1
        kinds = {(kind, url) for _, kind, url in events}
        missed = sum(1 for url in self.story.published if ("new", url) not in kinds and url not in self.story.removed)
        missed += sum(1 for url in self.story.edited if ("changed", url) not in kinds)
        missed += sum(
            1 for url in self.story.removed if ("removed", url) not in kinds and url not in self.story.published
        )
        delivered = sum(len(set(did for did, _ in got)) for got in received.values())
        return {
            "events": len(events),
            "delivered": delivered,
            "lost": lost + unannounced,
            "duplicates": in_flight,
            "unexplained_duplicates": extra_dupes,
            "false": false,
            "missed": missed,
            "kills": len(self.story.kills),
            "refused_writers": self.story.refused,
            "unrefused_writers": len(self.story.unrefused),
            "integrity": integrity,
        }

    def close(self) -> None:
        if self.service is not None and self.service.alive():
            self.service.kill()
        self.hook.stop()
        self.mail.stop()
        self.server.stop()


def _iso_ago(seconds: float) -> str:
    import datetime as dt

    moment = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=seconds)
    return moment.isoformat(timespec="seconds")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make soak", description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=None, help="replay a run (default: a new seed)")
    parser.add_argument("--seconds", type=float, default=240.0, help="how long things go wrong")
    parser.add_argument("--keep", action="store_true", help="keep the folder with the archive and the logs")
    args = parser.parse_args(argv)
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1, 10**6)
    folder = Path(tempfile.mkdtemp(prefix=f"ayrdw-soak-{seed}-"))
    soak = Soak(seed, args.seconds, folder)
    try:
        r = soak.run()
    finally:
        soak.close()
    bad = (
        r["lost"] or r["false"] or r["missed"] or r["unexplained_duplicates"] or r["unrefused_writers"]
        or r["integrity"] != "ok" or r["kills"] < 20
    )  # fmt: skip
    extra = (
        ""
        if not bad
        else (
            f" missed={r['missed']} unexplained_duplicates={r['unexplained_duplicates']}"
            f" unrefused_writers={r['unrefused_writers']} logs={folder}"
        )
    )
    print(
        f"soak: events={r['events']} delivered={r['delivered']} lost={r['lost']}"
        f" duplicates={r['duplicates']}(in-flight) false={r['false']} kills={r['kills']}"
        f" refused_writers={r['refused_writers']} integrity={r['integrity']}"
        f" seed={seed}{extra}"
    )
    if not args.keep and not bad:
        import shutil

        shutil.rmtree(folder, ignore_errors=True)
    return 1 if bad else 0


if __name__ == "__main__":
    threading.current_thread().name = "soak"
    raise SystemExit(main())
