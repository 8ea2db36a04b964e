"""Per-site alert rules (edited by an admin through the API) and the kinds of alert they raise."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field


class AlertKind(StrEnum):
    DEVICE_SILENT = "device_silent"  # no message from a device for long enough during opening hours
    GERAI_UNSTAFFED = "gerai_unstaffed"  # an observed gerai without staff for long enough during opening hours
    ENTRANCE_COVERAGE = "entrance_coverage"  # the entrance cameras observed too little of the recent opening time


Seconds = Annotated[float, Field(gt=0, le=7 * 86400)]


class AlertRules(BaseModel):
    """A site's thresholds; null switches a rule off. The defaults apply to a site without its own rules."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    device_silent_after_s: Seconds | None = Field(
        default=900.0, description="alert when a device sends nothing for this much opening time (default 15 min)"
    )
    unstaffed_after_s: Seconds | None = Field(
        default=3600.0,
        description="alert when an observed gerai has no staff for this much opening time (default 1 h); "
        "an unobserved gerai is a coverage matter, never unstaffed",
    )
    entrance_coverage_below: Annotated[float, Field(gt=0, le=1)] | None = Field(
        default=0.8, description="alert when the entrance cameras observed less than this share of the window"
    )
    coverage_window_s: Annotated[float, Field(ge=300, le=86400)] = Field(
        default=3600.0, description="the recent opening time the entrance coverage is measured over (default 1 h)"
    )


DEFAULT_RULES = AlertRules()
