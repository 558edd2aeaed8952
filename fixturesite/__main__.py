"""`python -m fixturesite [--layout modern] [--port 8000]`: serve a fixture site until Ctrl-C."""

from __future__ import annotations

import argparse
import contextlib
import threading
from datetime import date

from .layouts import LAYOUTS
from .server import FixtureServer
from .site import FixtureSite


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fixturesite", description=__doc__)
    parser.add_argument("--layout", choices=sorted(LAYOUTS), default="modern")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--reports", type=int, default=23, help="reports in the 监督工作 section")
    parser.add_argument("--no-noise", action="store_true", help="no per-request noise in pages")
    parser.add_argument("--no-validators", action="store_true", help="no ETag/Last-Modified, never 304")
    parser.add_argument("--dated-until", type=date.fromisoformat, help="a busy section: 3 reports a day up to then")
    parser.add_argument("--page-size", type=int, default=0, help="reports per list page (0: the layout's)")
    parser.add_argument("--attachment-kb", type=int, default=0, help="mean size of attachment files (0: tiny)")
    args = parser.parse_args(argv)
    site = FixtureSite(
        args.layout,
        reports_per_section=args.reports,
        validators=not args.no_validators,
        noise=not args.no_noise,
        attachment_bytes=args.attachment_kb * 1000,
        page_size=args.page_size or None,
        dated_until=args.dated_until,
    )
    with FixtureServer(site, args.host, args.port) as server:
        print(f"fixture site ({args.layout}) at {server.url(site.home_path())}  (Ctrl-C to stop)", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
