"""``mpp-edge``: replay a video, evaluate it against ground truth, or run the device."""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import signal
import sys
import threading
import time
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
    if args.crop is not None:
        base["detection_crop"] = args.crop == "on"
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
    parser.add_argument(
        "--crop", choices=("on", "off"), help="detect on the region of the lines and zones only (detection_crop)"
    )
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
    snap = commands.add_parser(
        "snapshot", help="one frame of the camera to a PNG with a 0..1 grid and the lines and zones drawn"
    )
    snap.add_argument("--config", required=True, type=Path, help="device config YAML")
    snap.add_argument("out", type=Path, metavar="OUT.png")
    snap.add_argument("--timeout-s", type=float, default=30.0, help="how long to wait for a live camera's frame")
    setup = commands.add_parser(
        "setup", help="installer web page on the LAN: live picture, drag lines and zones, save the config"
    )
    setup.add_argument("--config", required=True, type=Path, help="device config YAML (saved here, old one as .bak)")
    setup.add_argument(
        "--listen", required=True, metavar="HOST:PORT", help="the device's LAN address, e.g. 192.168.1.20:8080"
    )
    setup.add_argument("--password-file", type=Path, help="file holding the page's password (else MPP_SETUP_PASSWORD)")
    setup.add_argument(
        "--allow-all-interfaces", action="store_true", help="allow --listen 0.0.0.0:PORT (every network of the device)"
    )
    audit = commands.add_parser(
        "audit",
        help="record a few minutes of the camera, count them, and enter the true crossings on the setup page",
    )
    audit.add_argument("--config", required=True, type=Path, help="device config YAML")
    audit.add_argument("--listen", required=True, metavar="HOST:PORT", help="the device's LAN address")
    audit.add_argument("--password-file", type=Path, help="file holding the page's password (else MPP_SETUP_PASSWORD)")
    audit.add_argument("--allow-all-interfaces", action="store_true", help="allow --listen 0.0.0.0:PORT")
    audit.add_argument("--duration-s", type=float, default=180.0, help="seconds to record (default 180)")
    audit.add_argument("--zone-samples", type=int, default=20, help="frames on which to mark zone presence")
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
        print(f"line {name}: in {line['in']} (true {line['in_true']}) out {line['out']} (true {line['out_true']})")
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

        code = run_device(
            config, gating=args.gating == "on", drain_timeout_s=args.drain_timeout_s, config_path=args.config
        )
        return code if isinstance(code, int) else 0
    if args.command == "setup":
        return _setup(args)
    if args.command == "audit":
        return _audit(args)
    if args.command == "snapshot":
        from edge.snapshot import snapshot

        config = load_config(args.config)
        frame = snapshot(config, args.out, _now, args.timeout_s)
        print(
            f"wrote {args.out}: {frame.width}x{frame.height} px, {len(config.lines)} line(s), "
            f"{len(config.zones)} zone(s); grid steps are 0.1 of the width and height"
        )
        return 0

    config = replay_config(args)
    if args.command == "evaluate" and not args.ground_truth.is_file():
        raise ConfigError(f"ground truth not found: {args.ground_truth}")
    annotate = getattr(args, "annotate", None)
    with _stdout_to_stderr():
        from edge.app import evaluate_replay, replay

        result = replay(config, gating=args.gating == "on", clock=_now, annotate=annotate)
    log.info("replayed %d frames at %.1f fps", result.frames, result.fps)
    if annotate is not None:
        # stderr: stdout holds only the result.
        print(f"mpp-edge: annotated video {annotate}: {result.annotated_codec}", file=sys.stderr)
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


