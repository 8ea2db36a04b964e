"""``mpp-collector``: MQTT -> validation -> SQLite or InfluxDB -> HTTP API."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Sequence

from collector.config import ConfigError, from_args
from collector.liveness import LivenessError
from collector.storage.base import StoreError


def main(argv: Sequence[str] | None = None) -> int:
    try:
        settings = from_args(sys.argv[1:] if argv is None else argv, os.environ)
    except ConfigError as exc:
        print(f"mpp-collector: {exc}", file=sys.stderr)
        return 2
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )
    from collector.app import CollectorApp

    try:
        return CollectorApp(settings).run()
    except (StoreError, LivenessError) as exc:
        print(f"mpp-collector: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
