"""Signed report links (pure): what the signature covers, expiry on the injected clock, refusals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlsplit

import pytest

from collector.report.report_links import LINK_PATH, LinkRefused, ReportLink, ReportLinks, link_query, verify

SECRET = b"k" * 16 + b"0123456789abcdef"
NOW = datetime(2025, 6, 2, 9, 0, tzinfo=UTC)
LINK = ReportLink("mpp-jakarta", "2025-05", NOW + timedelta(days=7))


def test_a_link_verifies_until_it_expires() -> None:
    query = link_query(SECRET, LINK)
    assert verify(SECRET, query, NOW) == LINK
    assert verify(SECRET, query, LINK.expires_at - timedelta(seconds=1)) == LINK
    with pytest.raises(LinkRefused) as refused:
        verify(SECRET, query, LINK.expires_at)
    assert refused.value.reason == "expired"


@pytest.mark.parametrize(
    ("field", "value"),
    [("site", "mpp-bandung"), ("month", "2025-04"), ("exp", str(int(NOW.timestamp()) + 10**7)), ("scope", "mpp-a")],
)
def test_changing_what_the_link_shows_breaks_its_signature(field: str, value: str) -> None:
    query = {**link_query(SECRET, LINK), field: value}
    with pytest.raises(LinkRefused) as refused:
        verify(SECRET, query, NOW)
    assert refused.value.reason == "tampered"


def test_a_scoped_link_keeps_its_scope_and_cannot_drop_it() -> None:
    scoped = ReportLink("mpp-jakarta", "2025-05", LINK.expires_at, ("mpp-jakarta",))
    query = link_query(SECRET, scoped)
    assert verify(SECRET, query, NOW).scope == ("mpp-jakarta",)
    unscoped = {k: v for k, v in query.items() if k != "scope"}
    with pytest.raises(LinkRefused, match="signature"):
        verify(SECRET, unscoped, NOW)


def test_another_secret_or_a_missing_part_is_refused() -> None:
    query = link_query(SECRET, LINK)
    with pytest.raises(LinkRefused) as refused:
        verify(b"x" * 32, query, NOW)
    assert refused.value.reason == "tampered"
    for missing in ("site", "month", "exp", "sig"):
        with pytest.raises(LinkRefused) as refused:
            verify(SECRET, {k: v for k, v in query.items() if k != missing}, NOW)
        assert refused.value.reason == "malformed"
    with pytest.raises(LinkRefused, match="incomplete"):
        verify(SECRET, {**query, "exp": "-5"}, NOW)


def test_issued_links_expire_after_their_days_in_whole_seconds() -> None:
    clock = [NOW.replace(microsecond=250_000)]
    links = ReportLinks(SECRET, lambda: clock[0])
    issued = links.issue("mpp-jakarta", "2025-05", 30, None)
    assert issued.expires_at == NOW + timedelta(days=30)
    parts = urlsplit(issued.path)
    assert parts.path == LINK_PATH
    query = dict(parse_qsl(parts.query))
    assert set(query) == {"site", "month", "exp", "sig"} and len(query["sig"]) == 64
    assert links.open(query).month == "2025-05"
    clock[0] = NOW + timedelta(days=30)
    with pytest.raises(LinkRefused, match="expired"):
        links.open(query)


def test_a_short_secret_is_refused() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        ReportLinks(b"short", lambda: NOW)
