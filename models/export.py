"""Export a YOLO detector for the edge: OpenVINO (x86, Raspberry Pi), NCNN (Raspberry Pi) or ONNX.

Usage (from the repository root, in the venv with the ``edge`` extra):

    python models/export.py yolo11n.pt --format openvino ncnn --imgsz 640   # a Pi's two fastest
    python models/export.py yolo11n.pt --format openvino --imgsz 640 --int8
    python models/export.py yolo11n.pt --format onnx --imgsz 416

The result is a file or folder next to the weights (``yolo11n_ncnn_model/``,
``yolo11n_openvino_model/``, ``yolo11n.onnx``); point the device config's
``model:`` at it. INT8 is offered for OpenVINO only: Ultralytics calibrates it on
``--data`` (default ``coco8.yaml``, downloaded on first use, so it needs the
internet once). NCNN takes ``--half`` (FP16), the format Ultralytics supports there.
NCNN export needs ``ncnn`` and the exact ``pnnx`` release Ultralytics' exporter pins,
installed beforehand: without them this script stops and prints the pip command,
instead of letting Ultralytics pip-install them mid-export (which fails offline).
"""

from __future__ import annotations

import argparse
import importlib.metadata
import sys
from pathlib import Path

FORMATS = ("ncnn", "openvino", "onnx")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("weights", help="PyTorch weights, e.g. yolo11n.pt (downloaded by Ultralytics if absent)")
    parser.add_argument("--format", choices=FORMATS, required=True, nargs="+", help="one or more formats")
    parser.add_argument("--imgsz", type=int, default=640, help="inference size in pixels, a multiple of 32")
    parser.add_argument("--int8", action="store_true", help="INT8 quantisation (OpenVINO only; needs --data)")
    parser.add_argument("--half", action="store_true", help="FP16 weights (NCNN, OpenVINO, ONNX)")
    parser.add_argument("--data", default="coco8.yaml", help="calibration data set for --int8")
    args = parser.parse_args(argv)
    if args.imgsz % 32:
        parser.error(f"--imgsz {args.imgsz} is not a multiple of 32")
    if args.int8 and args.format != ["openvino"]:
        parser.error("--int8 is supported here for --format openvino only; use --half for ncnn")
    if args.int8 and args.half:
        parser.error("choose --int8 or --half, not both")
    return args


def missing_requirements(fmt: str) -> list[str]:
    """The exporter's pinned requirements for ``fmt`` (NCNN: ``ncnn``, ``pnnx==...``) that
    are not installed at that version."""
    from packaging.requirements import Requirement
    from ultralytics.engine import exporter

    wanted = getattr(exporter, "EXPORT_ENVS", {}).get(fmt, {}).get("requirements", [])
    if fmt == "ncnn" and not wanted:  # an Ultralytics without the table: at least the packages
        wanted = ["ncnn", "pnnx"]
    missing = []
    for spec in wanted:
        requirement = Requirement(spec)
        try:
            version = importlib.metadata.version(requirement.name)
        except importlib.metadata.PackageNotFoundError:
            missing.append(spec)
            continue
        if not requirement.specifier.contains(version, prereleases=True):
            missing.append(spec)
    return missing


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    from ultralytics import YOLO  # type: ignore[attr-defined]  # heavy import only after argument checks

    missing = sorted({spec for fmt in args.format for spec in missing_requirements(fmt)})
    if missing:
        quoted = " ".join(f"'{spec}'" for spec in missing)
        print(f"export needs {', '.join(missing)}: pip install {quoted}", file=sys.stderr)
        return 1
    for fmt in args.format:
        options: dict[str, object] = {"format": fmt, "imgsz": args.imgsz}
        if args.int8:
            options.update(int8=True, data=args.data)
        if args.half:
            options["half"] = True
        try:
            model = YOLO(args.weights, task="detect")
            output = model.export(**options)
        except (FileNotFoundError, ConnectionError, OSError) as exc:
            print(f"export failed: {exc}", file=sys.stderr)
            return 1
        print(Path(str(output)).resolve())
    return 0


if __name__ == "__main__":
    sys.exit(main())
