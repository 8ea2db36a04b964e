"""Person detection and tracking; the only package that imports ultralytics."""

from edge.vision.tracker import ModelError, PersonTracker, UltralyticsTracker

__all__ = ["ModelError", "PersonTracker", "UltralyticsTracker"]
