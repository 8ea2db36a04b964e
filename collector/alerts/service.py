"""AlertService: the collector's alert loop (its own thread, so a slow mail server never holds up ingest).

Every ``interval_s`` it evaluates each site's rules against the store, records opened and resolved
episodes in the admin db, and sends what is due: one message per channel per episode, retried with
exponential backoff; failures are logged as rate-limited WARNINGs.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from collector.alerts.delivery import Channel, DeliveryError, EmailChannel, SiteLabel
from collector.alerts.evaluate import (
    RETIRED_AFTER,
    Finding,
    entrance_coverage,
    plan,
    silent_devices,
    unstaffed_gerai,
)
from collector.alerts.history import AlertDb
from collector.alerts.report_mail import ReportMailer
from collector.alerts.rules import AlertKind, AlertRules
from collector.report.coverage import Use
from collector.report.periods import TimeRange
from collector.report.schedule import open_windows
from collector.report.site_coverage import site_coverage
from collector.report.sites import SiteInfo, Sites
from collector.storage.base import DeviceRecord, Store

log = logging.getLogger(__name__)

RETRY_MIN_S = 30.0
RETRY_MAX_S = 3600.0
MAX_ATTEMPTS = 30  # about a day at the longest backoff; then the delivery is marked failed
WARN_EVERY_S = 300.0
# Records reach the collector after their interval closes: the newest minutes would read as unobserved.
COVERAGE_LAG = timedelta(minutes=2)
LOOKBACK_MAX = timedelta(days=8)  # the longest threshold (7 days) plus slack
TIMEOUT_JOIN_S = 30.0
OPEN_AHEAD = timedelta(minutes=1)  # opening windows reach past now, so "open now" is a window around now


class _Warnings:
    """First occurrence per key at WARNING, then at most one line per WARN_EVERY_S with a count."""

    def __init__(self) -> None:
        self._last: dict[str, float] = {}
        self._suppressed: dict[str, int] = {}

    def warn(self, key: str, message: str, *args: object) -> None:
        now = time.monotonic()
        if now - self._last.get(key, float("-inf")) < WARN_EVERY_S:
            self._suppressed[key] = self._suppressed.get(key, 0) + 1
            return
        suppressed = self._suppressed.pop(key, 0)
        suffix = f" ({suppressed} similar message(s) suppressed)" if suppressed else ""
        log.warning(message + suffix, *args)
        self._last[key] = now


def backoff_s(attempts: int) -> float:
    """Wait before the next try after ``attempts`` failed ones: 30 s, 60 s, 120 s ... at most an hour."""
    return float(min(RETRY_MAX_S, RETRY_MIN_S * 2 ** max(attempts - 1, 0)))


class AlertService:
    def __init__(
        self,
        store: Store,
        sites: Sites,
        db: AlertDb,
        channels: Sequence[Channel],
        clock: Callable[[], datetime],
        interval_s: float = 60.0,
        *,
        report_email: EmailChannel | None = None,
        on_stop: Sequence[Callable[[], None]] = (),
    ) -> None:
        self._on_stop = on_stop
        self._store = store
        self._sites = sites
        self._db = db
        self._channels = {c.name: c for c in channels}
        self._clock = clock
        self._interval_s = interval_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._warnings = _Warnings()
        self._labels: dict[str, SiteLabel] = {}
        self._reports = (
            ReportMailer(store, sites, db, report_email, self._warnings.warn) if report_email is not None else None
        )

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="alerts", daemon=True)
        self._thread.start()
        log.info("alerts every %.0f s; channels: %s", self._interval_s, ", ".join(self._channels) or "none")

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=TIMEOUT_JOIN_S)
        for close in self._on_stop:  # the connections it owns, once its thread is done with them
            close()

    def _run(self) -> None:
        while True:
            try:
                self.tick()
            except Exception as exc:  # noqa: BLE001 - the loop boundary: log, and try again next round
                self._warnings.warn("tick", "alert evaluation failed: %s: %s", type(exc).__name__, exc)
            if self._stop.wait(self._interval_s):
                return

    def tick(self) -> None:
        """Evaluate every site, then send what is due."""
        now = self._clock()
        devices = self._store.devices()
        for info in self._sites.sites():
            self._labels[info.site] = SiteLabel(info.name, info.timezone)
            try:
                self._update(info, [d for d in devices if d.site == info.site], now)
            except Exception as exc:  # noqa: BLE001 - one site's failure must not silence the others
                self._warnings.warn(f"site:{info.site}", "alert evaluation of %s failed: %s: %s", info.site,
                                    type(exc).__name__, exc)  # fmt: skip
        self.deliver_due(now)
        if self._reports is not None:
            self._reports.tick(now)

    def _update(self, info: SiteInfo, devices: Sequence[DeviceRecord], now: datetime) -> None:
        steps = plan(self._db.open_keys(info.site), self.evaluate(info, devices, now))
        if steps.opened or steps.resolved:
            for alert in self._db.apply(info.site, steps.opened, steps.resolved, list(self._channels), now):
                log.info("alert %d opened: %s %s %s", alert.id, alert.site, alert.kind.value, alert.subject)
            for kind, subject in steps.resolved:
                log.info("alert resolved: %s %s %s", info.site, kind, subject)

    def evaluate(self, info: SiteInfo, devices: Sequence[DeviceRecord], now: datetime) -> list[Finding]:
        rules = self._db.rules(info.site)
        schedule = self._sites.schedule(info.site)
        span = TimeRange(now - RETIRED_AFTER, now + OPEN_AHEAD)
        windows = open_windows(schedule.days, schedule.holidays, span, info.tz)
        silent = silent_devices(devices, windows, now, rules)
        findings = [*silent, *self._unstaffed(info, windows, now, rules)]
        if rules.entrance_coverage_below is not None:
            end = now - COVERAGE_LAG
            span = TimeRange(end - timedelta(seconds=rules.coverage_window_s), end)
            cover = site_coverage(self._store, info.site, span, info.timezone, "day", schedule.days,
                                  schedule.holidays, ())  # fmt: skip
            entrance = [d for d in cover.devices if any(w.use is Use.ENTRANCE for w in d.uses)]
            silenced = {f.subject for f in silent if f.active}
            if entrance and all(d.device in silenced for d in entrance):
                # Every entrance camera already has its own silent-device alert: one message is enough.
                findings.append(Finding(AlertKind.ENTRANCE_COVERAGE, "entrance", "entrance", None))
            else:
                expected = sum(d.total.expected_s for d in entrance)
                observed = sum(d.total.observed_s for d in entrance)
                findings += entrance_coverage(expected, observed, rules)
        return findings

    def _unstaffed(
        self, info: SiteInfo, windows: Sequence[TimeRange], now: datetime, rules: AlertRules
    ) -> list[Finding]:
        threshold = rules.unstaffed_after_s
        if threshold is None:
            return []
        gerai = self._sites.gerai(info.site)
        if not gerai:
            return []
        # Read back far enough to hold the threshold's worth of opening time (and a little more).
        need_s = threshold + 300
        start = now - timedelta(seconds=need_s)
        held_s = 0.0
        for w in reversed(windows):
            held_s += max(0.0, (min(w.end, now) - w.start).total_seconds())
            if held_s >= need_s:
                start = min(start, w.start + timedelta(seconds=held_s - need_s))
                break
        intervals = self._store.zone_intervals(info.site, max(start, now - LOOKBACK_MAX), now)
        return unstaffed_gerai(gerai, intervals, windows, now, rules)

    def deliver_due(self, now: datetime) -> None:
        for item in self._db.due(now):
            alert = item.alert
            channel = self._channels.get(item.channel)
            label = self._labels.get(alert.site, SiteLabel(alert.site, "Asia/Jakarta"))
            if channel is None:
                self._db.retry_at(alert.id, item.channel, now, "channel no longer configured", give_up=True)
                continue
            try:
                channel.send(alert, label)
            except DeliveryError as exc:
                attempts = item.attempts + 1
                give_up = attempts >= MAX_ATTEMPTS
                self._db.retry_at(alert.id, item.channel, now + timedelta(seconds=backoff_s(attempts)), str(exc),
                                  give_up=give_up)  # fmt: skip
                if give_up:
                    log.error("alert %d: %s delivery abandoned after %d attempts: %s", alert.id, item.channel,
                              attempts, exc)  # fmt: skip
                else:
                    self._warnings.warn(item.channel, "alert %d: %s delivery failed (attempt %d, retry in %.0f s): %s",
                                        alert.id, item.channel, attempts, backoff_s(attempts), exc)  # fmt: skip
                continue
            self._db.delivered(alert.id, item.channel, now)
            log.info("alert %d sent by %s", alert.id, item.channel)
