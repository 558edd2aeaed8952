"""Running the app: `serve` in the foreground, `run --web` in a thread of the service."""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import os
import signal
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from jobs.config import Config
from jobs.errors import ConfigError

log = logging.getLogger("ayrdw.web")


@dataclass(frozen=True)
class Address:
    host: str
    port: int

    @classmethod
    def parse(cls, text: str) -> Address:
        """ "HOST:PORT" (``run --web``); "[::1]:8080" for IPv6."""
        host, sep, port = text.rpartition(":")
        if not sep or not port.isdigit() or not 0 < int(port) < 65536 or not host:
            raise ValueError(f"expected HOST:PORT such as 127.0.0.1:8080, got {text!r}")
        return cls(host.strip("[]"), int(port))


def password(config: Config, env: Mapping[str, str] = os.environ) -> str | None:
    """[web] password, or the variable password_env names (a config error when it is unset)."""
    web = config.web
    if web.password and web.password_env:
        raise ConfigError("config: web: give password or password_env, not both")
    if web.password_env:
        if not env.get(web.password_env):
            raise ConfigError(f"config: web.password_env: environment variable {web.password_env} is not set")
        return env[web.password_env]
    if web.user and not web.password:
        raise ConfigError("config: web.user needs a password (password_env names the variable that holds it)")
    return web.password


def free_port() -> int:
    """A port nobody listens on now (the demo's web view)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _server(config: Config, address: Address, in_thread: bool):  # type: ignore[no-untyped-def]
    import uvicorn

    from web.app import create_app

    app = create_app(config, password(config))
    if not _loopback(address.host) and not config.web.user:
        log.warning(
            "web: serving %s:%d beyond this machine with no [web] user: anyone who can reach it reads the archive",
            address.host, address.port,
        )  # fmt: skip
    settings = uvicorn.Config(
        app, host=address.host, port=address.port, log_config=None, access_log=False, lifespan="off",
        server_header=False,
    )  # fmt: skip
    logging.getLogger("uvicorn.error").setLevel(logging.WARNING)  # our own line says where it listens
    server = uvicorn.Server(settings)
    if not in_thread:  # (in a thread uvicorn leaves signals alone: the service owns them)
        server.capture_signals = lambda: _stopped_by_signals(server)  # type: ignore[method-assign]
    return server


@contextlib.contextmanager
def _stopped_by_signals(server: Any) -> Iterator[None]:
    """SIGTERM or Ctrl-C stop the server gracefully and `serve` exits 0 (uvicorn's own handling
    raises the signal again afterwards, which ends the process with 143)."""

    def stop(signum: int, frame: object) -> None:
        if server.should_exit and signum == signal.SIGINT:
            server.force_exit = True
        server.should_exit = True

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def serve(config: Config, address: Address) -> None:
    """Serve until SIGINT or SIGTERM."""
    server = _server(config, address, in_thread=False)
    log.warning("web: serving the archive %s read-only at http://%s:%d/", config.storage.db, address.host, address.port)
    server.run()
    if not server.started:
        raise OSError(f"cannot listen on {address.host}:{address.port}")


class Background:
    """The server in a thread of the service (`run --web`), stopped with it."""

    def __init__(self, config: Config, address: Address) -> None:
        self.server = _server(config, address, in_thread=True)
        self.thread = threading.Thread(target=self.server.run, name="web", daemon=True)

    def start(self, timeout: float = 10.0) -> None:
        self.thread.start()
        for _ in range(int(timeout / 0.05)):
            if self.server.started or not self.thread.is_alive():
                break
            threading.Event().wait(0.05)
        if not self.server.started:
            raise OSError("the web server did not start (is the address in use?)")

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
