"""The process's one TLS context per setting, shared by the crawler and the channels.

Building one (and loading the CA bundle) costs more CPU than an idle poll's whole request,
and a fresh one per poll also fragments memory over months of polls."""

from __future__ import annotations

import functools
import ssl

import certifi


@functools.cache
def tls_context(verify: bool) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=certifi.where())
    if not verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context
