"""One frame through an OpenVINO detection model directly (OpenVINO, OpenCV and NumPy only:
no torch, no Ultralytics), for comparing the raw output of two CPUs on the same pixels.

    python benchmarks/openvino_frame.py FRAME.png MODEL_DIR [--save OUT.npy] [--reference REF.npy]

Compiles the model as Ultralytics does on Linux aarch64 (``PERFORMANCE_HINT`` LATENCY,
``EXECUTION_MODE_HINT`` ACCURACY, ``INFERENCE_PRECISION_HINT`` f32; the same on every CPU, so
x86 and arm64 can be compared), letterboxes the frame to the model's 640 px input as
Ultralytics does, prints the output's statistics and the person boxes above 0.1 after NMS
(IoU 0.7) in frame pixels, and, given ``--reference`` (another CPU's ``--save``), how far
the two outputs lie apart. Under qemu-user (``deploy/pi/test-arm64.sh frame``) one frame
costs about a minute of CPU, a replay of 12 frames a quarter of an hour.
"""

from __future__ import annotations

import argparse
import ctypes
import platform
import time
from pathlib import Path

import cv2
import numpy as np
import openvino as ov

SIZE = 640
PERSON = 4  # row of class 0 in the (4 box + 80 class) x anchors output
AT_HWCAP, AT_HWCAP2 = 16, 26


def letterbox(image: np.ndarray) -> tuple[np.ndarray, float, float, float]:
    """The image scaled into SIZE x SIZE, centred on grey 114, and how to map back."""
    h, w = image.shape[:2]
    scale = min(SIZE / h, SIZE / w)
    nh, nw = round(h * scale), round(w * scale)
    top, left = (SIZE - nh) // 2, (SIZE - nw) // 2
    out = np.full((SIZE, SIZE, 3), 114, dtype=np.uint8)
    out[top : top + nh, left : left + nw] = cv2.resize(image, (nw, nh), interpolation=cv2.INTER_LINEAR)
    return out, scale, (SIZE - nw) / 2, (SIZE - nh) / 2


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("frame", type=Path)
    parser.add_argument("model", type=Path, help="*_openvino_model/ folder or its .xml")
    parser.add_argument("--save", type=Path, help="write the raw output (.npy)")
    parser.add_argument("--reference", type=Path, help="another CPU's --save, to compare with")
    args = parser.parse_args()

    libc = ctypes.CDLL(None)
    libc.getauxval.restype = ctypes.c_ulong
    print(f"{platform.machine()}: HWCAP={libc.getauxval(AT_HWCAP):#x} HWCAP2={libc.getauxval(AT_HWCAP2):#x}")
    core = ov.Core()
    print(f"openvino {ov.__version__}; CPU {core.get_property('CPU', 'OPTIMIZATION_CAPABILITIES')}")
    xml = next(args.model.glob("*.xml")) if args.model.is_dir() else args.model
    config = {"PERFORMANCE_HINT": "LATENCY", "EXECUTION_MODE_HINT": "ACCURACY", "INFERENCE_PRECISION_HINT": "f32"}
    started = time.process_time()
    compiled = core.compile_model(core.read_model(xml), "CPU", config)
    print(f"compiled in {time.process_time() - started:.1f} CPU-s")

    image = cv2.imread(str(args.frame))
    if image is None:
        raise SystemExit(f"cannot read {args.frame}")
    boxed, scale, pad_x, pad_y = letterbox(image)
    tensor = np.ascontiguousarray(boxed[:, :, ::-1].transpose(2, 0, 1)[None], dtype=np.float32) / 255.0
    started = time.process_time()
    out = np.asarray(compiled([tensor])[0], dtype=np.float32)[0]
    print(f"inferred in {time.process_time() - started:.1f} CPU-s")
    person = out[PERSON]
    print(
        f"output {out.shape}: finite {bool(np.isfinite(out).all())}, highest class score {out[4:].max():.4f}, "
        f"highest person score {person.max():.4f}, anchors with person > 0.25: {(person > 0.25).sum()}"
    )
    if args.save:
        np.save(args.save, out)
    if args.reference:
        ref = np.load(args.reference)
        diff = np.abs(out - ref)
        corr = np.corrcoef(out[PERSON], ref[PERSON])[0, 1]
        print(
            f"against {args.reference.name}: box coordinates differ by {diff[:4].mean():.3f} px on average "
            f"(at most {diff[:4].max():.1f}), class scores by at most {diff[4:].max():.4f}; "
            f"person scores correlate {corr:.4f}"
        )
    anchors = np.flatnonzero(person > 0.1)
    boxes = [
        [float(v) for v in ((cx - bw / 2 - pad_x) / scale, (cy - bh / 2 - pad_y) / scale, bw / scale, bh / scale)]
        for cx, cy, bw, bh in out[:4, anchors].T
    ]
    scores = [float(s) for s in person[anchors]]
    kept: list[int] = np.array(cv2.dnn.NMSBoxes(boxes, scores, 0.1, 0.7)).flatten().tolist() if len(anchors) else []
    print(f"persons above 0.1: {len(kept)}")
    for i in sorted(kept, key=lambda i: -scores[i]):
        x, y, w, h = boxes[i]
        print(f"  {scores[i]:.3f}  x {x:6.1f}  y {y:6.1f}  w {w:6.1f}  h {h:6.1f}")


if __name__ == "__main__":
    main()
