"""The monthly report by e-mail: on the 1st of each month, last month's PDF for every site.

Due from ``SEND_FROM`` local time on the 1st until the end of ``SEND_WITHIN_DAYS`` (a collector that was
down on the 1st still sends it; a collector installed mid-month sends nothing until the next 1st).
Each (site, month) is sent once: the admin db records it, so a restart sends no second copy.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from collector.alerts.delivery import EmailChannel
from collector.alerts.history import AlertDb
from collector.report.monthly_pdf import render_pdf
from collector.report.monthly_query import gather_monthly_report, months_back
from collector.report.periods import month_start
from collector.report.sites import SiteInfo, Sites
from collector.storage.base import Store

log = logging.getLogger(__name__)

SEND_FROM = time(7)  # local time on the 1st: the night's last records are in
SEND_WITHIN_DAYS = 7


@dataclass(frozen=True, slots=True)
class DueReport:
    site: SiteInfo
    month: datetime  # local start of the month the report covers


def due_reports(sites: Sequence[SiteInfo], now: datetime) -> list[DueReport]:
    """Reports due at ``now`` (pure): last month's, for each site whose local time is past the 1st, SEND_FROM,
    and within SEND_WITHIN_DAYS of it."""
    out = []
    for info in sites:
        local = now.astimezone(info.tz)
        this_month = month_start(local, info.tz)
        send_from = datetime.combine(this_month.date(), SEND_FROM, info.tz)
        if send_from <= local < this_month + timedelta(days=SEND_WITHIN_DAYS):
            out.append(DueReport(info, months_back(this_month, 1)))
    return out


class ReportMailer:
    def __init__(self, store: Store, sites: Sites, db: AlertDb, email: EmailChannel, warn: Callable[..., None]) -> None:
        self._store = store
        self._sites = sites
        self._db = db
        self._email = email  # its recipients are the report's
        self._warn = warn

    def tick(self, now: datetime) -> None:
        for due in due_reports(self._sites.sites(), now):
            month = f"{due.month:%Y-%m}"
            if not self._db.report_due(due.site.site, month, now):
                continue
            try:
                self._email.deliver(self._message(due, now))
            except Exception as exc:  # noqa: BLE001 - store, rendering or SMTP: retried later with backoff
                retry_s = self._db.report_failed(due.site.site, month, now, f"{type(exc).__name__}: {exc}")
                self._warn("monthly-report", "monthly report %s %s not sent (retry in %.0f s): %s",
                           due.site.site, month, retry_s, exc)  # fmt: skip
                continue
            self._db.report_sent(due.site.site, month, now)
            log.info("monthly report %s %s sent to %d recipient(s)", due.site.site, month, len(self._email.recipients))

    def _message(self, due: DueReport, now: datetime) -> EmailMessage:
        report = gather_monthly_report(self._store, self._sites, due.site, f"{due.month:%Y-%m}", now, lambda _: True)
        message = EmailMessage()
        message["Subject"] = f"[MPP] Laporan bulanan {due.site.name} {due.month:%m-%Y}"
        message["From"] = self._email.sender
        message["To"] = ", ".join(self._email.recipients)
        message["Date"] = formatdate(localtime=False)
        message["Message-ID"] = make_msgid(idstring=f"report-{due.site.site}-{due.month:%Y-%m}", domain="mpp-counter")
        message.set_content(
            f"Laporan bulanan {due.site.name} untuk {due.month:%m-%Y} terlampir (PDF).\n\n"
            f"The monthly report of {due.site.name} for {due.month:%Y-%m} is attached (PDF).\n"
        )
        message.add_attachment(render_pdf(report, "id"), maintype="application", subtype="pdf",
                               filename=f"laporan-{due.site.site}-{due.month:%Y-%m}.pdf")  # fmt: skip
        return message
