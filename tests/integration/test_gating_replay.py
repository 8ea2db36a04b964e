"""Idle-scene gating with the real model on a generated idle clip from real footage.

The clip comes from benchmarks/gating_clips.py: the empty TUD-Stadtmitte scene, then a real
passer-by who enters at the left border, crosses a line and walks back out, then the empty
scene again. Gated and ungated replays must count exactly the same, while the gated one runs
the detector on far fewer frames, wakes up within a motion probe of the person's first
frame, and leaves most idle frames undecoded.
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest

from edge.app import MemorySink, ReplayResult, build_pipeline, replay
from edge.config import EdgeConfig
from edge.counting import SceneFrame
from edge.evaluation.scenes import load_scenes
from edge.pipeline import FrameResult

ROOT = Path(__file__).resolve().parents[2]
SCENE = load_scenes(ROOT / "benchmarks" / "edge_scenes.yaml")["TUD-Stadtmitte"]
IDLE_S = 10.0
START = datetime(2026, 1, 5, 1, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def idle_clip(shared: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, object]]:
    out = tmp_path_factory.mktemp("gating-clips")
    done = subprocess.run(
        [
            sys.executable,
            ROOT / "benchmarks" / "gating_clips.py",
            out,
            "--idle-s",
            str(IDLE_S),
            "--episodes",
            "1",
            "--no-busy",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "MPP_SHARED_DIR": str(shared)},
    )
    assert done.returncode == 0, done.stderr
    return out / "idle.mp4", json.loads((out / "clips.json").read_text())


def run_replay(clip: Path, model_path: Path, gating: bool) -> ReplayResult:
    config = EdgeConfig(
        site="test", device="gate", source=str(clip), model=str(model_path), lines=SCENE.lines, zones=SCENE.zones
    )
    return replay(config, gating=gating, clock=lambda: datetime(2026, 1, 5, 1, 0, tzinfo=UTC), keep_tracks=True)


def presence(result: ReplayResult) -> dict[str, list[bool]]:
    zones = result.counts.to_json()["zones"]
    return {name: [count > 0 for count in zone["per_frame"]] for name, zone in zones.items()}


def line_counts(result: ReplayResult) -> dict[str, tuple[int, int]]:
    lines = result.counts.to_json()["lines"]
    return {name: (line["in"], line["out"]) for name, line in lines.items()}


@pytest.mark.slow
def test_gated_replay_counts_like_ungated_with_far_fewer_inferences(
    idle_clip: tuple[Path, dict[str, object]], model_path: Path
) -> None:
    clip, manifest = idle_clip
    gated = run_replay(clip, model_path, gating=True)
    ungated = run_replay(clip, model_path, gating=False)
    frames = int(str(manifest["idle_frames"]))
    assert gated.frames == ungated.frames == frames

    # The passer-by really crosses: in at the left border, over line x25 and back out.
    assert line_counts(ungated)["x25"] == (1, 1), line_counts(ungated)
    assert line_counts(gated) == line_counts(ungated)
    assert presence(gated) == presence(ungated)
    assert any(presence(ungated)["left"])

    # ``tracks`` holds the tracker's output for each inferred frame.
    assert len(ungated.tracks) == frames
    inferred = sorted(gated.tracks)
    episode = manifest["idle_episodes"][0]  # type: ignore[index]
    first, last = episode["first_frame"], episode["last_frame"]
    # Woken by a motion probe (four a second) once the passer-by shows at the border, then
    # full rate through the episode and while the tracker has live tracks.
    wake = min(i for i in inferred if i >= first)
    assert wake - first <= 0.25 * 25 + 1, (first, wake)
    assert set(range(wake, last + 1)) <= set(inferred)
    assert all(i + 1 in gated.tracks for i in inferred if gated.tracks[i] and i < frames)
    # While idle, the detector runs 10 s after the scene went quiet (GatingConfig.idle_inference_interval_s),
    # later ones further apart (up to idle_inference_max_interval_s); the clip's quiet stretches are 10 s.
    assert max(b - a for a, b in itertools.pairwise(inferred)) == 10 * 25
    assert len(inferred) <= 0.25 * frames, len(inferred)


class DecodeCounter:
    def __init__(self) -> None:
        self.decoded: list[bool] = []

    def on_frame(self, result: FrameResult) -> None:
        self.decoded.append(result.frame.decoded)

    def on_scene(self, scene: SceneFrame) -> None:
        pass


@pytest.mark.slow
def test_idle_frames_are_mostly_left_undecoded(idle_clip: tuple[Path, dict[str, object]], model_path: Path) -> None:
    clip, manifest = idle_clip
    config = EdgeConfig(site="test", device="gate", source=str(clip), model=str(model_path), lines=SCENE.lines)
    observer = DecodeCounter()
    pipeline = build_pipeline(config, MemorySink(), gating=True, clock=lambda: START, observer=observer)
    pipeline.run(threading.Event())
    episode = manifest["idle_episodes"][0]  # type: ignore[index]
    idle = observer.decoded[: episode["first_frame"] - 1] + observer.decoded[episode["last_frame"] + 26 :]
    # Idle at 25 fps: four previews a second (and a detector run every 10 s) decode; the rest only grabbed.
    assert 0.1 < sum(idle) / len(idle) < 0.2, sum(idle) / len(idle)
    stats = pipeline.stats()
    assert stats.idle_share > 0.6
