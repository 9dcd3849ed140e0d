"""The live mail adapter speaks SMTP to a real server (aiosmtpd on loopback);
the sandbox one writes `.eml` files."""

from __future__ import annotations

import email
import email.policy
import ssl
from datetime import UTC, datetime, timedelta
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


# -- TLS: a certificate of our own, trusted only by the mailer under test ----


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and its key, as PEM files."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "epoch test smtp")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("smtp-tls")
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def _server_context(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    return context


def _trusting(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(certificate[0]))


async def test_starttls_upgrades_before_sending(certificate):
    with smtp_server(
        tls_context=_server_context(certificate), require_starttls=True
    ) as server:
        mailer = SmtpMailer(
            server.host,
            server.port,
            SENDER,
            security="starttls",
            tls_context=_trusting(certificate),
        )
        await mailer.send(MAIL)
    [message] = server.inbox.messages
    assert message["Subject"] == MAIL.subject


async def test_plain_smtp_to_a_server_requiring_starttls_is_refused(certificate):
    with smtp_server(
        tls_context=_server_context(certificate), require_starttls=True
    ) as server:
        mailer = SmtpMailer(server.host, server.port, SENDER, security="none")
        with pytest.raises(MailDeliveryFailed):
            await mailer.send(MAIL)
    assert server.inbox.messages == []


async def test_implicit_tls_delivers(certificate):
    with smtp_server(ssl_context=_server_context(certificate)) as server:
        mailer = SmtpMailer(
            server.host,
            server.port,
            SENDER,
            security="tls",
            tls_context=_trusting(certificate),
        )
        await mailer.send(MAIL)
    assert len(server.inbox.messages) == 1


@pytest.mark.parametrize("security", ["starttls", "tls"])
async def test_an_untrusted_certificate_is_never_sent_to(certificate, security):
    options = (
        {"tls_context": _server_context(certificate), "require_starttls": True}
        if security == "starttls"
        else {"ssl_context": _server_context(certificate)}
    )
    with smtp_server(**options) as server:
        # The system trust store does not know our test certificate.
        mailer = SmtpMailer(
            server.host, server.port, SENDER, security=security, timeout=3
        )
        with pytest.raises(MailDeliveryFailed):
            await mailer.send(MAIL)
    assert server.inbox.messages == []
