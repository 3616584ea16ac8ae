"""The plain-language diagnoses (tui_dl/core/training/diagnosis.py) that the app's log and banner and --batch print."""

from __future__ import annotations

from tui_dl.core.training.diagnosis import RISING_FACTOR, Diagnoser, rising
from tui_dl.core.training.events import EpochDone, StepDone


def step(i, loss, lr=0.1):
    return StepDone(epoch=1, step=i, batch=i, batches=100, loss=loss, lr=lr, images_per_second=1.0, elapsed=i,
                    eta=0.0)


def epoch(i, tl, vl):
    return EpochDone(epoch=i, epochs=9, step=i, train_loss=tl, train_accuracy=None, val_loss=vl,
                     val_accuracy=None, lr=1e-5, seconds=1, images_per_second=1)


def test_a_loss_ten_times_its_start_is_reported_once_with_the_learning_rate():
    d = Diagnoser()
    assert d.add(step(10, 2.3)) == []
    assert d.add(step(20, 2.3 * (RISING_FACTOR - 1))) == []       # 9×: still nothing
    found = d.add(step(30, 2.3 * RISING_FACTOR * 4))              # 40×
    assert [k for k, _ in found] == ["rising"]
    msg = found[0][1]
    assert "at step 30" in msg and "40× where it started (2.3)" in msg and "lr = 0.1; try 0.01" in msg
    assert d.add(step(40, 2.3 * 100)) == []                       # once a run


def test_the_first_finite_loss_is_the_reference_and_nan_is_left_to_the_divergence_check():
    d = Diagnoser()
    assert d.add(step(1, float("nan"))) == []
    assert d.add(step(2, 0.5)) == []
    assert d.add(step(3, float("inf"))) == []
    assert d.add(step(4, float("nan"))) == []
    assert [k for k, _ in d.add(step(5, 6.0))] == ["rising"]
    assert rising(5.0, None, 0.1, 1) is None and rising(5.0, 0.0, 0.1, 1) is None


def test_overfitting_and_flat_loss_come_at_the_end_of_an_epoch():
    over = Diagnoser()
    over.add(step(1, 2.3))
    got = [f for e in (epoch(1, 1.0, 1.0), epoch(2, 0.8, 1.1), epoch(3, 0.6, 1.2)) for f in over.add(e)]
    assert [k for k, _ in got] == ["overfitting"] and "epoch 1" in got[0][1]
    flat = Diagnoser()
    flat.add(step(1, 2.31, lr=1e-5))
    got = [f for e in (epoch(1, 2.30, 2.3), epoch(2, 2.299, 2.3)) for f in flat.add(e)]
    assert [k for k, _ in got] == ["flat"] and "lr = 1e-05" in got[0][1]
    healthy = Diagnoser()
    healthy.add(step(1, 2.3))
    assert [f for e in (epoch(1, 1.0, 1.0), epoch(2, 0.5, 0.6), epoch(3, 0.3, 0.4)) for f in healthy.add(e)] == []
