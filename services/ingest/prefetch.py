"""Reading ahead: a file's next chunk is parsed on a thread while the current one is being stored, so
the parser's work overlaps the time the import waits for the database."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from typing import TypeVar

Item = TypeVar("Item")
_END = object()
_WAIT_S = 0.1  # how often a blocked reader looks whether the consumer has stopped


def prefetched(items: Iterator[Item], ahead: int = 1) -> Iterator[Item]:
    """`items`, produced on a thread up to `ahead` items before they are asked for. An exception of the
    producer is raised here at the item where it happened; stopping early stops and closes the producer."""
    slots: queue.Queue = queue.Queue(maxsize=ahead)
    stop = threading.Event()
    reader = threading.Thread(target=_produce, args=(items, slots, stop), name="read-ahead", daemon=True)
    reader.start()
    try:
        while True:
            failed, item = slots.get()
            if failed:
                raise item
            if item is _END:
                return
            yield item
    finally:
        stop.set()
        reader.join()


def _produce(items: Iterator, slots: queue.Queue, stop: threading.Event) -> None:
    try:
        for item in items:
            if not _put(slots, (False, item), stop):
                return
        _put(slots, (False, _END), stop)
    except BaseException as exc:  # handed to the consumer, which raises it in its own thread
        _put(slots, (True, exc), stop)
    finally:
        close = getattr(items, "close", None)
        if close is not None:
            close()


def _put(slots: queue.Queue, entry: tuple, stop: threading.Event) -> bool:
    """Put `entry` once there is room; False when the consumer stopped first."""
    while not stop.is_set():
        try:
            slots.put(entry, timeout=_WAIT_S)
            return True
        except queue.Full:
            continue
    return False
