"""Zone counts smoothed over a short centred window, by holding scene frames back."""

from __future__ import annotations

from collections import deque
from dataclasses import replace

from edge.counting.frames import SceneFrame


class ZoneCountSmoother:
    """Replaces each frame's zone counts by their median over the frames within
    ``half_window_s`` before and after it, as many on each side (an odd window).

    A detector that misses a person on a frame or two, or doubles one for a moment, changes
    one count for a moment; the median removes that without the lag of a trailing filter.
    A frame is therefore released only once the frames ``half_window_s`` after it have
    arrived: scene frames come out that much late, in order, crossings and visits unchanged.
    ``half_window_s`` 0 releases every frame at once, unchanged.
    """

    def __init__(self, half_window_s: float) -> None:
        self.half_window_s = half_window_s
        # Released frames still inside the window of a held one, then the held ones.
        self._frames: deque[SceneFrame] = deque()
        self._held = 0

    @property
    def held(self) -> int:
        """Frames not released yet."""
        return self._held

    @property
    def buffered(self) -> int:
        """Frames kept: held ones and the released ones their windows still need."""
        return len(self._frames)

    def push(self, frame: SceneFrame) -> list[SceneFrame]:
        if self.half_window_s <= 0:
            return [frame]
        released = []
        if self._frames and frame.ts < self._frames[-1].ts:
            # The clock went back: no window spans the jump.
            released = self.flush()
        self._frames.append(frame)
        self._held += 1
        while self._held and (frame.ts - self._frames[-self._held].ts).total_seconds() > self.half_window_s:
            released.append(self._release())
        return released

    def flush(self) -> list[SceneFrame]:
        """Release every held frame (end of footage), with what follows it so far."""
        released = [self._release() for _ in range(self._held)]
        self._frames.clear()
        return released

    def _release(self) -> SceneFrame:
        frames, at = self._frames, len(self._frames) - self._held
        frame, limit_s = frames[at], self.half_window_s
        before = 0
        while before < at and (frame.ts - frames[at - before - 1].ts).total_seconds() <= limit_s:
            before += 1
        after = 0
        while at + after + 1 < len(frames) and (frames[at + after + 1].ts - frame.ts).total_seconds() <= limit_s:
            after += 1
        k = min(before, after)
        self._held -= 1
        if k:
            window = [frames[i].zones for i in range(at - k, at + k + 1)]
            zones = tuple(
                replace(zone, count=sorted(w[z].count for w in window)[k]) for z, zone in enumerate(frame.zones)
            )
            frame = replace(frame, zones=zones)
        # History older than the next held frame's window is no longer needed.
        if self._held:
            next_ts = frames[len(frames) - self._held].ts
            while (next_ts - frames[0].ts).total_seconds() > limit_s:
                frames.popleft()
        else:
            while len(frames) > 1 and (frames[-1].ts - frames[0].ts).total_seconds() > limit_s:
                frames.popleft()
        return frame
