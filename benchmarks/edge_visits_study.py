"""Visits and dwell (what the waiting times per gerai are made of) against the ground truth, over
every picture and frame rate of the degradation study, with and without visit stitching
(``ZoneRules.stitch_s``: a track born inside a zone near a track lost there continues its visit).

The cached detections of ``edge_degradation_study.py`` go through ByteTrack as there; the tracks
are counted with the shipped rules (and with ``stitch_s``), the annotated people with the truth
rules, on the hand scenes' zones and the 95-zone grid. Per condition: visits (entries) and the
median dwell of all zones together. A visit still open at the end of a clip ends there, for both.

    .venv/bin/python benchmarks/edge_visits_study.py [--stitch-s 2.0] [--json]
"""

from __future__ import annotations

import argparse
import statistics
import sys
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from edge_degradation_study import (
    PICTURES,
    RATES,
    RULE_SETS,
    START,
    conditions,
    observations,
    study_cli,
    track,
    truth_of,
)

from edge.config import ZoneConfig
from edge.counting import TRACKER_RULES, TRUTH_RULES, SceneCounter, SceneRules, Track


def visits(tracks: Mapping[int, Sequence[Track]], frames: int, zones: Sequence[ZoneConfig], rules: SceneRules,
           fps: float) -> tuple[int, list[float]]:  # fmt: skip
    """Entries into the zones and every finished visit's dwell (seconds)."""
    scene = SceneCounter([], [zone.as_counting() for zone in zones], rules)
    entered, dwells = 0, []
    counted = []
    for i in range(1, frames + 1):
        counted += scene.update(tracks.get(i, ()), START + timedelta(seconds=(i - 1) / fps), i)
    counted += scene.flush()
    for frame in counted:
        for zone in frame.zones:
            entered += zone.entered
            dwells += zone.dwells_s
    end = START + timedelta(seconds=frames / fps)
    for counter in scene.zones:
        dwells += counter.close(end).dwells_s
    return entered, dwells


def measure(model: str, cache: Path, stitch_s: float) -> dict[str, Any]:
    """{clip, where: {condition: {"truth"|"shipped"|"stitched": [visits, median dwell]}}}"""
    stitched = replace(TRACKER_RULES, zone=replace(TRACKER_RULES.zone, stitch_s=stitch_s))
    results: dict[str, Any] = {}
    for c in conditions(model, cache, list(PICTURES), RATES):
        seen = track([c.clip.detections[f - 1] for f in c.picks])
        ours = dict(enumerate((o.tracks for o in observations(seen, RULE_SETS["shipped"], c.floor_y, 0.25)), 1))
        all_truth = truth_of(c.clip, c.picture)
        truth_tracks = {i: all_truth.get(f, []) for i, f in enumerate(c.picks, start=1)}
        for w, (_, zones) in c.where.items():
            cell = results.setdefault(f"{c.label}, {w}", {}).setdefault(c.name, {})
            for name, tracks, rules in (("truth", truth_tracks, TRUTH_RULES), ("shipped", ours, TRACKER_RULES),
                                        ("stitched", ours, stitched)):  # fmt: skip
                n, dwells = visits(tracks, len(c.picks), zones, rules, c.rate)
                cell[name] = [n, round(statistics.median(dwells), 3) if dwells else None]
        print(f"{c.name:22s} {c.label}", file=sys.stderr, flush=True)
    return results


def print_tables(results: dict[str, Any]) -> None:
    print("| clip | visits / true, shipped (x1 25 fps) | median dwell s, shipped / true (x1 25 fps) | "
          "stitched: visits closer / further | stitched: median dwell closer / further |")  # fmt: skip
    print("|---|---|---|---|---|")
    for clip, conditions_ in results.items():
        x1 = conditions_["x1 25.0 fps"]
        closer = [0, 0, 0, 0]
        for r in conditions_.values():
            (tv, td), (sv, sd), (wv, wd) = r["truth"], r["shipped"], r["stitched"]
            dv = abs(wv - tv) - abs(sv - tv)
            closer[0] += dv < 0
            closer[1] += dv > 0
            if td is not None and sd is not None and wd is not None:
                dd = abs(wd - td) - abs(sd - td)
                closer[2] += dd < -1e-9
                closer[3] += dd > 1e-9
        n = len(conditions_)
        print(f"| {clip} | {x1['shipped'][0]} / {x1['truth'][0]} | {x1['shipped'][1]} / {x1['truth'][1]} | "
              f"{closer[0]} / {closer[1]} of {n} | {closer[2]} / {closer[3]} of {n} |")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cache", type=Path, default=Path("/tmp/mpp-degradation-study"))
    parser.add_argument("--stitch-s", type=float, default=2.0)
    study_cli(parser, lambda args: measure(args.model, args.cache, args.stitch_s), print_tables)


if __name__ == "__main__":
    main()
