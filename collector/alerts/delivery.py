"""Delivery channels: e-mail over SMTP (smtplib) and a JSON webhook (urllib), and the alert's text.

A channel's ``send`` raises DeliveryError on any failure; the service retries it with backoff. The
webhook payload is versioned (``schema``) and documented in docs/*/alerts.md.
"""

from __future__ import annotations

import json
import smtplib
import ssl
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any, Literal, Protocol
from zoneinfo import ZoneInfo

from pydantic import SecretStr

from collector.alerts.history import Alert
from collector.alerts.rules import AlertKind
from collector.config import AlertSettings

PAYLOAD_SCHEMA = "mpp-counter.alert/v1"
TIMEOUT_S = 15.0


class DeliveryError(Exception):
    """One attempt failed; the message names the channel's endpoint, never a secret."""


@dataclass(frozen=True, slots=True)
class SiteLabel:
    name: str
    timezone: str


def _minutes(seconds: object) -> str:
    return f"{round(float(str(seconds)) / 60)}"


def texts(alert: Alert, site: SiteLabel) -> tuple[str, str]:
    """(Bahasa Indonesia, English) one-line descriptions."""
    d = alert.detail
    tz = ZoneInfo(site.timezone)
    local = alert.opened_at.astimezone(tz).strftime("%d-%m-%Y %H:%M")
    if alert.kind is AlertKind.DEVICE_SILENT:
        last = str(d.get("last_seen", ""))
        seen = datetime.fromisoformat(last).astimezone(tz).strftime("%d-%m-%Y %H:%M") if last else local
        return (
            f"{site.name}: perangkat {alert.subject_name} tidak mengirim data selama "
            f"{_minutes(d.get('silent_open_s', 0))} menit jam layanan (terakhir terlihat {seen}).",
            f"{site.name}: device {alert.subject_name} has sent nothing for "
            f"{_minutes(d.get('silent_open_s', 0))} minutes of opening time (last seen {seen}).",
        )
    if alert.kind is AlertKind.GERAI_UNSTAFFED:
        return (
            f"{site.name}: gerai {alert.subject_name} tanpa petugas selama "
            f"{_minutes(d.get('unstaffed_open_s', 0))} menit jam layanan ({local}).",
            f"{site.name}: gerai {alert.subject_name} has had no staff for "
            f"{_minutes(d.get('unstaffed_open_s', 0))} minutes of opening time ({local}).",
        )
    share = f"{float(str(d.get('coverage', 0))) * 100:.0f}%"
    window = _minutes(d.get("window_s", 0))
    return (
        f"{site.name}: kamera pintu masuk hanya merekam {share} dari {window} menit jam layanan terakhir ({local}).",
        f"{site.name}: the entrance cameras observed only {share} of the last {window} minutes "
        f"of opening time ({local}).",
    )


def payload(alert: Alert, site: SiteLabel) -> dict[str, Any]:
    text_id, text_en = texts(alert, site)
    return {
        "schema": PAYLOAD_SCHEMA,
        "id": alert.id,
        "event": "opened",
        "site": alert.site,
        "site_name": site.name,
        "kind": alert.kind.value,
        "subject": alert.subject,
        "subject_name": alert.subject_name,
        "opened_at": alert.opened_at.isoformat(),
        "text_id": text_id,
        "text_en": text_en,
        "detail": alert.detail,
    }


class Channel(Protocol):
    @property
    def name(self) -> str: ...

    def send(self, alert: Alert, site: SiteLabel) -> None: ...


@dataclass(frozen=True, slots=True)
class EmailChannel:
    host: str
    port: int
    security: Literal["starttls", "ssl", "none"]
    sender: str
    recipients: Sequence[str]
    username: str | None = None
    password: SecretStr | None = None
    name: str = "email"

    def send(self, alert: Alert, site: SiteLabel) -> None:
        text_id, text_en = texts(alert, site)
        message = EmailMessage()
        message["Subject"] = f"[MPP] {text_id[:150]}"
        message["From"] = self.sender
        message["To"] = ", ".join(self.recipients)
        message["Date"] = formatdate(localtime=False)
        # Stable per alert: a mail client or relay that sees a retried message twice can drop the copy.
        message["Message-ID"] = make_msgid(idstring=f"alert-{alert.id}", domain="mpp-counter")
        message.set_content(f"{text_id}\n\n{text_en}\n\n{json.dumps(payload(alert, site), indent=2)}\n")
        self.deliver(message)

    def deliver(self, message: EmailMessage) -> None:
        """Send one message (an alert, or the monthly report with its attachment)."""
        try:
            if self.security == "ssl":
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                    self.host, self.port, timeout=TIMEOUT_S, context=ssl.create_default_context()
                )
            else:
                smtp = smtplib.SMTP(self.host, self.port, timeout=TIMEOUT_S)
            with smtp:
                if self.security == "starttls":
                    smtp.starttls(context=ssl.create_default_context())
                if self.username and self.password is not None:
                    smtp.login(self.username, self.password.get_secret_value())
                smtp.send_message(message)
        except (OSError, smtplib.SMTPException) as exc:
            # SMTP errors never echo the password; the class and text say what went wrong.
            raise DeliveryError(f"SMTP {self.host}:{self.port}: {type(exc).__name__}: {exc}") from None


@dataclass(frozen=True, slots=True)
class WebhookChannel:
    url: str
    secret: SecretStr | None = None
    name: str = "webhook"

    def send(self, alert: Alert, site: SiteLabel) -> None:
        headers = {"Content-Type": "application/json", "User-Agent": "mpp-counter-alerts/1"}
        if self.secret is not None:
            headers["Authorization"] = f"Bearer {self.secret.get_secret_value()}"
        body = json.dumps(payload(alert, site)).encode()
        request = urllib.request.Request(self.url, body, headers, method="POST")  # noqa: S310 - http(s) checked in config
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:  # noqa: S310
                response.read(1024)
        except urllib.error.HTTPError as exc:
            raise DeliveryError(f"webhook {_origin(self.url)}: HTTP {exc.code}") from None
        except (OSError, ValueError) as exc:
            raise DeliveryError(f"webhook {_origin(self.url)}: {type(exc).__name__}: {exc}") from None


def _origin(url: str) -> str:
    """scheme://host:port only: a gateway URL may carry a key in its path or query."""
    parts = urllib.parse.urlsplit(url)
    return f"{parts.scheme}://{parts.hostname}" + (f":{parts.port}" if parts.port else "")


def configured_channels(settings: AlertSettings) -> list[Channel]:
    """The channels the collector's settings name, e-mail first."""
    out: list[Channel] = []
    if settings.smtp is not None:
        smtp = settings.smtp
        out.append(EmailChannel(smtp.host, smtp.effective_port, smtp.security, smtp.sender, settings.email_to,
                                smtp.username, smtp.password))  # fmt: skip
    if settings.webhook is not None:
        out.append(WebhookChannel(settings.webhook.url, settings.webhook.secret))
    return out


def report_channel(settings: AlertSettings) -> EmailChannel | None:
    """E-mail to the monthly report's recipients, when there are any."""
    if settings.smtp is None or not settings.monthly_report_to:
        return None
    smtp = settings.smtp
    return EmailChannel(smtp.host, smtp.effective_port, smtp.security, smtp.sender, settings.monthly_report_to,
                        smtp.username, smtp.password, name="monthly-report")  # fmt: skip
