"""Reading the next batch of a file while the database writes this one.

An import spends its time in two places: Python reading, converting and
cleaning rows, and the database writing them. A thread that prepares the
next batch while the transaction of the current one runs keeps both busy
(the thread holds no database connection: reading and cleaning are pure).
At most `depth` batches wait, so memory stays that of a few batches.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from typing import TypeVar

T = TypeVar("T")
_DONE = object()


class _Failed:
    def __init__(self, error: BaseException) -> None:
        self.error = error


def read_ahead(items: Iterator[T], *, depth: int = 2) -> Iterator[T]:
    """`items`, produced by a thread up to `depth` ahead; its exceptions raised here."""
    waiting: queue.Queue[object] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in items:
                while not stop.is_set():
                    try:
                        waiting.put(item, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            waiting.put(_DONE)
        except BaseException as exc:
            waiting.put(_Failed(exc))
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                close()

    thread = threading.Thread(target=produce, name="import-read-ahead", daemon=True)
    thread.start()
    try:
        while True:
            item = waiting.get()
            if item is _DONE:
                return
            if isinstance(item, _Failed):
                raise item.error
            yield item  # type: ignore[misc]
    finally:
        stop.set()
        # Let a producer blocked on a full queue see the stop, then wait for it to close
        # the file it reads.
        while thread.is_alive():
            try:
                waiting.get_nowait()
            except queue.Empty:
                thread.join(timeout=0.1)
