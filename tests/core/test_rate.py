"""The smoothed img/s of the step lines (core/training/rate.py): jittery step windows, a validation pass between
epochs, a resumed run; the app's log and --batch's progress line show the same figure."""

from __future__ import annotations

import io
import random

from tui_dl.core.training.events import StepDone
from tui_dl.core.training.rate import RateMeter

BATCH = 64


def _jittery_run(epochs: int = 3, batches: int = 400, log_every: int = 10, seed: int = 0):
    """StepDone events as the trainer makes them (each window's images over its time), with steps that take
    1-3 ms, one window in 8 that waited 150 ms for a slow consumer, an epoch's short last window, and a 2 s
    validation pass between epochs. Returns the events and the true training rate (all images / all time)."""
    rng = random.Random(seed)
    elapsed, images_total, train_time, out, step = 0.0, 0, 0.0, [], 0
    for epoch in range(1, epochs + 1):
        window_t, window_n = 0.0, 0
        for b in range(1, batches + 1):
            step += 1
            dt = rng.uniform(0.001, 0.003)
            window_t += dt
            window_n += BATCH
            if step % log_every == 0 or b == batches:
                if rng.random() < 1 / 8:
                    window_t += 0.15  # the window waited for the consumer
                elapsed += window_t
                train_time += window_t
                images_total += window_n
                out.append(StepDone(epoch=epoch, step=step, batch=b, batches=batches, loss=1.0, lr=0.1,
                                    images_per_second=window_n / window_t, elapsed=elapsed, eta=1.0))
                window_t, window_n = 0.0, 0
        elapsed += 2.0  # validation: between two events, not training
    return out, images_total / train_time


def test_the_smoothed_rate_does_not_swing_with_each_window_and_follows_the_true_rate():
    events, true_rate = _jittery_run()
    raw = [ev.images_per_second for ev in events]
    assert max(raw) / min(raw) > 5  # the windows' own rates swing (that is what the log used to print)
    meter = RateMeter()
    smoothed = [meter.add(ev) for ev in events]
    settled = smoothed[10:]
    assert max(settled) / min(settled) < 2
    assert all(0.7 * true_rate < r < 1.4 * true_rate for r in settled), (min(settled), max(settled), true_rate)


def test_the_validation_pass_between_epochs_does_not_count_as_training_time():
    # two epochs of steady 10,000 img/s windows, 30 s of validation between them
    events = [StepDone(epoch=1, step=s, batch=s, batches=100, loss=1.0, lr=0.1, images_per_second=10_000.0,
                       elapsed=s * 0.064, eta=1.0) for s in range(10, 101, 10)]
    events += [StepDone(epoch=2, step=100 + s, batch=s, batches=100, loss=1.0, lr=0.1, images_per_second=10_000.0,
                        elapsed=30 + 6.4 + s * 0.064, eta=1.0) for s in range(10, 101, 10)]
    meter = RateMeter()
    assert all(abs(meter.add(ev) - 10_000) < 1e-6 for ev in events)


def test_a_resumed_run_and_bad_rates_neither_crash_nor_poison_the_figure():
    meter = RateMeter()
    assert meter.add(StepDone(epoch=1, step=50, batch=50, batches=100, loss=1.0, lr=0.1, images_per_second=0.0,
                              elapsed=1.0, eta=1.0)) == 0.0
    assert meter.add(StepDone(epoch=1, step=60, batch=60, batches=100, loss=1.0, lr=0.1,
                              images_per_second=float("nan"), elapsed=1.1, eta=1.0)) == 0.0
    assert meter.add(StepDone(epoch=1, step=70, batch=70, batches=100, loss=1.0, lr=0.1, images_per_second=800.0,
                              elapsed=1.2, eta=1.0)) == 800.0
    # the step count goes back (a run resumed from an earlier checkpoint): the window starts over
    assert meter.add(StepDone(epoch=1, step=20, batch=20, batches=100, loss=1.0, lr=0.1, images_per_second=300.0,
                              elapsed=0.5, eta=1.0)) == 300.0


def test_the_app_log_and_the_batch_progress_line_print_the_same_rate(monkeypatch):
    import tui_dl.cli.batch as batch
    from tui_dl.app.session import RunRecord
    from tui_dl.cli.batch import _Printer

    monkeypatch.setattr(batch, "LIVE_EVERY", 0.0)  # every step's line (a terminal's is redrawn 10× a second)

    events, _ = _jittery_run(epochs=1, batches=200)
    rec = RunRecord(id=1, name="t", experiment=None)

    class Tty(io.StringIO):
        def isatty(self):
            return True

    out = Tty()
    printer = _Printer(out, quiet=False, color=False)
    for ev in events:
        rec.add(ev)
        out.seek(0)
        out.truncate()
        printer.step(ev)
        shown = out.getvalue().split("loss 1.0000")[1].split("img/s")[0].strip()
        assert shown == f"{rec.rate:,.0f}"
    step_lines = [line for line in rec.log if "img/s" in line]
    assert step_lines and step_lines[-1].endswith(f"  {rec.rate:,.0f} img/s")
