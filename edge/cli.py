"""``mpp-edge``: replay a video, evaluate it against ground truth, or run the device."""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from edge.config import ConfigError, EdgeConfig, LineConfig, ZoneConfig, format_validation_error, load_config

log = logging.getLogger("edge.cli")


def _now() -> datetime:
    return datetime.now(UTC)


def parse_line_flag(value: str) -> dict[str, Any]:
    """``NAME=x1,y1,x2,y2`` (normalised coordinates) -> a line setting."""
    name, sep, coords = value.partition("=")
    try:
        numbers = [float(v) for v in coords.split(",")]
    except ValueError:
        numbers = []
    if not sep or len(numbers) != 4:
        raise ConfigError(f"--line {value!r}: expected NAME=x1,y1,x2,y2 with numbers in 0..1")
    data = {"name": name.strip(), "points": [numbers[:2], numbers[2:]]}
    try:
        LineConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(format_validation_error(exc, f"--line {value!r}").replace("\n", "; ")) from None
    return data


def parse_zone_flag(value: str) -> dict[str, Any]:
    """``NAME=x1,y1;x2,y2;x3,y3...`` -> a zone setting."""
    name, sep, coords = value.partition("=")
    points = []
    try:
        for pair in coords.split(";"):
            x, y = (float(v) for v in pair.split(","))
            points.append([x, y])
    except ValueError:
        points = []
    if not sep or len(points) < 3:
        raise ConfigError(f"--zone {value!r}: expected NAME=x1,y1;x2,y2;x3,y3[;...] with numbers in 0..1")
    data = {"name": name.strip(), "points": points}
    try:
        ZoneConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(format_validation_error(exc, f"--zone {value!r}").replace("\n", "; ")) from None
    return data


def replay_config(args: argparse.Namespace) -> EdgeConfig:
    """The config file (if any) with the video as source and the flags' lines, zones and model added."""
    base: dict[str, Any] = {"site": "replay", "device": "replay"}
    if args.config:
        base = load_config(Path(args.config)).model_dump(mode="json", exclude_unset=True)
    base["source"] = str(args.video)
    if args.model:
        base["model"] = str(args.model)
    for key in ("imgsz", "confidence"):
        if getattr(args, key) is not None:
            base[key] = getattr(args, key)
    base["lines"] = list(base.get("lines", [])) + [parse_line_flag(v) for v in args.line]
    base["zones"] = list(base.get("zones", [])) + [parse_zone_flag(v) for v in args.zone]
    try:
        return EdgeConfig.model_validate(base)
    except ValidationError as exc:
        raise ConfigError(format_validation_error(exc, args.config or "replay").replace("\n", "; ")) from None


def _add_scene_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "video", type=Path, help="video file, or folder of images (a MOTChallenge sequence: SEQ or SEQ/img1)"
    )
    parser.add_argument("--config", help="device config YAML (lines, zones, model, ...)")
    parser.add_argument("--model", help="model to load (.pt, OpenVINO/NCNN folder, .onnx)")
    parser.add_argument("--imgsz", type=int, help="inference size in pixels")
    parser.add_argument("--confidence", type=float, help="detection threshold handed to the tracker")
    parser.add_argument("--line", action="append", default=[], metavar="NAME=x1,y1,x2,y2")
    parser.add_argument("--zone", action="append", default=[], metavar="NAME=x1,y1;x2,y2;...")
    parser.add_argument("--gating", choices=("on", "off"), default="on", help="idle-scene gating (default on)")
    parser.add_argument("--json", action="store_true", help="print one JSON object on stdout")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mpp-edge", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    commands = parser.add_subparsers(dest="command", required=True)
    replay = commands.add_parser("replay", help="count people in a video file")
    _add_scene_flags(replay)
    replay.add_argument("--annotate", type=Path, metavar="OUT.mp4", help="also write the video with counts drawn")
    evaluate = commands.add_parser("evaluate", help="compare counts with MOT ground truth")
    _add_scene_flags(evaluate)
    evaluate.add_argument("ground_truth", type=Path, metavar="GT.txt", help="MOTChallenge gt.txt")
    run = commands.add_parser("run", help="run the device: camera -> counts -> MQTT")
    run.add_argument("--config", required=True, type=Path, help="device config YAML")
    run.add_argument("--gating", choices=("on", "off"), default="on")
    run.add_argument("--drain-timeout-s", type=float, default=10.0, help="time to deliver pending records on stop")
    return parser


@contextlib.contextmanager
def _stdout_to_stderr() -> Iterator[None]:
    """While the work runs, whatever is written to stdout goes to stderr, from Python or
    native code: stdout carries only the result (``--json``). ultralytics, for one, prints a
    notice there when it creates its settings file on a machine's first run."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        os.dup2(2, 1)
        with contextlib.redirect_stdout(sys.stderr):
            yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


def _print_replay(result: Any) -> None:
    print(f"{result.frames} frames at {result.fps:.1f} fps")
    for name, tally in result.counts.lines.items():
        print(f"line {name}: in {tally.in_count} out {tally.out_count}")
    for name, zone in result.counts.to_json()["zones"].items():
        print(f"zone {name}: mean {zone['mean']:.2f} max {zone['max']}")


def _print_report(report: Any) -> None:
    for name, line in report.to_json()["lines"].items():
        print(
            f"line {name}: in {line['in']} (true {line['in_true']}) out {line['out']} (true {line['out_true']})"
        )
    for name, zone in report.to_json()["zones"].items():
        print(f"zone {name}: MAE {zone['mae']:.3f} presence agreement {zone['presence_agreement']:.3f}")
    print(
        f"line accuracy {report.line_accuracy} zone MAE {report.zone_mae} "
        f"presence agreement {report.presence_agreement}"
    )


def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "run":
        config = load_config(args.config)
        from edge.device import run_device

        code = run_device(config, gating=args.gating == "on", drain_timeout_s=args.drain_timeout_s)
        return code if isinstance(code, int) else 0

    config = replay_config(args)
    if args.command == "evaluate" and not args.ground_truth.is_file():
        raise ConfigError(f"ground truth not found: {args.ground_truth}")
    annotate = getattr(args, "annotate", None)
    with _stdout_to_stderr():
        from edge.app import evaluate_replay, replay

        result = replay(config, gating=args.gating == "on", clock=_now, annotate=annotate)
    log.info("replayed %d frames at %.1f fps", result.frames, result.fps)
    if args.command == "replay":
        if args.json:
            print(json.dumps(result.to_json()))
        else:
            _print_replay(result)
        return 0
    report = evaluate_replay(result, config, args.ground_truth)
    if args.json:
        print(json.dumps({"fps": round(result.fps, 3), **report.to_json()}))
    else:
        _print_report(report)
    return 0


def main(argv: list[str] | None = None) -> int:
    try:
        return _main(argv)
    except KeyboardInterrupt:
        # Ctrl-C before `run` installed its own signal handling (e.g. while importing the model stack).
        return 130


def _main(argv: list[str] | None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(
        stream=sys.stderr,
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    from edge.camera import SourceError
    from edge.evaluation import GroundTruthError
    from edge.vision import ModelError

    try:
        return _dispatch(args)
    except (ConfigError, SourceError, ModelError, GroundTruthError) as exc:
        print(f"mpp-edge: error: {str(exc).replace(chr(10), '; ')}", file=sys.stderr)
        return 2 if isinstance(exc, ConfigError) else 1


if __name__ == "__main__":
    sys.exit(main())
