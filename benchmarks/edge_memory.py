"""Resident memory of the edge during a replay: after the imports, after the model is loaded
and at its peak, with the counts, as one JSON object.

    .venv/bin/python benchmarks/edge_memory.py [--sample-s S] [--import-torchvision] \
        CLIP --model MODEL [mpp-edge replay flags]

Takes the same arguments as ``mpp-edge replay`` and runs the same code in this process.
``--import-torchvision`` imports torchvision before the replay, as Ultralytics' warm-up did
before the edge skipped it: the "before" figure, with the same counts expected.
``vm_hwm_mb`` is the kernel's high-water mark (``VmHWM``); each stage also splits the
resident pages into anonymous ones (heap, tensors: ``RssAnon``) and file-backed ones
(library code and read-only data, clean pages the kernel can drop and re-read: ``RssFile``). Under qemu-user
(``deploy/pi/test-arm64.sh``) that figure is the emulator process's and includes the
emulator's own memory (translated code, its heap); ``guest_*`` then counts only the pages
of the mappings the emulated program itself sees in ``/proc/self/maps`` (qemu maps guest
memory 1:1 on a 64-bit host), sampled every ``--sample-s`` seconds. Natively both agree.
"""

from __future__ import annotations

import json
import re
import sys
import threading
import time
from datetime import UTC, datetime

_RANGE = re.compile(r"^([0-9a-f]+)-([0-9a-f]+) ")


def _ranges(path: str) -> list[tuple[int, int]]:
    with open(path) as f:
        return [(int(m[1], 16), int(m[2], 16)) for m in map(_RANGE.match, f) if m]


def _status_kb(field: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def guest_rss_kb() -> int:
    """Rss of the smaps entries that lie in a mapping of /proc/self/maps (see module doc)."""
    mine = set(_ranges("/proc/self/maps"))
    total, counting = 0, False
    with open("/proc/self/smaps") as f:
        for line in f:
            m = _RANGE.match(line)
            if m:
                counting = (int(m[1], 16), int(m[2], 16)) in mine
            elif counting and line.startswith("Rss:"):
                total += int(line.split()[1])
    return total


class Sampler:
    def __init__(self, interval_s: float) -> None:
        self.interval_s, self.guest_peak_kb = interval_s, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.interval_s)

    def sample(self) -> int:
        now = guest_rss_kb()
        self.guest_peak_kb = max(self.guest_peak_kb, now)
        return now

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def main(argv: list[str]) -> int:
    sample_s, import_torchvision = 1.0, False
    while argv[:1] in (["--sample-s"], ["--import-torchvision"]):
        if argv[0] == "--sample-s":
            sample_s, argv = float(argv[1]), argv[2:]
        else:
            import_torchvision, argv = True, argv[1:]
    stages: dict[str, dict[str, float]] = {}
    started = time.perf_counter()

    def mark(name: str, sampler: Sampler) -> None:
        stages[name] = {
            "rss_mb": round(_status_kb("VmRSS") / 1024, 1),
            "rss_anon_mb": round(_status_kb("RssAnon") / 1024, 1),
            "rss_file_mb": round(_status_kb("RssFile") / 1024, 1),
            "guest_rss_mb": round(sampler.sample() / 1024, 1),
            "t_s": round(time.perf_counter() - started, 1),
        }

    with Sampler(sample_s) as sampler:
        from edge import cli
        from edge.app import replay

        args = cli._parser().parse_args(["replay", *argv])
        config = cli.replay_config(args)
        mark("start", sampler)
        if import_torchvision:
            import torchvision  # noqa: F401

            mark("torchvision_imported", sampler)
        from edge.vision import tracker

        load = tracker.UltralyticsTracker.__init__

        def loaded(self: tracker.UltralyticsTracker, *a: object, **k: object) -> None:
            load(self, *a, **k)  # type: ignore[arg-type]
            mark("model_loaded", sampler)

        tracker.UltralyticsTracker.__init__ = loaded  # type: ignore[method-assign]
        result = replay(config, gating=args.gating == "on", clock=lambda: datetime.now(UTC))
        mark("end", sampler)
    memory = {
        "torchvision_loaded": "torchvision" in sys.modules,
        "vm_hwm_mb": round(_status_kb("VmHWM") / 1024, 1),
        "guest_peak_mb": round(sampler.guest_peak_kb / 1024, 1),
        "stages": stages,
    }
    # The counts as `mpp-edge replay --json` prints them, to check they are unchanged.
    print(json.dumps({**memory, "wall_s": round(result.wall_s, 1), **result.to_json()}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
