"""Alerts: per-site rules, their pure evaluation, episode history in the admin db, delivery by e-mail and
webhook, and the loop in the collector that ties them together (``service``)."""
