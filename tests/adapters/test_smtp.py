"""The live mail adapter speaks SMTP to a real server (aiosmtpd on loopback);
the sandbox one writes `.eml` files."""

from __future__ import annotations

import email
import email.policy
from pathlib import Path

import pytest

from epoch_adapters.container import build_mailer
from epoch_adapters.mail import FileMailer, SmtpMailer
from epoch_adapters.settings import Settings
from epoch_domain.ports import MailDeliveryFailed, OutgoingMail
from tests.smtp_server import Inbox, free_port, smtp_server

pytestmark = pytest.mark.anyio

SENDER = "Epoch Voice <no-reply@epoch.test>"
MAIL = OutgoingMail(
    to="jane@example.com",
    subject="Reset your Epoch Voice password",
    text="Open https://voice.example.com/reset-password?token=rst_abc\n",
    tags={"kind": "password-reset"},
)


async def test_a_message_arrives_with_its_headers_and_body():
    with smtp_server() as server:
        mailer = SmtpMailer(server.host, server.port, SENDER, security="none")
        await mailer.send(MAIL)

    [message] = server.inbox.messages
    assert message["To"] == "jane@example.com"
    assert message["From"] == SENDER
    assert message["Subject"] == "Reset your Epoch Voice password"
    assert message["Message-ID"]
    assert Inbox.body(message).replace("\r\n", "\n") == MAIL.text
    [(mail_from, rcpt_tos)] = server.inbox.envelopes
    assert mail_from == "no-reply@epoch.test"
    assert rcpt_tos == ["jane@example.com"]


async def test_a_refused_message_raises_mail_delivery_failed():
    with smtp_server() as server:
        server.inbox.refuse = True
        mailer = SmtpMailer(server.host, server.port, SENDER, security="none")
        with pytest.raises(MailDeliveryFailed):
            await mailer.send(MAIL)
    assert server.inbox.messages == []


async def test_an_unreachable_server_raises_mail_delivery_failed():
    mailer = SmtpMailer("127.0.0.1", free_port(), SENDER, security="none", timeout=2)
    with pytest.raises(MailDeliveryFailed):
        await mailer.send(MAIL)


async def test_starttls_demanded_of_a_server_without_it_fails_cleanly():
    with smtp_server() as server:
        mailer = SmtpMailer(server.host, server.port, SENDER, security="starttls")
        with pytest.raises(MailDeliveryFailed):
            await mailer.send(MAIL)
    assert server.inbox.messages == []


async def test_credentials_are_sent_with_auth_login():
    seen: list[tuple[str, str]] = []

    def authenticator(server, session, envelope, mechanism, auth_data):
        from aiosmtpd.smtp import AuthResult

        seen.append((auth_data.login.decode(), auth_data.password.decode()))
        return AuthResult(success=auth_data.password == b"s3cret")

    with smtp_server(authenticator=authenticator, auth_require_tls=False) as server:
        good = SmtpMailer(
            server.host, server.port, SENDER, "mailer", "s3cret", security="none"
        )
        await good.send(MAIL)
        bad = SmtpMailer(
            server.host, server.port, SENDER, "mailer", "wrong", "none", timeout=2
        )
        with pytest.raises(MailDeliveryFailed):
            await bad.send(MAIL)

    assert seen == [("mailer", "s3cret"), ("mailer", "wrong")]
    assert len(server.inbox.messages) == 1


async def test_the_sandbox_writes_an_eml_file_a_developer_can_open(tmp_path: Path):
    mailer = FileMailer(tmp_path / "mail", SENDER)
    await mailer.send(MAIL)

    [path] = (tmp_path / "mail").glob("*.eml")
    assert path.name.endswith("-password-reset.eml")
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert message["To"] == "jane@example.com"
    assert "token=rst_abc" in message.get_body().get_content()


def test_settings_choose_smtp_only_when_a_host_is_set(tmp_path: Path):
    sandbox = build_mailer(Settings(data_dir=tmp_path))
    live = build_mailer(Settings(data_dir=tmp_path, smtp_host="mail.example.com"))
    assert isinstance(sandbox, FileMailer)
    assert isinstance(live, SmtpMailer)
