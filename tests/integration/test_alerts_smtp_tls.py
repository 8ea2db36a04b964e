"""E-mail over TLS against a real SMTP server (aiosmtpd) with a certificate of a private CA (openssl):
STARTTLS with a login (the default security), TLS from the start (SMTPS), a certificate the host does
not trust, and a server that offers no STARTTLS (never a fall-back to a clear-text login).

A district's mail server often has a certificate of its own CA; the collector trusts it as every
OpenSSL program does, through the system store or ``SSL_CERT_FILE`` (docs/en/alerts.md), which is
how these tests trust theirs."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from pydantic import SecretStr

from collector.alerts.delivery import DeliveryError, EmailChannel
from tests.services import free_port, make_certificates

USER, PASSWORD = "mpp-alerts", "smtp-pass-5c1e9a"


class TlsMailbox:
    """Keeps each accepted message with whether its session was encrypted and logged in."""

    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd hook
        encrypted = server.transport.get_extra_info("ssl_object") is not None
        self.messages.append(
            {"tls": encrypted, "login": session.auth_data if session.authenticated else None, "to": envelope.rcpt_tos}
        )
        return "250 OK"


def authenticate(_server: object, _session: object, _envelope: object, mechanism: str, data: object) -> AuthResult:
    ok = isinstance(data, LoginPassword) and (data.login, data.password) == (USER.encode(), PASSWORD.encode())
    return AuthResult(success=ok, handled=False, auth_data=USER if ok else None)


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    return make_certificates(tmp_path_factory.mktemp("smtp-certs"))


@pytest.fixture
def server_context(certificates: tuple[Path, Path, Path]) -> ssl.SSLContext:
    _, crt, key = certificates
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(crt, key)
    return context


@pytest.fixture
def trusted(certificates: tuple[Path, Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    """The private CA trusted the documented way: ``SSL_CERT_FILE`` (OpenSSL reads it per context)."""
    monkeypatch.setenv("SSL_CERT_FILE", str(certificates[0]))


def serve(**kwargs: Any) -> Iterator[tuple[TlsMailbox, int]]:
    box, port = TlsMailbox(), free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port, **kwargs)
    controller.start()
    try:
        yield box, port
    finally:
        controller.stop()


@pytest.fixture
def starttls_server(server_context: ssl.SSLContext) -> Iterator[tuple[TlsMailbox, int]]:
    yield from serve(
        tls_context=server_context, require_starttls=True, authenticator=authenticate, auth_require_tls=True
    )


@pytest.fixture
def smtps_server(server_context: ssl.SSLContext) -> Iterator[tuple[TlsMailbox, int]]:
    # Encrypted from the first byte, so the login is offered at once.
    yield from serve(
        server_hostname="localhost", ssl_context=server_context, authenticator=authenticate, auth_require_tls=False
    )


def message() -> EmailMessage:
    mail = EmailMessage()
    mail["Subject"], mail["From"], mail["To"] = "[MPP] uji", "mpp@example.go.id", "bupati@example.go.id"
    mail.set_content("uji")
    return mail


def channel(port: int, security: str, password: str = PASSWORD) -> EmailChannel:
    return EmailChannel("localhost", port, security, "mpp@example.go.id", ("bupati@example.go.id",),  # type: ignore[arg-type]
                        username=USER, password=SecretStr(password))  # fmt: skip


@pytest.mark.usefixtures("trusted")
def test_starttls_with_a_login_delivers_encrypted(starttls_server: tuple[TlsMailbox, int]) -> None:
    box, port = starttls_server
    channel(port, "starttls").deliver(message())
    assert box.messages == [{"tls": True, "login": USER, "to": ["bupati@example.go.id"]}]


@pytest.mark.usefixtures("trusted")
def test_smtps_delivers_over_tls_from_the_first_byte(smtps_server: tuple[TlsMailbox, int]) -> None:
    box, port = smtps_server
    channel(port, "ssl").deliver(message())
    assert box.messages == [{"tls": True, "login": USER, "to": ["bupati@example.go.id"]}]


@pytest.mark.usefixtures("trusted")
def test_a_wrong_password_is_a_clear_error_without_the_password(starttls_server: tuple[TlsMailbox, int]) -> None:
    box, port = starttls_server
    with pytest.raises(DeliveryError, match="SMTPAuthenticationError") as caught:
        channel(port, "starttls", password="not-the-password-77").deliver(message())
    assert "not-the-password-77" not in str(caught.value) and box.messages == []


def test_a_certificate_the_host_does_not_trust_is_refused_before_the_login(
    starttls_server: tuple[TlsMailbox, int], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "no-ca.pem"
    empty.write_text("")
    monkeypatch.setenv("SSL_CERT_FILE", str(empty))
    monkeypatch.setenv("SSL_CERT_DIR", str(tmp_path))
    box, port = starttls_server
    with pytest.raises(DeliveryError, match="CERTIFICATE_VERIFY_FAILED") as caught:
        channel(port, "starttls").deliver(message())
    assert PASSWORD not in str(caught.value) and box.messages == []


def test_a_server_without_starttls_gets_no_clear_text_login() -> None:
    for box, port in serve(authenticator=authenticate, auth_require_tls=False):
        with pytest.raises(DeliveryError, match="STARTTLS"):
            channel(port, "starttls").deliver(message())
        assert box.messages == []
        channel(port, "none").deliver(message())  # what "none" (a relay on the same LAN) means
        assert box.messages == [{"tls": False, "login": USER, "to": ["bupati@example.go.id"]}]
