"""Email over SMTP: one message per event, or one digest when a pass has more than
``[notify] digest_over`` events for a watcher. UTF-8 subject and body, plain text
with an HTML alternative. The Message-ID comes from the delivery id, so a resend
after a crash carries the same one and mail clients can drop the copy.
"""

from __future__ import annotations

import contextlib
import hashlib
import smtplib
import ssl
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate

from domain.events import Notice
from notify import render
from notify.base import NotifyError, SendResult
from storage.outbox import Due


@dataclass
class EmailNotifier:
    to: tuple[str, ...]
    label: str
    host: str
    port: int
    sender: str
    starttls: bool = False
    use_ssl: bool = False
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout: float = 30.0
    digest_over: int = 5
    subject_prefix: str = "[监督工作]"  # for a message of no watch (an older payload, a test message)
    prefixes: dict[str, str] = field(default_factory=dict)  # each watch's
    timezone: str = render.DEFAULT_ZONE  # [notify] timezone: times in messages

    # -- messages --------------------------------------------------------------------------------
    def message(self, due: Due) -> EmailMessage:
        data = due.notice
        return self._message(
            render.subject(data, self._prefix(data)),
            render.text_body(data, self.timezone),
            render.html_body(data, self.timezone),
            due.id,
        )

    def _prefix(self, notice: Notice) -> str:
        name = (notice.watch or {}).get("name")
        return self.prefixes.get(name or "", self.subject_prefix)

    def digest(self, batch: list[Due]) -> EmailMessage:
        items = [d.notice for d in batch]
        key = hashlib.sha256(",".join(sorted(d.id for d in batch)).encode()).hexdigest()[:32]
        return self._message(
            render.digest_subject(
                items, self._prefix(items[0]) if len({self._prefix(n) for n in items}) == 1 else "[ayrdw-watch]"
            ),
            render.digest_text(items, self.timezone),
            render.digest_html(items, self.timezone),
            f"digest-{key}",
        )

    def _message(self, subject: str, text: str, html_part: str, message_key: str) -> EmailMessage:
        msg = EmailMessage()
        msg["Subject"] = subject
        msg["From"] = self.sender
        msg["To"] = ", ".join(self.to)
        msg["Date"] = formatdate(localtime=False)
        msg["Message-ID"] = f"<{message_key}@ayrdw-watch>"
        msg.set_content(text)
        msg.add_alternative(render.page(html_part), subtype="html")
        return msg

    # -- sending ---------------------------------------------------------------------------------
    def send(self, batch: list[Due]) -> Iterator[SendResult]:
        if not batch:
            return
        try:
            connection = self._connect()
        except NotifyError as exc:
            yield SendResult(tuple(d.id for d in batch), str(exc))
            return
        try:
            if len(batch) > self.digest_over:
                ids = tuple(d.id for d in batch)
                yield SendResult(ids, self._send_one(connection, self.digest(batch)))
            else:
                for due in batch:
                    yield SendResult((due.id,), self._send_one(connection, self.message(due)))
        finally:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                connection.quit()

    def ping(self, message: str, occurred_at: str) -> None:
        data = Notice("ping", occurred_at, message=message)
        msg = self._message(
            render.subject(data, self.subject_prefix), render.text_body(data, self.timezone),
            render.html_body(data, self.timezone), "ping-" + uuid.uuid4().hex,
        )  # fmt: skip
        connection = self._connect()
        try:
            error = self._send_one(connection, msg)
        finally:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                connection.quit()
        if error:
            raise NotifyError(error)

    def _connect(self) -> smtplib.SMTP:
        try:
            if self.use_ssl:
                connection: smtplib.SMTP = smtplib.SMTP_SSL(
                    self.host, self.port, timeout=self.timeout, context=ssl.create_default_context()
                )
            else:
                connection = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            if self.starttls:
                connection.starttls(context=ssl.create_default_context())
            if self.user:
                connection.login(self.user, self.password or "")
        except smtplib.SMTPAuthenticationError:
            raise NotifyError(f"{self.label}: SMTP login refused for user {self.user}") from None
        except (smtplib.SMTPException, OSError) as exc:
            raise NotifyError(
                f"{self.label}: SMTP server {self.host}:{self.port} unreachable ({_reason(exc)})"
            ) from None
        return connection

    def _send_one(self, connection: smtplib.SMTP, msg: EmailMessage) -> str | None:
        try:
            refused = connection.send_message(msg)
        except smtplib.SMTPRecipientsRefused:
            return f"{self.label}: every recipient refused"
        except (smtplib.SMTPException, OSError) as exc:
            return f"{self.label}: SMTP error ({_reason(exc)})"
        if refused:
            return f"{self.label}: refused for {', '.join(sorted(refused))}"
        return None


def _reason(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPResponseException):
        text = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else exc.smtp_error
        return f"{exc.smtp_code} {text}"
    return f"{type(exc).__name__}: {exc}".splitlines()[0]
