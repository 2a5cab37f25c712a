"""A bounded memory of recently handled interaction ids.

Discord never replays an interaction to a new process and refuses a second answer, so
de-duplicating the current session in memory is enough; a database write here would
sit on every command's critical path for nothing.
"""

from __future__ import annotations

from collections import OrderedDict


class RecentIds:
    """Remembers the last `capacity` ids; `add` says whether an id is new."""

    def __init__(self, capacity: int = 10_000) -> None:
        self.capacity = capacity
        self._ids: OrderedDict[int, None] = OrderedDict()

    def add(self, item: int) -> bool:
        """Record `item`; False when it was seen already."""
        if item in self._ids:
            return False
        self._ids[item] = None
        if len(self._ids) > self.capacity:
            self._ids.popitem(last=False)
        return True
