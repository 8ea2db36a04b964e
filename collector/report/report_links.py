"""Signed, expiring links to a site's monthly report: anyone holding the link reads that one report
until it expires, with no token (a Bupati opening it from a message).

The signature is an HMAC-SHA256, under the collector's link secret, over everything that decides
what the link shows: the site, the month, the sites its comparison may list and the expiry. The
rendering (HTML or PDF, id or en) is left free: it shows the same report.
"""

from __future__ import annotations

import hashlib
import hmac
import html
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal
from urllib.parse import urlencode

LINK_PATH = "/reports/monthly"
MIN_SECRET_BYTES = 32
Refusal = Literal["malformed", "tampered", "expired"]


class LinkRefused(Exception):
    """A link that does not open: ``reason`` says which of malformed, tampered or expired."""

    def __init__(self, reason: Refusal, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class ReportLink:
    site: str
    month: str  # YYYY-MM
    expires_at: datetime  # whole seconds, UTC
    scope: tuple[str, ...] | None = None  # sites the comparison may list; None: every site


def _message(link: ReportLink) -> bytes:
    scope = "*" if link.scope is None else ",".join(link.scope)
    return f"monthly-report\n{link.site}\n{link.month}\n{scope}\n{int(link.expires_at.timestamp())}".encode()


def signature(secret: bytes, link: ReportLink) -> str:
    if len(secret) < MIN_SECRET_BYTES:
        raise ValueError(f"the link secret needs at least {MIN_SECRET_BYTES} bytes")
    return hmac.new(secret, _message(link), hashlib.sha256).hexdigest()


def link_query(secret: bytes, link: ReportLink) -> dict[str, str]:
    """The query string parameters of the link (the signature included)."""
    query = {"site": link.site, "month": link.month, "exp": str(int(link.expires_at.timestamp()))}
    if link.scope is not None:
        query["scope"] = ",".join(link.scope)
    return {**query, "sig": signature(secret, link)}


def verify(secret: bytes, query: Mapping[str, str | None], now: datetime) -> ReportLink:
    """The link the query names, if its signature holds and it has not expired; else LinkRefused."""
    site, month, exp, sig = (query.get(k) for k in ("site", "month", "exp", "sig"))
    if not site or not month or not exp or not sig or not exp.isdigit() or len(exp) > 12:
        raise LinkRefused("malformed", "the link is incomplete: site, month, exp and sig are all needed")
    scope = query.get("scope")
    link = ReportLink(site, month, datetime.fromtimestamp(int(exp), UTC),
                      tuple(scope.split(",")) if scope is not None else None)  # fmt: skip
    if not hmac.compare_digest(signature(secret, link), sig):
        raise LinkRefused("tampered", "the link's signature does not match: it was changed or not made here")
    if now >= link.expires_at:
        raise LinkRefused("expired", f"the link expired at {link.expires_at.isoformat()}")
    return link


@dataclass(frozen=True, slots=True)
class IssuedLink:
    path: str  # from the collector's root, query included
    month: str
    expires_at: datetime


class ReportLinks:
    """Issues and checks report links under one secret, on the injected clock."""

    def __init__(self, secret: bytes, clock: Callable[[], datetime]) -> None:
        if len(secret) < MIN_SECRET_BYTES:
            raise ValueError(f"the link secret needs at least {MIN_SECRET_BYTES} bytes")
        self._secret = secret
        self._clock = clock

    def issue(self, site: str, month: str, valid_days: int, scope: Collection[str] | None) -> IssuedLink:
        expires = (self._clock() + timedelta(days=valid_days)).astimezone(UTC).replace(microsecond=0)
        link = ReportLink(site, month, expires, tuple(sorted(scope)) if scope is not None else None)
        return IssuedLink(f"{LINK_PATH}?{urlencode(link_query(self._secret, link))}", month, expires)

    def open(self, query: Mapping[str, str | None]) -> ReportLink:
        return verify(self._secret, query, self._clock())


_REFUSALS: dict[Refusal, tuple[str, str]] = {
    "malformed": ("Tautan laporan ini tidak lengkap.", "This report link is incomplete."),
    "tampered": ("Tautan laporan ini tidak sah: isinya diubah atau tidak dibuat oleh kolektor ini.",
                 "This report link is not valid: it was changed or not made by this collector."),
    "expired": ("Tautan laporan ini sudah kedaluwarsa.", "This report link has expired."),
}  # fmt: skip


def refusal_page(refused: LinkRefused) -> str:
    """The 403 page of a link that does not open, in Bahasa Indonesia and English (its reader's
    language is unknown); it says what to do next."""
    id_text, en_text = _REFUSALS[refused.reason]
    detail = html.escape(str(refused))
    return (
        '<!doctype html><html lang="id"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1"><title>403</title></head>'
        '<body style="font-family: system-ui, sans-serif; max-width: 40em; margin: 3em auto; padding: 0 1em">'
        f'<h1 id="refused" data-reason="{refused.reason}">{id_text}</h1>'
        "<p>Mintalah tautan baru kepada pengelola MPP.</p>"
        f'<h2 lang="en">{en_text}</h2><p lang="en">Ask the MPP\'s manager for a new link.</p>'
        f'<p><small lang="en">{detail}</small></p></body></html>'
    )
