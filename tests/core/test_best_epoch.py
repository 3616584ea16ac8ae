""""best val acc" used to be the val accuracy at the lowest val loss. Both are reported now, each named for what it
is, with the epoch best.pt holds and why (issue 13 item 20)."""

from __future__ import annotations

import json

import pytest

from tests.core.test_train import MLP2, make_exp, of, run
from tui_dl.core.data import load_dataset
from tui_dl.core.runs.checkpoint import load_checkpoint
from tui_dl.core.training import loop
from tui_dl.core.training.best_epoch import best_checkpoint_line, best_epoch_line, highest, monitor_source
from tui_dl.core.training.events import EpochDone, Finished

#: (val loss, val accuracy) per epoch: the lowest loss is epoch 2, the highest accuracy epoch 3
SCRIPT = [(0.50, 0.80), (0.30, 0.90), (0.35, 0.92), (0.40, 0.91)]


@pytest.fixture(scope="module")
def moons():
    return load_dataset("moons", num_samples=400, val_split=0.1, seed=0)


@pytest.fixture
def scripted_validation(monkeypatch):
    """The real run, with validation answering SCRIPT epoch by epoch (the test set is evaluated for real). The
    list of validation calls so far is returned (a resumed run sets it to the epochs already done)."""
    real, calls = loop.evaluate, []

    def evaluate(*args, confusion=False, **kw):
        if confusion:
            return real(*args, confusion=confusion, **kw)
        calls.append(1)
        return SCRIPT[len(calls) - 1] + (None,)

    monkeypatch.setattr(loop, "evaluate", evaluate)
    return calls


def _fin(**kw) -> Finished:
    base = dict(status="completed", run_dir="r", epochs_run=4, steps=40, seconds=1.0, train_images_per_second=1.0,
                best_epoch=2, best_val_loss=0.3, best_val_accuracy=0.9, monitor="val_loss", monitor_mode="min",
                monitor_source="early_stopping", val_accuracy_at_best=0.9, highest_val_accuracy=0.92,
                highest_val_accuracy_epoch=3, best_checkpoint="r/best.pt")
    return Finished(**{**base, **kw})


def test_a_run_reports_the_val_acc_at_the_best_epoch_and_the_highest_one(scripted_validation, moons, tmp_path):
    exp = make_exp(MLP2, [2], {"name": "moons"}, epochs=4, batch_size=32, optimizer={"name": "adam", "lr": 0.02},
                   early_stopping={"patience": 10, "monitor": "val_loss"})
    ev = run(exp, tmp_path, moons)
    assert [e.is_best for e in of(ev, EpochDone)] == [True, True, False, False]
    fin = of(ev, Finished)[0]
    assert (fin.best_epoch, fin.best_val_loss, fin.best_val_accuracy) == (2, 0.30, 0.90)  # kept as they were
    assert (fin.val_accuracy_at_best, fin.highest_val_accuracy, fin.highest_val_accuracy_epoch) == (0.90, 0.92, 3)
    assert (fin.monitor, fin.monitor_mode, fin.monitor_source) == ("val_loss", "min", "early_stopping")
    assert fin.best_checkpoint == str(tmp_path / "run" / "best.pt")
    assert load_checkpoint(tmp_path / "run" / "best.pt")["epochs_completed"] == 2  # best.pt holds epoch 2

    s = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert s["best"]["epoch"] == 2 and s["best"]["val_accuracy"] == 0.90  # the old keys, unchanged
    assert s["val_accuracy_at_best"] == 0.90
    assert s["highest_val_accuracy"] == {"epoch": 3, "value": 0.92}
    assert s["best_checkpoint"] == {"path": str(tmp_path / "run" / "best.pt"), "epoch": 2, "monitor": "val_loss",
                                    "mode": "min", "source": "early_stopping",
                                    "why": "best.pt holds epoch 2: the lowest val loss (the early-stopping monitor)"}
    assert best_epoch_line(fin) == "val acc at best val loss (epoch 2): 90.00% · best val acc 92.00% (epoch 3)"


