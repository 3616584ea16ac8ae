"""A scripted stand-in for ``core.train.iter_training``: deterministic events, no torch."""

from __future__ import annotations

import math
import threading
import time
import zlib

from tui_dl.core.training import events as E


def scripted_training(epochs: int = 3, batches: int = 50, log_every: int = 5, delay: float = 0.0,
                      classes: int = 10, overfit: bool = False, fallback: str = "", diverge_at: int | None = None,
                      gate: threading.Event | None = None, folder: str = "runs/fake-run",
                      early_stop_at: int | None = None, rise_at: int | None = None, vary: bool = False,
                      diverged_loss: float = float("nan")):
    """A factory: returns a callable with ``iter_training``'s signature yielding scripted events.

    ``delay`` sleeps between step events (so tests can pause / stop mid-run); ``gate`` (if given) must be
    set before the first step is yielded. The trainer honours ``should_stop`` between steps, like the
    real one: it yields CheckpointSaved('interrupted') and Finished('stopped'). From step ``rise_at`` on the
    logged loss is 40× the first one (a learning rate too high that never quite explodes). ``vary``: each
    experiment gets its own curves (how fast the loss falls depends on its settings), so compared runs differ.
    ``diverge_at``: the run diverges at that step (logged or not) with the loss ``diverged_loss``.
    """

    calls: list[dict] = []

    def trainer(exp, *, run_dir=None, runs_dir="runs", resume=None, should_stop=None, data=None,
                ui_thread=False, origin=None, data_progress=None):
        calls.append({"exp": exp, "runs_dir": runs_dir, "ui_thread": ui_thread, "should_stop": should_stop,
                      "steps": 0, "closed": False, "resume": resume})
        try:
            yield from _events(exp, run_dir or folder, should_stop, calls[-1])
        finally:
            calls[-1]["closed"] = True

    def _events(exp, run_dir, should_stop, record):
        t0 = 0.0
        yield E.RunStarted(name=exp.name if exp is not None else "resumed", run_dir=run_dir, device="cpu", device_name="CPU (test)",
                           dataset="synthetic-digits" if fallback or exp is None else exp.data.name,
                           train_size=batches * 64,
                           val_size=640, test_size=1000, epochs=epochs, steps_per_epoch=batches, params=61706,
                           fallback_reason=fallback, threads=1)
        if gate is not None:
            gate.wait(10)
        step = 0
        first = 2.3
        # how fast the loss falls (1.5 for every experiment unless ``vary``)
        speed = 1.5 if not vary or exp is None else 0.6 + (zlib.crc32(repr(exp.to_dict()).encode()) % 100) / 40
        for epoch in range(1, epochs + 1):
            for b in range(1, batches + 1):
                step += 1
                if should_stop is not None and should_stop.is_set():
                    yield E.CheckpointSaved(path=f"{run_dir}/last.pt", epoch=epoch, step=step, reason="interrupted")
                    yield E.Finished(status="stopped", run_dir=run_dir, epochs_run=epoch - 1, steps=step,
                                     seconds=t0, train_images_per_second=5000.0)
                    return
                if delay:
                    time.sleep(delay)
                record["steps"] = step
                if diverge_at is not None and step >= diverge_at:  # checked every step, like the real trainer
                    yield E.Diverged(epoch=epoch, step=step, loss=diverged_loss, first_loss=first,
                                     reason="nan" if diverged_loss != diverged_loss else "exploded",
                                     advice="The loss became NaN: lower the learning rate (try 10× smaller).")
                    yield E.Finished(status="diverged", run_dir=run_dir, epochs_run=epoch, steps=step,
                                     seconds=t0, train_images_per_second=5000.0)
                    return
                if b % log_every == 0:
                    x = (epoch - 1) + b / batches
                    loss = 0.1 + (first - 0.1) * math.exp(-speed * x) + 0.05 * math.sin(step * 1.7)
                    if rise_at is not None and step >= rise_at:
                        loss = first * 40
                    t0 = step * 0.01
                    yield E.StepDone(epoch=epoch, step=step, batch=b, batches=batches, loss=loss, lr=0.001,
                                     images_per_second=5000.0, elapsed=t0,
                                     eta=(epochs * batches - step) * 0.01)
            train_loss = 0.1 + (first - 0.1) * math.exp(-speed * epoch)
            val_loss = train_loss * 1.1 + (0.05 * epoch * epoch if overfit else 0.0)
            yield E.EpochDone(epoch=epoch, epochs=epochs, step=step, train_loss=train_loss,
                              train_accuracy=min(0.99, 0.6 + 0.12 * epoch * (speed / 1.5)), val_loss=val_loss,
                              val_accuracy=min(0.98, 0.58 + 0.11 * epoch * (speed / 1.5)), lr=0.001, seconds=1.5,
                              images_per_second=5000.0, is_best=not overfit or epoch == 1)
            yield E.CheckpointSaved(path=f"{run_dir}/last.pt", epoch=epoch, step=step, reason="last")
            if early_stop_at is not None and epoch >= early_stop_at:
                yield E.EarlyStopped(epoch=epoch, best_epoch=epoch - 2, monitor="val_loss", best_value=0.3,
                                     patience=2)
                yield E.Finished(status="early_stopped", run_dir=run_dir, epochs_run=epoch, steps=step,
                                 seconds=3.0, train_images_per_second=5000.0, best_epoch=epoch - 2,
                                 best_val_loss=0.3, best_val_accuracy=0.9, test_loss=0.3, test_accuracy=0.9)
                return
        confusion = [[90 if i == j else (2 if (i + j) % 3 == 0 else 1) for j in range(classes)]
                     for i in range(classes)]
        per_class = [row[i] / sum(row) for i, row in enumerate(confusion)]
        yield E.Finished(status="completed", run_dir=run_dir, epochs_run=epochs, steps=step, seconds=4.5,
                         train_images_per_second=5000.0, best_epoch=epochs, best_val_loss=0.2,
                         best_val_accuracy=0.95, test_loss=0.21, test_accuracy=0.9412,
                         per_class_accuracy=per_class, confusion=confusion,
                         classes=[str(i) for i in range(classes)])

    trainer.calls = calls  # type: ignore[attr-defined]
    return trainer
