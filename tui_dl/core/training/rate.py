"""The images per second a step line shows: smoothed over the last few seconds of training.

One step window's own rate (``StepDone.images_per_second``: its images over its time) swings tenfold: a window
that waited for a slow consumer (the app's UI thread, a terminal) reads 556 img/s, the short window of an
epoch's last batch 16,062. :class:`RateMeter` turns the windows into the rate over the last ``RATE_SECONDS``:
all their images over all their time. A window's time is its steps over its rate (the batch size cancels
out), so the time between two events that is not training (the validation pass after an epoch) does not
count, and a tiny window weighs as little as it lasted.

Plain Python (no torch): ``--batch``'s progress line and the app's log and status bar share it, so both show
the same figure.
"""

from __future__ import annotations

import math
from collections import deque

from tui_dl.core.training.events import StepDone

__all__ = ["RATE_SECONDS", "RateMeter"]

#: How many seconds of the run the rate is taken over.
RATE_SECONDS = 3.0


class RateMeter:
    """Feed it every ``StepDone`` of one run in order; ``add`` returns the smoothed images per second."""

    def __init__(self, seconds: float = RATE_SECONDS) -> None:
        self.seconds = seconds
        self.rate: float | None = None
        self._last: StepDone | None = None
        self._clock = 0.0  # seconds of training so far (the run's elapsed time less the gaps between epochs)
        self._seconds_per_step: float | None = None
        self._window: deque[tuple[float, int, float]] = deque()  # (clock, steps, steps / rate)

    def add(self, ev: StepDone) -> float | None:
        last = self._last
        if last is not None and ev.step <= last.step:  # a resumed run starts over
            self._window.clear()
            last = None
        self._last = ev
        # the steps this window took: since the previous event (the first: since its epoch began)
        steps = ev.step - last.step if last is not None else ev.batch
        if last is not None and ev.epoch == last.epoch:
            gap = max(ev.elapsed - last.elapsed, 0.0)
            self._seconds_per_step = gap / steps if steps else self._seconds_per_step
        else:  # the first window, or one after a validation pass: its length as the windows before it
            gap = steps * self._seconds_per_step if self._seconds_per_step is not None else 0.0
        self._clock += gap
        rate = ev.images_per_second
        if steps > 0 and math.isfinite(rate) and rate > 0:
            self._window.append((self._clock, steps, steps / rate))
        while len(self._window) > 1 and self._window[0][0] < self._clock - self.seconds:
            self._window.popleft()
        time = sum(w[2] for w in self._window)
        if time > 0:
            self.rate = sum(w[1] for w in self._window) / time
        elif math.isfinite(rate) and rate >= 0:
            self.rate = rate
        return self.rate
