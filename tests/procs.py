"""Real processes and real receivers for the tests that kill, race and restart things.

- ``Proc``: a command of ours (`run`, `poll`, `deliver`, ...) in a subprocess, its output
  collected to a file;
- ``WebhookReceiver``: an HTTP server on loopback that records every delivery it gets, can
  answer slowly or with an error, and can go down and come back on the same port;
- ``wait_for``: wait for a condition with a generous limit, never a fixed sleep.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = [sys.executable, str(ROOT / "schedule.py")]


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(condition: Callable[[], object], limit: float = 40.0, what: str = "condition") -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {limit:g}s waiting for {what}")


class Proc:
    """`ayrdw-watch --config CONFIG ARGS...` in a subprocess, stdout and stderr to one log file."""

    def __init__(self, config: Path, *args: str, env: dict[str, str] | None = None, name: str | None = None) -> None:
        self.config = config
        self.argv = [*PYTHON, "--config", str(config), *args]
        self.log = config.with_name(f"{name or args[0]}.log")
        self.env = {**os.environ, **(env or {})}
        self.env.pop("AYRDW_CONFIG", None)
        self.proc: subprocess.Popen | None = None

    def start(self) -> Proc:
        self._out = self.log.open("ab")
        self.proc = subprocess.Popen(
            self.argv, stdout=self._out, stderr=self._out, cwd=self.config.parent, env=self.env
        )
        return self

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def wait(self, limit: float = 60.0) -> int:
        assert self.proc is not None
        code = self.proc.wait(timeout=limit)
        self._out.close()
        return code

    def stop(self, sig: int = signal.SIGTERM, limit: float = 15.0) -> int:
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        return self.wait(limit)

    def kill(self) -> None:
        self.stop(signal.SIGKILL)

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace") if self.log.exists() else ""

    def polls(self) -> list[str]:
        return re.findall(r"poll: (?:ok|failed|stopped) .*", self.output())


def cli(config: Path, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "AYRDW_CONFIG"}
    return subprocess.run(
        [*PYTHON, "--config", str(config), *args],
        capture_output=True, text=True, timeout=timeout, cwd=config.parent, env=env,
    )  # fmt: skip


@dataclass(frozen=True)
class Received:
    delivery: str
    event: str
    body: dict
    at: float  # time.monotonic() when the request had been read (before the answer)


class WebhookReceiver:
    """A webhook receiver on 127.0.0.1 that keeps every request it answered with 2xx.

    ``delay`` seconds pass before each answer; ``status`` is the answer (204 by default);
    ``stop()`` refuses connections and ``start()`` answers on the same port again. While
    stopped the port stays bound (not listening), so no other socket (an outgoing connection's
    ephemeral port, another test server) can take it in between: connections are refused."""

    def __init__(self, port: int = 0, delay: float = 0.0, status: int = 204, host: str = "127.0.0.1") -> None:
        self.host = host
        self.port = port
        self.delay = delay
        self.status = status
        self.received: list[Received] = []
        self.answered_error = 0
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._held: socket.socket | None = None  # the port while stopped: bound, not listening

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/hook"

    def start(self) -> WebhookReceiver:
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                arrived = time.monotonic()
                if outer.delay:
                    time.sleep(outer.delay)
                status = outer.status
                with outer._lock:
                    if 200 <= status < 300:
                        data = json.loads(body)
                        delivery = self.headers.get("X-Ayrdw-Delivery", "")
                        outer.received.append(Received(delivery, data.get("event", ""), data, arrived))
                    else:
                        outer.answered_error += 1
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        server = ThreadingHTTPServer((self.host, self.port), Handler, bind_and_activate=self._held is None)
        if self._held is not None:  # listen on the socket that kept the port
            server.socket.close()
            server.socket, self._held = self._held, None
            server.server_address = server.socket.getsockname()
            server.server_activate()
        server.daemon_threads = True
        self.port = server.server_address[1]
        self._server = server
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
            held = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            held.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # past TIME_WAIT of answered ones
            held.bind((self.host, self.port))
            self._held = held

    @property
    def up(self) -> bool:
        return self._server is not None

    def deliveries(self) -> list[str]:
        with self._lock:
            return [r.delivery for r in self.received]

    def __enter__(self) -> WebhookReceiver:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
        self.release()

    def release(self) -> None:
        """Let the port go (a stopped receiver keeps it bound)."""
        if self._held is not None:
            self._held.close()
            self._held = None

    def __del__(self) -> None:
        self.release()


def service_config(
    tmp_path: Path,
    site_url: str,
    hooks: list[str] | tuple[str, ...] = (),
    *,
    crawl: dict[str, str] | None = None,
    schedule: dict[str, str] | None = None,
    extra: str = "",
    name: str = "service.toml",
) -> Path:
    """A config for `run` against a fixture site: 1 s interval and delivery pass, no delay.
    ``extra``: more tables (e.g. "[notify]..."), written before the watchers."""

    def table(values: dict[str, str]) -> str:
        return "".join(f'{k} = "{v}"\n' for k, v in values.items())

    crawl = {"delay": "0s", "retry_backoff": "10ms", "timeout": "20s", "recheck": "1h", **(crawl or {})}
    schedule = {"interval": "1s", "deliver_interval": "1s", **(schedule or {})}
    watchers = "".join(
        f'[[watchers]]\nkind = "webhook"\nurl = "{hook}"\nname = "hook{i}"\n' for i, hook in enumerate(hooks)
    )
    config = tmp_path / name
    config.write_text(
        f'[site]\nurl = "{site_url}"\n[crawl]\n{table(crawl)}[storage]\ndb = "watch.db"\n'
        f"[schedule]\n{table(schedule)}{extra}{watchers}",
        encoding="utf-8",
    )
    return config


def signal_name(code: int) -> str:
    return signal.Signals(-code).name if code < 0 else str(code)
