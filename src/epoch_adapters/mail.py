"""Mail: SMTP when configured, otherwise `.eml` files under the data folder."""

from __future__ import annotations

import re
import ssl
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

import aiosmtplib
import anyio
import structlog

from epoch_domain.ports import MailDeliveryFailed, OutgoingMail

log = structlog.get_logger()


def build_message(mail: OutgoingMail, sender: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = mail.to
    message["Subject"] = mail.subject
    message["Message-ID"] = make_msgid(domain="epoch.local")
    message.set_content(mail.text)
    return message


class SmtpMailer:
    def __init__(
        self,
        host: str,
        port: int,
        sender: str,
        username: str | None = None,
        password: str | None = None,
        security: str = "starttls",
        timeout: float = 10.0,
        tls_context: ssl.SSLContext | None = None,
    ) -> None:
        """`tls_context` replaces the system's trust store (tests pass one
        that trusts their own certificate); certificates are always checked."""
        if security not in {"starttls", "tls", "none"}:
            raise ValueError("SMTP_SECURITY must be starttls, tls or none")
        self._host = host
        self._port = port
        self._sender = sender
        self._username = username
        self._password = password
        self._security = security
        self._timeout = timeout
        self._tls_context = tls_context

    async def send(self, mail: OutgoingMail) -> None:
        message = build_message(mail, self._sender)
        try:
            await aiosmtplib.send(
                message,
                hostname=self._host,
                port=self._port,
                username=self._username,
                password=self._password,
                use_tls=self._security == "tls",
                start_tls=self._security == "starttls",
                timeout=self._timeout,
                tls_context=self._tls_context,
            )
        except (aiosmtplib.SMTPException, OSError) as error:
            log.warning(
                "mail.smtp.failed",
                kind=mail.tags.get("kind"),
                error=type(error).__name__,
            )
            raise MailDeliveryFailed(str(error)) from error
        log.info("mail.smtp.sent", kind=mail.tags.get("kind"))


class FileMailer:
    """The sandbox mailer: each message becomes an `.eml` file a developer can
    open, so sign-up and password links work on a laptop with no mail server."""

    def __init__(self, folder: Path, sender: str) -> None:
        self._folder = folder
        self._sender = sender

    async def send(self, mail: OutgoingMail) -> None:
        message = build_message(mail, self._sender)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
        kind = re.sub(r"[^a-z0-9-]", "", mail.tags.get("kind", "mail"))
        path = self._folder / f"{stamp}-{kind}.eml"
        try:
            await anyio.Path(self._folder).mkdir(parents=True, exist_ok=True)
            await anyio.Path(path).write_bytes(message.as_bytes())
        except OSError as error:
            raise MailDeliveryFailed(str(error)) from error
        log.info("mail.file.written", kind=kind, path=str(path))
