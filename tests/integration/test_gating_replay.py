"""Idle-scene gating with the real model on a generated idle clip from real footage.

The clip comes from benchmarks/gating_clips.py: the empty TUD-Stadtmitte scene, then a real
passer-by who enters at the left border, crosses a line and walks back out, then the empty
scene again. Gated and ungated replays must count exactly the same, while the gated one runs
the detector on far fewer frames.
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from edge.app import ReplayResult, replay
from edge.config import EdgeConfig
from edge.evaluation.scenes import load_scenes

ROOT = Path(__file__).resolve().parents[2]
SCENE = load_scenes(ROOT / "benchmarks" / "edge_scenes.yaml")["TUD-Stadtmitte"]
IDLE_S = 10.0


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
    # Full rate from the first frame of the passer-by on, and while the tracker has live tracks.
    assert set(range(episode["first_frame"], episode["last_frame"] + 1)) <= set(inferred)
    assert all(i + 1 in gated.tracks for i in inferred if gated.tracks[i] and i < frames)
    # While idle, one frame in ten (GatingConfig.idle_stride), never a longer gap.
    assert max(b - a for a, b in itertools.pairwise(inferred)) == 10
    assert len(inferred) <= 0.5 * frames, len(inferred)
