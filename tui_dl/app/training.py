"""Consuming the trainer's event generator on a worker thread (no Textual here).

The worker pulls events from ``iter_training`` and hands them to two callbacks:

- ``post_batch(events)``: every event, in order, batched so that at most one message per
  ``flush_every`` seconds carries step events (epoch/start/finish events flush at once);
- ``post_progress(step)``: the latest step, at most every ``progress_every`` seconds (the UI
  message for it is replaceable, so a busy UI only ever sees the newest).

Pause means "stop pulling": the generator stays suspended at its ``yield`` (between steps) until
resumed. Stop sets ``should_stop`` (the trainer finishes the step, saves a checkpoint and yields
``Finished``); if the trainer has not finished ``close_after`` seconds later, the generator is
closed, which runs its ``finally:``.
"""

from __future__ import annotations

import threading
import time
from typing import Callable, Iterable

from tui_dl.core.training.events import StepDone


class TrainingControl:
    """Flags shared by the UI thread (writer) and the worker thread (reader)."""

    def __init__(self) -> None:
        self.stop = threading.Event()
        self._running = threading.Event()
        self._running.set()

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    def pause(self) -> None:
        if not self.stop.is_set():
            self._running.clear()

    def resume(self) -> None:
        self._running.set()

    def request_stop(self) -> None:
        self.stop.set()
        self._running.set()

    def wait_while_paused(self, is_cancelled: Callable[[], bool]) -> None:
        while not self._running.wait(0.1):
            if self.stop.is_set() or is_cancelled():
                self._running.set()


def pump_events(
    events: Iterable,
    post_batch: Callable[[list], None],
    post_progress: Callable[[StepDone], None],
    control: TrainingControl,
    *,
    is_cancelled: Callable[[], bool] = lambda: False,
    flush_every: float = 0.5,
    progress_every: float = 0.25,
    close_after: float = 5.0,
    clock: Callable[[], float] = time.monotonic,
) -> int:
    """Drive ``events`` to the end (or until stopped); returns the number of events seen."""
    it = iter(events)
    buf: list = []
    last_flush = last_progress = clock()
    stop_seen: float | None = None
    count = 0
    try:
        while True:
            control.wait_while_paused(is_cancelled)
            if is_cancelled() and not control.stop.is_set():
                control.request_stop()
            if control.stop.is_set():
                now = clock()
                stop_seen = stop_seen if stop_seen is not None else now
                if now - stop_seen > close_after:
                    break  # the trainer ignores the stop: close it (below) without its own Finished
            try:
                ev = next(it)
            except StopIteration:
                break
            count += 1
            buf.append(ev)
            now = clock()
            if isinstance(ev, StepDone):
                if now - last_progress >= progress_every:
                    post_progress(ev)
                    last_progress = now
                if now - last_flush >= flush_every:
                    post_batch(buf)
                    buf = []
                    last_flush = now
            else:
                post_batch(buf)
                buf = []
                last_flush = now
    finally:
        close = getattr(it, "close", None)
        if close is not None:
            close()
        if buf:
            post_batch(buf)
    return count
