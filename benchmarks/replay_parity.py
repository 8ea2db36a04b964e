"""Compare two ``mpp-edge replay --json`` results of the same clip (e.g. x86 and arm64).

    python3 benchmarks/replay_parity.py REFERENCE.json OTHER.json [--zone-tolerance N]

Line counts (in and out per line) must be identical. Zone counts, persons per frame, may
differ by at most ``--zone-tolerance`` persons on any frame (default 1: an INT8 kernel on
another CPU can move a borderline detection across the confidence threshold). Prints the
counts side by side and exits 1 when they do not agree. Standard library only, so that it
runs with any python3 on the host.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any


def _load(path: Path) -> dict[str, Any]:
    # edge_memory.py prints one JSON object too; the last line holds it in either case.
    lines = [line for line in path.read_text().splitlines() if line.strip()]
    if not lines:
        raise SystemExit(f"{path}: empty (the replay did not finish)")
    result: dict[str, Any] = json.loads(lines[-1])
    return result


def compare(reference: dict[str, Any], other: dict[str, Any], zone_tolerance: int) -> list[str]:
    """The disagreements, empty when the two replays agree."""
    problems = []
    if reference["frames"] != other["frames"]:
        problems.append(f"frames: {reference['frames']} != {other['frames']}")
    for name in sorted(set(reference["lines"]) | set(other["lines"])):
        a, b = reference["lines"].get(name), other["lines"].get(name)
        if a is None or b is None or (a["in"], a["out"]) != (b["in"], b["out"]):
            problems.append(f"line {name}: {_line(a)} != {_line(b)}")
    for name in sorted(set(reference["zones"]) | set(other["zones"])):
        a, b = reference["zones"].get(name), other["zones"].get(name)
        if a is None or b is None:
            problems.append(f"zone {name}: missing on one side")
            continue
        worst = max((abs(x - y) for x, y in zip(a["per_frame"], b["per_frame"], strict=False)), default=0)
        if worst > zone_tolerance:
            problems.append(f"zone {name}: per-frame difference {worst} > {zone_tolerance}")
    return problems


def _line(counts: dict[str, Any] | None) -> str:
    return "missing" if counts is None else f"{counts['in']}/{counts['out']}"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("reference", type=Path)
    parser.add_argument("other", type=Path)
    parser.add_argument("--zone-tolerance", type=int, default=1, metavar="PERSONS")
    args = parser.parse_args(argv)
    reference, other = _load(args.reference), _load(args.other)
    print(f"frames: {reference['frames']} | {other['frames']}")
    for name, a in reference["lines"].items():
        print(f"line {name} in/out: {_line(a)} | {_line(other['lines'].get(name))}")
    for name, a in reference["zones"].items():
        b = other["zones"].get(name, {"per_frame": []})
        print(f"zone {name} per frame: {' '.join(map(str, a['per_frame']))} | {' '.join(map(str, b['per_frame']))}")
    problems = compare(reference, other, args.zone_tolerance)
    for problem in problems:
        print(f"MISMATCH {problem}")
    print("parity: " + ("FAILED" if problems else f"lines identical, zones within {args.zone_tolerance} person(s)"))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
