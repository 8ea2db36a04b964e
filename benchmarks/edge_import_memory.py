"""Where the edge's resident memory goes: RSS after each heavy import, then after the tracker
has loaded the model and run its warm-up frame, in one process, as JSON lines.

    .venv/bin/python benchmarks/edge_import_memory.py MODEL

Each line splits the growth into anonymous pages (heap, tensors, relocated library data:
``RssAnon``) and file-backed ones (library code and read-only data: ``RssFile``).
"""

from __future__ import annotations

import importlib
import json
import sys

STEPS = ("edge.app", "cv2", "torch", "openvino", "ultralytics", "ultralytics.models.yolo.model", "ultralytics.trackers")


def _rss_mb() -> dict[str, float]:
    fields = {}
    with open("/proc/self/status") as f:
        for line in f:
            name, _, value = line.partition(":")
            if name in ("VmRSS", "RssAnon", "RssFile"):
                fields[name] = round(int(value.split()[0]) / 1024, 1)
    return fields


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    previous = _rss_mb()
    print(json.dumps({"step": "python", **previous}))

    def report(step: str) -> None:
        nonlocal previous
        now = _rss_mb()
        growth = {f"+{k}": round(now[k] - previous[k], 1) for k in now}
        print(json.dumps({"step": step, **now, **growth}), flush=True)
        previous = now

    for name in STEPS:
        importlib.import_module(name)
        report(name)
    from edge.vision.tracker import UltralyticsTracker

    UltralyticsTracker(argv[0])
    report("tracker: model loaded, warm-up frame")
    print(json.dumps({"torchvision_loaded": "torchvision" in sys.modules, "sympy_loaded": "sympy" in sys.modules}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