def test_without_early_stopping_the_default_monitor_is_named(scripted_validation, moons, tmp_path):
    exp = make_exp(MLP2, [2], {"name": "moons"}, epochs=3, batch_size=32, checkpoints=False)
    fin = of(run(exp, tmp_path, moons), Finished)[0]
    assert (fin.monitor, fin.monitor_source, fin.best_checkpoint) == ("val_loss", "default", "")
    assert best_checkpoint_line(fin) == ("best epoch 2: the lowest val loss (watched by default: early stopping is "
                                         "off); no best.pt in this run folder")


def test_the_lines_for_each_monitor():
    assert best_epoch_line(_fin()) == "val acc at best val loss (epoch 2): 90.00% · best val acc 92.00% (epoch 3)"
    assert best_checkpoint_line(_fin()) == "best.pt holds epoch 2: the lowest val loss (the early-stopping monitor)"
    # watching val accuracy: one number when the best epoch is the highest one
    acc = _fin(monitor="val_accuracy", monitor_mode="max", best_epoch=3, best_val_accuracy=0.92,
               val_accuracy_at_best=0.92)
    assert best_epoch_line(acc) == "best val acc 92.00% (epoch 3)"
    assert best_checkpoint_line(acc) == "best.pt holds epoch 3: the highest val acc (the early-stopping monitor)"
    # the lowest val loss and the highest val accuracy in the same epoch: one number, not the same one twice
    same = _fin(best_epoch=3, best_val_accuracy=0.92, val_accuracy_at_best=0.92)
    assert best_epoch_line(same) == "best val acc 92.00% (epoch 3, also the lowest val loss)"
    # no validation split: the best epoch by the training loss
    train = _fin(monitor="train_loss", best_val_loss=None, best_val_accuracy=None, val_accuracy_at_best=None,
                 highest_val_accuracy=None, highest_val_accuracy_epoch=None, monitor_source="fallback")
    assert best_epoch_line(train) == "best epoch 2 (lowest train loss)"
    assert "watched instead of the validation split" in best_checkpoint_line(train)
    # a Finished replayed from an older run folder (no monitor recorded): the old line, no claim about best.pt
    old = Finished(status="completed", run_dir="r", epochs_run=4, steps=40, seconds=1.0, train_images_per_second=1.0,
                   best_epoch=2, best_val_loss=0.3, best_val_accuracy=0.9)
    assert best_epoch_line(old) == "best epoch 2, val 90.00%" and best_checkpoint_line(old) == ""
    assert best_epoch_line(_fin(best_epoch=None)) == ""


def test_highest_and_monitor_source():
    hist = [{"epoch": 1, "val_accuracy": 0.5}, {"epoch": 2, "val_accuracy": float("nan")},
            {"epoch": 3, "val_accuracy": 0.7}, {"epoch": 4, "val_accuracy": 0.7}, {"epoch": 5, "val_accuracy": None}]
    assert highest(hist) == (3, 0.7)  # the first of equals; NaN and None are skipped
    assert highest([]) == (None, None)
    assert monitor_source(True, "val_loss", "val_loss") == "early_stopping"
    assert monitor_source(False, "val_loss", "val_loss") == "default"
    assert monitor_source(True, "val_accuracy", "train_loss") == "fallback"


def test_old_finished_events_still_load():
    """metrics.jsonl of an older run has none of the new fields: the event loads with their defaults."""
    from tui_dl.core.training.events import event_from_dict

    ev = event_from_dict({"event": "finished", "status": "completed", "run_dir": "r", "epochs_run": 2, "steps": 8,
                          "seconds": 1.0, "train_images_per_second": 3.0, "best_epoch": 2, "best_val_accuracy": 0.8})
    assert ev.monitor == "" and ev.highest_val_accuracy is None and ev.best_val_accuracy == 0.8
