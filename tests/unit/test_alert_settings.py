"""Alert settings from the settings table: SMTP and webhook, secrets from files, clear one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from collector.alerts.delivery import EmailChannel, WebhookChannel, configured_channels
from collector.config import ConfigError, from_args

SMTP = {"MPP_SMTP_HOST": "smtp.example.go.id", "MPP_ALERT_EMAIL_TO": "a@example.go.id, b@example.go.id"}


def test_no_alert_channels_by_default() -> None:
    settings = from_args([], {})
    assert settings.alerts.interval_s == 60 and configured_channels(settings.alerts) == []


def test_smtp_and_webhook_from_variables_with_secrets_from_files(tmp_path: Path) -> None:
    (tmp_path / "smtp").write_text("s3cret-mail\n")
    (tmp_path / "hook").write_text("s3cret-hook\n")
    settings = from_args(["--smtp-security", "ssl"], {
        **SMTP, "MPP_SMTP_USER": "mpp", "MPP_SMTP_PASSWORD_FILE": str(tmp_path / "smtp"),
        "MPP_ALERT_WEBHOOK_URL": "https://gw.example.go.id/hook",
        "MPP_ALERT_WEBHOOK_SECRET_FILE": str(tmp_path / "hook"),
        "MPP_ALERT_INTERVAL_S": "30",
    })  # fmt: skip
    email, hook = configured_channels(settings.alerts)
    assert isinstance(email, EmailChannel) and isinstance(hook, WebhookChannel)
    assert (email.host, email.port, email.security, email.username) == ("smtp.example.go.id", 465, "ssl", "mpp")
    assert email.recipients == ("a@example.go.id", "b@example.go.id")
    assert email.password is not None and email.password.get_secret_value() == "s3cret-mail"
    assert hook.secret is not None and hook.secret.get_secret_value() == "s3cret-hook"
    assert settings.alerts.interval_s == 30
    assert "s3cret" not in repr(settings) and "s3cret" not in str(settings.alerts)
    starttls = from_args([], SMTP).alerts.smtp
    assert starttls is not None and starttls.effective_port == 587


@pytest.mark.parametrize(
    ("argv", "environ", "names"),
    [
        ([], {"MPP_SMTP_HOST": "smtp.example.go.id"}, "MPP_ALERT_EMAIL_TO or --monthly-report-to"),
        ([], {"MPP_MONTHLY_REPORT_TO": "a@example.go.id"}, "MPP_SMTP_HOST"),
        ([], {"MPP_ALERT_EMAIL_TO": "a@example.go.id"}, "MPP_SMTP_HOST"),
        ([], {**SMTP, "MPP_SMTP_PASSWORD": "x"}, "MPP_SMTP_USER"),
        ([], {"MPP_ALERT_WEBHOOK_SECRET": "x"}, "MPP_ALERT_WEBHOOK_URL"),
        (["--smtp-security", "tls"], SMTP, "--smtp-security/MPP_SMTP_SECURITY"),
        ([], {**SMTP, "MPP_ALERT_EMAIL_TO": "not an address"}, "--alert-email-to/MPP_ALERT_EMAIL_TO"),
        ([], {"MPP_ALERT_WEBHOOK_URL": "ftp://gw/hook"}, "--alert-webhook-url/MPP_ALERT_WEBHOOK_URL"),
        ([], {"MPP_ALERT_INTERVAL_S": "0"}, "--alert-interval-s/MPP_ALERT_INTERVAL_S"),
    ],
)
def test_bad_alert_settings_name_what_to_fix(argv: list[str], environ: dict[str, str], names: str) -> None:
    with pytest.raises(ConfigError, match=names):
        from_args(argv, environ)


def test_the_smtp_password_never_appears_in_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as raised:
        from_args([], {"MPP_SMTP_PASSWORD": "hunter2-very-secret", "MPP_SMTP_HOST": "h", "MPP_ALERT_EMAIL_TO": "a@b"})
    assert "hunter2" not in str(raised.value)
