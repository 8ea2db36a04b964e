"""Collector: MQTT -> validation -> time-series store -> HTTP API and dashboard."""

__version__ = "0.1.0"
