"""Query parameters that several routers take."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from collector.report.occupancy import Resolution

ResolutionQuery = Annotated[Resolution, Query(description="bucket length, in site-local wall time")]
