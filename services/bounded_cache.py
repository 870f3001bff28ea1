"""A small thread-safe cache of the few most recently used values, each kept for a limited time."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any


class BoundedCache:
    """At most `size` values, least recently used out first; a value older than `max_age` seconds is made
    again. Callers put what a value depends on in its key, so a changed input is a new key; the age
    bounds how long anything a key cannot see stays old."""

    def __init__(self, size: int, max_age: float) -> None:
        self.size, self.max_age = size, max_age
        self._values: OrderedDict[Hashable, tuple[float, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, make: Callable[[], Any]) -> Any:
        """The value kept for `key`, or `make()` kept for it. `make` runs outside the lock: two threads
        may make the same value once each, and neither waits for the other."""
        now = time.monotonic()
        with self._lock:
            found = self._values.get(key)
            if found is not None and now - found[0] <= self.max_age:
                self._values.move_to_end(key)
                return found[1]
        value = make()
        with self._lock:
            self._values[key] = (now, value)
            self._values.move_to_end(key)
            while len(self._values) > self.size:
                self._values.popitem(last=False)
        return value
