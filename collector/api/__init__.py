"""HTTP API (FastAPI) and dashboard hosting: the collector's only FastAPI adapter package."""

from collector.api.app import create_app

__all__ = ["create_app"]
