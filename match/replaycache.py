"""Finished matches' replays, kept encoded: the frames of a match that is over never change."""

from __future__ import annotations

import threading
from collections import OrderedDict


class ReplayCache:
    """An LRU of encoded replay frames by match id, bounded in bytes; safe across threads."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.size = 0
        self.entries: OrderedDict[str, bytes] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, match_id: str) -> bytes | None:
        with self.lock:
            frames = self.entries.get(match_id)
            if frames is not None:
                self.entries.move_to_end(match_id)
            return frames

    def put(self, match_id: str, frames: bytes) -> None:
        if len(frames) > self.max_bytes:
            return
        with self.lock:
            old = self.entries.pop(match_id, None)
            self.size += len(frames) - (len(old) if old is not None else 0)
            self.entries[match_id] = frames
            while self.size > self.max_bytes:
                _, dropped = self.entries.popitem(last=False)
                self.size -= len(dropped)


replays = ReplayCache(32 * 1024 * 1024)