def _setup(args: argparse.Namespace) -> int:
    from edge.setup.live import LiveScene
    from edge.setup.server import SetupServer, parse_listen, resolve_password

    host, port = parse_listen(args.listen, allow_all_interfaces=args.allow_all_interfaces)
    password = resolve_password(args.password_file, os.environ)
    config = load_config(args.config)
    live = LiveScene(config)
    try:
        server = SetupServer(args.config, host, port, password, live)
    except OSError as exc:
        raise ConfigError(f"--listen {args.listen}: cannot listen there: {exc.strerror}") from None
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    live.start()
    server.start()
    shown_host = f"[{host}]" if ":" in host else host
    print(f"setup page on http://{shown_host}:{server.address[1]}/ (Ctrl-C stops it)", flush=True)
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
        live.stop()
    return 0


def _audit(args: argparse.Namespace) -> int:
    """Record, count, serve the audit page until the audit is saved or abandoned; the
    recording is deleted on every way out (saved, abandoned, Ctrl-C, SIGTERM, error)."""
    from edge.audit.recording import create_private_folder, discard, recording_folder
    from edge.setup.server import parse_listen, resolve_password

    if not 0 < args.duration_s <= 3600:
        raise ConfigError("--duration-s: expected 1 to 3600 seconds (a few minutes is enough)")
    host, port = parse_listen(args.listen, allow_all_interfaces=args.allow_all_interfaces)
    password = resolve_password(args.password_file, os.environ)
    config = load_config(args.config)
    if not config.lines and not config.zones:
        raise ConfigError(f"{args.config}: no line or zone to audit; draw them first with mpp-edge setup")
    folder = recording_folder(config)
    # SIGTERM and SIGHUP (the installer's SSH connection or terminal closing) end the audit as
    # Ctrl-C does: through the finally below, which deletes the recording.
    for stop in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(stop, signal.default_int_handler)
    try:
        create_private_folder(folder)
        return _run_audit(args, config, folder, host, port, password)
    except KeyboardInterrupt:
        print("mpp-edge: audit abandoned", file=sys.stderr)
        return 130
    finally:
        discard(folder)


def _run_audit(args: argparse.Namespace, config: EdgeConfig, folder: Path, host: str, port: int, password: str) -> int:
    from edge.audit.recording import record
    from edge.audit.session import AuditSession
    from edge.audit.truth import AuditResult
    from edge.setup.live import LiveScene
    from edge.setup.server import SetupServer

    print(f"recording up to {args.duration_s:g} s of {config.source_shown} ...", flush=True)
    recording = record(config, folder, args.duration_s, _now, threading.Event())
    print(f"recorded {recording.frames} frames ({recording.duration_s:.0f} s); counting them ...", flush=True)
    replay_on = config.model_copy(update={"source": str(folder), "video_start": recording.started_at})
    with _stdout_to_stderr():
        from edge.app import replay

        counted = replay(replay_on, gating=True, clock=_now).counts

    def publish(result: AuditResult) -> None:
        from edge.outbox.sqlite_outbox import SqliteOutbox

        outbox = SqliteOutbox(config.outbox)
        try:
            outbox.put([result.to_wire(config.site, config.device, config.timezone)])
            if outbox.unsaved():
                raise ConfigError(f"outbox.path: cannot write the audit record to {config.outbox.path}")
        finally:
            outbox.close()

    session = AuditSession(config, recording, counted, clock=_now, publish=publish, zone_samples=args.zone_samples)
    try:
        # The live view is not started: the audit page shows the recording.
        server = SetupServer(args.config, host, port, password, LiveScene(config), audit=session)
    except OSError as exc:
        raise ConfigError(f"--listen {args.listen}: cannot listen there: {exc.strerror}") from None
    server.start()
    shown_host = f"[{host}]" if ":" in host else host
    print(f"audit page on http://{shown_host}:{server.address[1]}/audit (Ctrl-C abandons it)", flush=True)
    try:
        while not session.finished.wait(0.5):
            pass
        time.sleep(0.5)  # the save's answer reaches the page
    finally:
        server.stop()
    if session.saved is None:
        print("audit abandoned; the recording is deleted")
        return 1
    result = session.saved.result
    print(f"audit saved to {session.saved.path}: line accuracy {result.line_accuracy}, "
          f"zone agreement {result.zone_agreement}; the recording is deleted")  # fmt: skip
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
