"""Alerts: a site's alert history (newest first) and its alert rules (read by viewers, set by admins)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, status
from pydantic import BaseModel, ConfigDict, Field

from collector.alerts.delivery import SiteLabel, texts
from collector.alerts.history import AlertDb
from collector.alerts.rules import AlertKind, AlertRules
from collector.api.deps import AdminRole, Site

router = APIRouter(tags=["alerts"])


def _alert_db(request: Request) -> AlertDb:
    db: AlertDb = request.app.state.alerts
    return db


Alerts = Annotated[AlertDb, Depends(_alert_db)]

DeliveryState = Literal["delivered", "failed", "pending"]


class AlertOut(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: int
    kind: AlertKind
    subject: str = Field(description="the device, the gerai, or 'entrance'")
    subject_name: str
    opened_at: datetime
    resolved_at: datetime | None = Field(description="null: still open")
    text_id: str = Field(description="one line in Bahasa Indonesia")
    text_en: str = Field(description="the same line in English")
    detail: dict[str, float | str]
    deliveries: dict[str, DeliveryState] = Field(description="per channel (email, webhook)")


class AlertRulesOut(BaseModel):
    site: str
    source: Literal["config", "default"]
    rules: AlertRules


@router.get("/sites/{site}/alerts", response_model=list[AlertOut])
def list_alerts(alerts: Alerts, site: Site, limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> list[AlertOut]:
    """Alert episodes of the site, newest first: each opened once and resolved when its condition cleared."""
    label = SiteLabel(site.name, site.timezone)
    out = []
    for a in alerts.history(site.site, limit):
        text_id, text_en = texts(a, label)
        out.append(
            AlertOut(
                id=a.id, kind=a.kind, subject=a.subject, subject_name=a.subject_name, opened_at=a.opened_at,
                resolved_at=a.resolved_at, text_id=text_id, text_en=text_en, detail=a.detail,
                deliveries=alerts.delivery_states(a.id),
            )
        )  # fmt: skip
    return out


def _rules_out(alerts: AlertDb, site: str) -> AlertRulesOut:
    return AlertRulesOut(site=site, source="config" if alerts.has_rules(site) else "default", rules=alerts.rules(site))


@router.get("/sites/{site}/alert-rules", response_model=AlertRulesOut)
def get_alert_rules(alerts: Alerts, site: Site) -> AlertRulesOut:
    """The site's alert thresholds (the defaults until an admin sets them); null: the rule is off."""
    return _rules_out(alerts, site.site)


@router.put("/sites/{site}/alert-rules", response_model=AlertRulesOut)
def put_alert_rules(alerts: Alerts, _: AdminRole, site: Site, rules: AlertRules) -> AlertRulesOut:
    """Set the site's thresholds; a field left out takes its default, null switches the rule off."""
    alerts.put_rules(site.site, rules)
    return _rules_out(alerts, site.site)


@router.delete("/sites/{site}/alert-rules", status_code=status.HTTP_204_NO_CONTENT)
def delete_alert_rules(alerts: Alerts, _: AdminRole, site: Site) -> None:
    """Back to the default rules."""
    alerts.delete_rules(site.site)
