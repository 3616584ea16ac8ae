"""``--resume run/best.pt --out new`` makes a complete run folder: the checkpoint's history is written into the new
folder's metrics.csv and metrics.jsonl (before the fix metrics.csv held only its header), and the checkpoint
becomes its last.pt (and best.pt) (issue 13 item 21, first part)."""

from __future__ import annotations

import csv
import json

from tests.core.test_train import MLP2, make_exp, of
from tests.core.test_best_epoch import SCRIPT, moons, scripted_validation  # noqa: F401 - fixtures
from tui_dl.core.runs.checkpoint import load_checkpoint
from tui_dl.core.runs.folder import read_metrics
from tui_dl.core.training.events import EpochDone, Finished, Notice
from tui_dl.core.training.loop import iter_training
from tui_dl.core.training.state import history_events


def _rows(d):
    return list(csv.DictReader((d / "metrics.csv").open()))


def _epochs(d):
    """The epoch events, without their "time" stamp (when each line was written)."""
    return [{k: v for k, v in e.items() if k != "time"} for e in read_metrics(d) if e["event"] == "epoch"]


def test_a_finished_run_resumed_from_best_pt_into_a_new_folder_has_its_history(scripted_validation, moons,
                                                                                tmp_path):
    exp = make_exp(MLP2, [2], {"name": "moons"}, epochs=4, batch_size=32, optimizer={"name": "adam", "lr": 0.02})
    list(iter_training(exp, run_dir=tmp_path / "run", data=moons))  # the best val loss is epoch 2 (SCRIPT)
    assert load_checkpoint(tmp_path / "run" / "best.pt")["epochs_completed"] == 2

    scripted_validation[:] = [1, 1]  # epochs 3 and 4 are validated again: SCRIPT's epochs 3 and 4
    ev = list(iter_training(None, resume=tmp_path / "run" / "best.pt", run_dir=tmp_path / "new", data=moons))
    new = tmp_path / "new"
    # the new folder: epochs 1-2 as the first run logged them, then epochs 3-4 trained again from best.pt
    assert [r["epoch"] for r in _rows(new)] == ["1", "2", "3", "4"]
    assert _rows(new)[:2] == _rows(tmp_path / "run")[:2]  # every column, seconds included
    assert _epochs(new)[:2] == _epochs(tmp_path / "run")[:2]  # is_best as the run had it
    assert [e.epoch for e in of(ev, EpochDone)] == [3, 4]
    notes = [n.message for n in of(ev, Notice)]
    assert any(f"this run folder continues {tmp_path / 'run' / 'best.pt'}: its history (epochs 1-2) is written "
               f"into metrics.csv and metrics.jsonl, the checkpoint as last.pt and best.pt" == m for m in notes), notes
    for name in ("config.yaml", "metrics.jsonl", "metrics.csv", "last.pt", "best.pt", "summary.json"):
        assert (new / name).is_file(), name
    assert load_checkpoint(new / "best.pt")["epochs_completed"] == 2  # scripted: no later epoch is better
    summary = json.loads((new / "summary.json").read_text())
    assert [h["epoch"] for h in summary["history"]] == [1, 2, 3, 4] and summary["best"]["epoch"] == 2
    assert of(ev, Finished)[0].best_checkpoint == str(new / "best.pt")
    assert [e.val_loss for e in of(ev, EpochDone)] == [v for v, _ in SCRIPT[2:]]


def test_a_finished_run_evaluated_again_into_a_new_folder(moons, tmp_path):
    """The issue's repro: best.pt of a finished run, nothing left to train: the new folder still holds the run."""
    exp = make_exp(MLP2, [2], {"name": "moons"}, epochs=2, batch_size=32)
    list(iter_training(exp, run_dir=tmp_path / "run", data=moons))
    best_epoch = load_checkpoint(tmp_path / "run" / "best.pt")["epochs_completed"]
    list(iter_training(None, resume=tmp_path / "run" / "last.pt", run_dir=tmp_path / "new", data=moons))
    assert _rows(tmp_path / "new") == _rows(tmp_path / "run") and len(_rows(tmp_path / "new")) == 2
    copied = load_checkpoint(tmp_path / "new" / "last.pt")
    assert copied["step"] == load_checkpoint(tmp_path / "run" / "last.pt")["step"]
    assert copied["inference"]["input_shape"] == [2] and copied["inference"]["classes"] == ["0", "1"]
    assert (tmp_path / "new" / "best.pt").is_file() == (best_epoch == 2)


def test_resuming_in_the_runs_own_folder_writes_no_second_history(moons, tmp_path):
    exp = make_exp(MLP2, [2], {"name": "moons"}, epochs=2, batch_size=32)
    list(iter_training(exp, run_dir=tmp_path / "run", data=moons))
    longer = make_exp(MLP2, [2], {"name": "moons"}, epochs=3, batch_size=32)
    ev = list(iter_training(longer, resume=tmp_path / "run", data=moons))
    assert [r["epoch"] for r in _rows(tmp_path / "run")] == ["1", "2", "3"]
    assert not [n for n in of(ev, Notice) if "continues" in n.message]


def test_history_events_of_an_older_checkpoint():
    """History records written before they kept the epoch's time: 0 seconds; is_best by the run's own rule."""
    hist = [{"epoch": 1, "step": 5, "train_loss": 0.9, "train_accuracy": 0.5, "val_loss": 0.8, "val_accuracy": 0.6,
             "lr": 0.1},
            {"epoch": 2, "step": 10, "train_loss": 0.7, "train_accuracy": 0.6, "val_loss": 0.85, "val_accuracy": 0.7,
             "lr": 0.1},
            {"epoch": 3, "step": 15, "train_loss": 0.6, "train_accuracy": 0.7, "val_loss": 0.5, "val_accuracy": 0.7,
             "lr": 0.05}]
    evs = history_events(hist, epochs=5, monitor="val_loss", mode="min")
    assert [e.is_best for e in evs] == [True, False, True]
    assert [(e.epoch, e.epochs, e.step, e.seconds) for e in evs] == [(1, 5, 5, 0.0), (2, 5, 10, 0.0), (3, 5, 15, 0.0)]
    assert [e.is_best for e in history_events(hist, epochs=5, monitor="val_loss", mode="min", min_delta=0.4)] == \
        [True, False, False]
