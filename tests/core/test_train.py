"""The training engine on tiny data: optimizers, losses, schedulers, determinism, divergence, early stopping,
interruption + exact resume, the run folder. Everything runs on the CPU with 1 thread in a few seconds."""

from __future__ import annotations

import csv
import json
import math
import threading

import pytest
import torch

from tui_dl.core.config import schema as C
from tui_dl.core.runs.checkpoint import load_checkpoint, model_from_checkpoint
from tui_dl.core.data import load_dataset, normalize_batch
from tui_dl.core.training.events import (CheckpointSaved, Diverged, EarlyStopped, EpochDone, Finished, Notice, RunStarted,
                                StepDone, event_to_dict)
from tui_dl.core.config.experiment import experiment_from_data
from tui_dl.core.training.loop import SetupError, iter_training

LENET = [
    {"type": "Conv2d", "out_channels": 6, "kernel_size": 5, "padding": 2}, {"type": "ReLU"},
    {"type": "MaxPool2d", "kernel_size": 2},
    {"type": "Conv2d", "out_channels": 16, "kernel_size": 5}, {"type": "ReLU"},
    {"type": "MaxPool2d", "kernel_size": 2}, {"type": "Flatten"},
    {"type": "Linear", "out_features": 120}, {"type": "ReLU"},
    {"type": "Linear", "out_features": 84}, {"type": "ReLU"},
    {"type": "Linear", "out_features": 10},
]
MLP2 = [{"type": "Linear", "out_features": 16}, {"type": "Tanh"}, {"type": "Linear", "out_features": 2}]
FNN231 = [{"type": "Linear", "out_features": 3}, {"type": "Tanh"}, {"type": "Linear", "out_features": 1}]


def make_exp(layers, input_shape, data, **train):
    train.setdefault("threads", 1)
    train.setdefault("log_every", 5)
    return experiment_from_data({"name": "t", "input": list(input_shape), "layers": layers, "data": data,
                                 "train": train}, "test")


@pytest.fixture(scope="module")
def digits():
    return load_dataset("synthetic-digits", num_samples=400, val_split=0.1, seed=0, input_shape=(1, 28, 28))


@pytest.fixture(scope="module")
def moons():
    return load_dataset("moons", num_samples=400, val_split=0.1, seed=0)


def run(exp, tmp_path, data=None, name="run", **kw):
    events = list(iter_training(exp, run_dir=tmp_path / name, data=data, **kw))
    return events


def of(events, cls):
    return [e for e in events if isinstance(e, cls)]


# ----------------------------------------------------------------------------- optimizers, losses, schedulers


@pytest.mark.parametrize("opt", list(C.OPTIMIZERS))
def test_every_optimizer_trains_and_lowers_the_loss(opt, moons, tmp_path):
    lr = {"gd": 0.5, "sgd": 0.1, "momentum": 0.05, "nesterov": 0.05, "adagrad": 0.05, "rmsprop": 0.01,
          "adam": 0.01, "adamw": 0.01}[opt]
    epochs = 30 if opt == "gd" else 4
    exp = make_exp(MLP2, [2], {"name": "moons", "num_samples": 400}, epochs=epochs, batch_size=32,
                   optimizer={"name": opt, "lr": lr}, weight_decay=1e-4, checkpoints=False)
    ev = run(exp, tmp_path, moons)
    losses = [e.train_loss for e in of(ev, EpochDone)]
    assert len(losses) == epochs and all(math.isfinite(v) for v in losses)
    assert losses[-1] < losses[0] * 0.9, losses
    fin = of(ev, Finished)[0]
    assert fin.status == "completed" and fin.test_accuracy > 0.75
    if opt == "gd":
        assert of(ev, RunStarted)[0].steps_per_epoch == 1 and fin.steps == epochs


@pytest.mark.parametrize("loss,layers", [
    ("cross_entropy", MLP2),
    ({"name": "cross_entropy", "label_smoothing": 0.1}, MLP2),
    ("nll", MLP2 + [{"type": "LogSoftmax"}]),
    ("mse", MLP2),
    ("mae", MLP2),
    ("mse", FNN231),
    ("bce", FNN231),
    ("bce", FNN231 + [{"type": "Sigmoid"}]),
    ("bce", MLP2),
    ({"name": "focal", "gamma": 2.0, "alpha": 0.25}, FNN231),
    ("focal", MLP2),
])
def test_every_loss_trains(loss, layers, moons, tmp_path):
    exp = make_exp(layers, [2], {"name": "moons"}, epochs=5, batch_size=32, loss=loss,
                   optimizer={"name": "adam", "lr": 0.02}, checkpoints=False)
    ev = run(exp, tmp_path, moons)
    losses = [e.train_loss for e in of(ev, EpochDone)]
    assert all(math.isfinite(v) for v in losses)
    assert losses[-1] < losses[0], losses
    assert of(ev, Finished)[0].test_accuracy > 0.7


def test_gd_is_one_true_full_batch_step(moons, tmp_path):
    """Chunked gradient accumulation must equal one gradient step on the whole training set."""
    exp = make_exp(MLP2, [2], {"name": "moons"}, epochs=1, optimizer={"name": "gd", "lr": 0.5})
    list(iter_training(exp, run_dir=tmp_path / "gd", data=moons))
    trained, _ = model_from_checkpoint(tmp_path / "gd" / "last.pt")
    # the same start (same seed), one manual full-batch step
    from tui_dl.core.model.build import build_model
    from tui_dl.core.training.loop import seed_everything
    seed_everything(0)
    ref = build_model(exp.network)
    x = normalize_batch(moons.train.x, moons.mean, moons.std)
    loss = torch.nn.functional.cross_entropy(ref(x), moons.train.y)
    loss.backward()
    with torch.no_grad():
        for p in ref.parameters():
            p -= 0.5 * p.grad
    for a, b in zip(trained.parameters(), ref.parameters()):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-6)


def test_gd_with_more_samples_than_one_chunk_matches_full_batch(tmp_path):
    data = load_dataset("moons", num_samples=12_000, val_split=0.0, seed=0)  # > 8192 points: 2 chunks
    exp = make_exp(MLP2, [2], {"name": "moons", "val_split": 0.0}, epochs=1, optimizer={"name": "gd", "lr": 1.0})
    list(iter_training(exp, run_dir=tmp_path / "gd", data=data))
    trained, _ = model_from_checkpoint(tmp_path / "gd" / "last.pt")
    from tui_dl.core.model.build import build_model
    from tui_dl.core.training.loop import seed_everything
    seed_everything(0)
    ref = build_model(exp.network)
    torch.nn.functional.cross_entropy(ref(data.train.x), data.train.y).backward()
    with torch.no_grad():
        for p in ref.parameters():
            p -= 1.0 * p.grad
    for a, b in zip(trained.parameters(), ref.parameters()):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-6)


@pytest.mark.parametrize("sched,expect", [
    ({"name": "step", "step_size": 2, "gamma": 0.1}, [0.1, 0.1, 0.01, 0.01]),
    ({"name": "exponential", "gamma": 0.5}, [0.1, 0.05, 0.025, 0.0125]),
    ({"name": "cosine"}, [0.1 * (1 + math.cos(math.pi * e / 4)) / 2 for e in range(4)]),
])
def test_schedulers_set_the_learning_rate_per_epoch(sched, expect, moons, tmp_path):
    exp = make_exp(MLP2, [2], {"name": "moons"}, epochs=4, optimizer={"name": "sgd", "lr": 0.1}, scheduler=sched,
                   checkpoints=False)
    ev = run(exp, tmp_path, moons)
    lrs = [e.lr for e in of(ev, EpochDone)]
    assert lrs == pytest.approx(expect, rel=1e-6)
    losses = [e.train_loss for e in of(ev, EpochDone)]
    assert all(math.isfinite(v) for v in losses) and losses[-1] < losses[0]


def test_plateau_scheduler_cuts_the_rate_when_val_loss_stalls(moons, tmp_path):
    # lr so small that nothing improves by min_delta → the plateau rule fires after `patience` epochs
    exp = make_exp(MLP2, [2], {"name": "moons"}, epochs=4, optimizer={"name": "sgd", "lr": 1e-6},
                   scheduler={"name": "plateau", "patience": 0, "factor": 0.5}, checkpoints=False)
    lrs = [e.lr for e in of(run(exp, tmp_path, moons), EpochDone)]
    assert lrs[0] == pytest.approx(1e-6) and lrs[-1] == pytest.approx(1e-6 * 0.5 ** 2)


# ----------------------------------------------------------------------------- checks before training


def test_output_width_must_match_the_classes(digits, tmp_path):
    layers = LENET[:-1] + [{"type": "Linear", "out_features": 12}]
    exp = make_exp(layers, [1, 28, 28], {"name": "synthetic-digits"}, epochs=1)
    with pytest.raises(SetupError, match=r"ends with 12 outputs but synthetic-digits has 10 classes: set the last "
                                         r"Linear's out_features to 10"):
        run(exp, tmp_path, digits)
    assert not (tmp_path / "run").exists()  # nothing written for a run that cannot start


def test_cross_entropy_on_one_output_is_refused(moons, tmp_path):
    exp = make_exp(FNN231, [2], {"name": "moons"}, epochs=1, loss="cross_entropy")
    with pytest.raises(SetupError, match="use loss: bce"):
        run(exp, tmp_path, moons)


def test_softmax_before_cross_entropy_and_nll_without_logsoftmax_warn(moons, tmp_path):
    exp = make_exp(MLP2 + [{"type": "Softmax"}], [2], {"name": "moons"}, epochs=1, checkpoints=False)
    notes = [n.message for n in of(run(exp, tmp_path, moons, name="a"), Notice) if n.level == "warning"]
    assert any("ends with Softmax" in m and "cross_entropy applies log-softmax" in m for m in notes)
    exp = make_exp(MLP2, [2], {"name": "moons"}, epochs=1, loss="nll", checkpoints=False)
    notes = [n.message for n in of(run(exp, tmp_path, moons, name="b"), Notice) if n.level == "warning"]
    assert any("LogSoftmax" in m for m in notes)


@pytest.mark.parametrize("last", [[], [{"type": "Softmax"}]])
def test_nll_without_logsoftmax_is_stopped_below_its_minimum(last, moons, tmp_path):
    """nll on raw scores (or probabilities) has no lower bound: before the fix it trained to -1e8 with every epoch
    "best". A loss below its minimum (0) ends the run like a divergence, with the reason (issue 13 item 11)."""
    exp = make_exp(MLP2 + last, [2], {"name": "moons"}, epochs=3, batch_size=32, loss="nll",
                   optimizer={"name": "adam", "lr": 0.05})
    ev = run(exp, tmp_path, moons)
    div = of(ev, Diverged)
    assert len(div) == 1 and div[0].reason == "below_minimum" and div[0].loss < 0, div
    assert div[0].epoch == 1 and div[0].step <= 5
    advice = div[0].advice
    assert "nll fell to" in advice and "below 0, the lowest value it can take" in advice
    assert "expects log-probabilities" in advice and "LogSoftmax" in advice and "loss: cross_entropy" in advice
    assert "learning rate" not in advice  # not a divergence from a too-high learning rate
    assert not of(ev, EpochDone)  # no epoch is ever reported "best" with an impossible loss
    fin = of(ev, Finished)[0]
    assert fin.status == "diverged" and fin.test_accuracy is None
    assert load_checkpoint(tmp_path / "run" / "last.pt")["step"] == 0  # the last good checkpoint is kept
    assert json.loads((tmp_path / "run" / "summary.json").read_text())["status"] == "diverged"


def test_a_loss_at_its_minimum_is_not_stopped(moons, tmp_path):
    """The bound is the loss's minimum: a network that fits (cross-entropy towards 0, float rounding included) runs
    to the end."""
    exp = make_exp(MLP2, [2], {"name": "moons"}, epochs=3, batch_size=32, loss="mse",
                   optimizer={"name": "adam", "lr": 0.05}, checkpoints=False)
    ev = run(exp, tmp_path, moons)
    assert not of(ev, Diverged) and of(ev, Finished)[0].status == "completed"


def test_unavailable_device_is_a_setup_error(moons, tmp_path):
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    exp = make_exp(MLP2, [2], {"name": "moons"}, epochs=1, device="cuda")
    with pytest.raises(SetupError, match="no NVIDIA GPU"):
        run(exp, tmp_path, moons)


# ----------------------------------------------------------------------------- determinism, run folder


def lenet_exp(**train):
    train.setdefault("epochs", 2)
    train.setdefault("batch_size", 32)
    return make_exp(LENET, [1, 28, 28], {"name": "synthetic-digits", "num_samples": 400}, **train)


def metrics_of(events):
    steps = [(e.epoch, e.step, e.batch, e.loss, e.lr) for e in of(events, StepDone)]
    epochs = [(e.epoch, e.step, e.train_loss, e.train_accuracy, e.val_loss, e.val_accuracy, e.lr)
              for e in of(events, EpochDone)]
    fin = of(events, Finished)[0]
    return steps, epochs, (fin.test_loss, fin.test_accuracy, fin.confusion)


def test_same_seed_same_numbers_and_another_seed_differs(digits, tmp_path):
    a = metrics_of(run(lenet_exp(), tmp_path, digits, name="a"))
    b = metrics_of(run(lenet_exp(), tmp_path, digits, name="b"))
    c = metrics_of(run(lenet_exp(seed=1), tmp_path, digits, name="c"))
    assert a == b
    assert a[0] != c[0]
    assert len(a[0]) >= 4 and len(a[1]) == 2


def test_run_folder_has_every_file(digits, tmp_path):
    ev = run(lenet_exp(), tmp_path, digits)
    d = tmp_path / "run"
    for f in ("config.yaml", "metrics.jsonl", "metrics.csv", "last.pt", "best.pt", "summary.json"):
        assert (d / f).is_file(), f
    lines = [json.loads(x) for x in (d / "metrics.jsonl").read_text().splitlines()]
    kinds = [x["event"] for x in lines]
    assert kinds[0] == "started" and kinds[-1] == "finished"
    assert kinds.count("epoch") == 2 and kinds.count("step") == len(of(ev, StepDone))
    rows = list(csv.DictReader((d / "metrics.csv").open()))
    assert [int(r["epoch"]) for r in rows] == [1, 2]
    assert float(rows[1]["train_loss"]) == pytest.approx(of(ev, EpochDone)[1].train_loss, rel=1e-5)
    assert set(rows[0]) == {"epoch", "step", "train_loss", "train_accuracy", "val_loss", "val_accuracy", "lr",
                            "seconds", "images_per_second"}
    s = json.loads((d / "summary.json").read_text())
    fin = of(ev, Finished)[0]
    assert s["status"] == "completed" and s["test_accuracy"] == fin.test_accuracy
    assert s["params"] == 61_706 and s["dataset"] == "synthetic-digits" and len(s["confusion"]) == 10
    assert sum(map(sum, s["confusion"])) == len(digits.test)
    assert set(s["versions"]) == {"python", "torch", "torchvision", "tui_dl"}
    for key in ("final", "best", "per_class_accuracy", "classes", "seconds", "train_images_per_second", "device",
                "device_name", "fallback_reason"):
        assert key in s
    # config.yaml re-loads to the same experiment
    from tui_dl.core.config.experiment import load_experiment
    assert load_experiment(d / "config.yaml").to_dict() == lenet_exp().to_dict()
    # the model in last.pt gives the test accuracy reported
    model, ck = model_from_checkpoint(d / "last.pt")
    with torch.no_grad():
        logits = model(normalize_batch(digits.test.x, digits.mean, digits.std))
    acc = (logits.argmax(1) == digits.test.y).float().mean().item()
    assert acc == pytest.approx(fin.test_accuracy, abs=1e-6)


def test_limit_batches_and_log_every(digits, tmp_path):
    ev = run(lenet_exp(limit_batches=3, log_every=2, epochs=2, checkpoints=False), tmp_path, digits)
    assert of(ev, RunStarted)[0].steps_per_epoch == 3
    assert [(s.epoch, s.batch) for s in of(ev, StepDone)] == [(1, 2), (1, 3), (2, 1), (2, 3)]
    assert of(ev, Finished)[0].steps == 6


# ----------------------------------------------------------------------------- divergence, early stopping


def test_divergence_is_caught_within_a_few_steps(digits, tmp_path):
    exp = lenet_exp(optimizer={"name": "sgd", "lr": 100.0}, log_every=50)
    ev = run(exp, tmp_path, digits)
    div = of(ev, Diverged)
    assert len(div) == 1 and div[0].step <= 5, div
    assert div[0].reason in ("exploded", "nan", "inf")
    assert div[0].advice.startswith("learning rate too high: try lr=10")
    fin = of(ev, Finished)[0]
    assert fin.status == "diverged" and fin.steps <= 5 and fin.test_accuracy is None
    # the last good checkpoint (the initial weights) is still there and finite
    ck = load_checkpoint(tmp_path / "run")
    assert ck["step"] == 0 and all(torch.isfinite(v).all() for v in ck["model"].values())
    assert json.loads((tmp_path / "run" / "summary.json").read_text())["status"] == "diverged"


def test_early_stopping_stops_and_restores_the_best(moons, tmp_path):
    # min_delta so large that no epoch after the first counts as an improvement
    exp = make_exp(MLP2, [2], {"name": "moons"}, epochs=10, optimizer={"name": "adam", "lr": 0.01},
                   early_stopping={"patience": 2, "min_delta": 100.0, "restore_best": True})
    ev = run(exp, tmp_path, moons)
    es = of(ev, EarlyStopped)
    assert len(es) == 1 and es[0].epoch == 3 and es[0].best_epoch == 1
    assert len(of(ev, EpochDone)) == 3
    fin = of(ev, Finished)[0]
    assert fin.status == "early_stopped" and fin.best_epoch == 1
    assert any("restored the weights of the best epoch (1" in n.message for n in of(ev, Notice))
    # the test ran on epoch 1's weights = best.pt
    best, _ = model_from_checkpoint(tmp_path / "run" / "best.pt")
    with torch.no_grad():
        acc = (best(moons.test.x).argmax(1) == moons.test.y).float().mean().item()
    assert acc == pytest.approx(fin.test_accuracy)


# ----------------------------------------------------------------------------- interruption and resume


def interrupt_after(gen, n_steps: int, stop: threading.Event):
    events = []
    for ev in gen:
        events.append(ev)
        if isinstance(ev, StepDone) and ev.step >= n_steps:
            stop.set()
    return events


@pytest.mark.parametrize("how", ["should_stop", "close", "epoch_boundary"])
def test_interrupted_run_resumes_to_identical_metrics(how, digits, tmp_path):
    exp = lenet_exp(epochs=3 if how == "epoch_boundary" else 2, log_every=2)
    full = run(exp, tmp_path, digits, name="full")

    d = tmp_path / "part"
    if how == "epoch_boundary":  # stop requested as epoch 1 ends: epoch 2 has drawn its order but not stepped
        stop = threading.Event()
        first = []
        for ev in iter_training(exp, run_dir=d, data=digits, should_stop=stop):
            first.append(ev)
            if isinstance(ev, EpochDone):
                stop.set()
        ck = load_checkpoint(d)
        assert ck["status"] == "interrupted" and ck["position"] == {"epoch": 2, "batch": 0}
    elif how == "should_stop":
        stop = threading.Event()
        first = interrupt_after(iter_training(exp, run_dir=d, data=digits, should_stop=stop), 4, stop)
        assert of(first, Finished)[0].status == "stopped"
        saved = of(first, CheckpointSaved)[-1]
        assert saved.reason == "interrupted" and saved.step == 4  # stopped before step 5
    else:
        gen = iter_training(exp, run_dir=d, data=digits)
        first = []
        for ev in gen:
            first.append(ev)
            if isinstance(ev, StepDone) and ev.step >= 4:
                break
        gen.close()
    if how != "epoch_boundary":
        ck = load_checkpoint(d)
        assert ck["status"] == "interrupted" and ck["position"]["epoch"] == 1 and 0 < ck["position"]["batch"] < 12

    second = list(iter_training(None, resume=d, data=digits))
    assert of(second, RunStarted)[0].resumed_from.endswith("last.pt")
    both = [e for e in first + second if not isinstance(e, (RunStarted, Finished))] + of(second, Finished)
    assert metrics_of(both)[1:] == metrics_of(full)[1:]          # epochs + test: bit-identical
    assert metrics_of(both)[0] == metrics_of(full)[0]            # every logged step loss too
    # the files read as one run
    logged = [x for x in map(json.loads, (d / "metrics.jsonl").read_text().splitlines()) if x["event"] == "step"]
    assert [x["loss"] for x in logged] == [s.loss for s in of(full, StepDone)]
    rows = list(csv.DictReader((d / "metrics.csv").open()))
    ref = list(csv.DictReader((tmp_path / "full" / "metrics.csv").open()))
    drop = ("seconds", "images_per_second")
    assert [{k: v for k, v in r.items() if k not in drop} for r in rows] == \
        [{k: v for k, v in r.items() if k not in drop} for r in ref]


def test_stop_at_an_epoch_boundary_and_resume_with_more_epochs(moons, tmp_path):
    exp = make_exp(MLP2, [2], {"name": "moons"}, epochs=2, optimizer={"name": "adam", "lr": 0.01},
                   scheduler={"name": "step", "step_size": 1, "gamma": 0.5})
    ref = run(make_exp(MLP2, [2], {"name": "moons"}, epochs=3, optimizer={"name": "adam", "lr": 0.01},
                       scheduler={"name": "step", "step_size": 1, "gamma": 0.5}), tmp_path, moons, name="ref")
    run(exp, tmp_path, moons, name="short")
    longer = make_exp(MLP2, [2], {"name": "moons"}, epochs=3, optimizer={"name": "adam", "lr": 0.01},
                      scheduler={"name": "step", "step_size": 1, "gamma": 0.5})
    more = list(iter_training(longer, resume=tmp_path / "short", data=moons))
    assert [e.epoch for e in of(more, EpochDone)] == [3]
    assert of(more, EpochDone)[0].train_loss == of(ref, EpochDone)[2].train_loss
    assert of(more, Finished)[0].test_accuracy == of(ref, Finished)[0].test_accuracy


@pytest.mark.parametrize("sched,note", [
    ({"name": "cosine"}, "the cosine schedule is re-planned over 5 epochs, as if the run had started with epochs=5: "
                         "epoch 3 trains at lr=0.06545 (the old plan: 0)"),
    ({"name": "step", "step_size": 2, "gamma": 0.5}, "the step schedule goes on as before (it does not depend on the "
                                                     "number of epochs)"),
    ({"name": "cosine", "t_max": 4}, "the cosine schedule goes on as before (it keeps train.scheduler.t_max=4)"),
])
def test_resume_with_more_epochs_replans_the_schedule_over_the_new_length(sched, note, moons, tmp_path):
    """issue 13 item 15: a finished 2-epoch cosine run extended to 5 trained epoch 3 at lr 0 (T_max stayed 2), then
    the rate rose again. Now the remaining epochs train at the rates of a run planned for 5 epochs from the start."""
    def exp(epochs):
        return make_exp(MLP2, [2], {"name": "moons"}, epochs=epochs, optimizer={"name": "sgd", "lr": 0.1},
                        scheduler=sched)
    planned = [e.lr for e in of(run(exp(5), tmp_path, moons, name="planned"), EpochDone)]
    run(exp(2), tmp_path, moons, name="short")
    more = list(iter_training(exp(5), resume=tmp_path / "short", data=moons))
    assert [e.epoch for e in of(more, EpochDone)] == [3, 4, 5]
    assert [e.lr for e in of(more, EpochDone)] == pytest.approx(planned[2:], rel=1e-9, abs=1e-12)
    assert of(more, Finished)[0].status == "completed"
    if "t_max" not in sched:  # (a cosine with its own t_max=4 reaches 0 at epoch 5, planned or not)
        assert all(e.lr > 0 for e in of(more, EpochDone))
    assert f"train.epochs 2 → 5: {note}" in [n.message for n in of(more, Notice)]
    # the extended run's checkpoint holds the new plan: resuming it again changes nothing
    again = list(iter_training(exp(5), resume=tmp_path / "short", data=moons))
    assert not [n for n in of(again, Notice) if "schedule" in n.message]


def test_an_unchanged_resume_says_nothing_about_the_schedule(moons, tmp_path):
    exp = make_exp(MLP2, [2], {"name": "moons"}, epochs=2, optimizer={"name": "sgd", "lr": 0.1},
                   scheduler={"name": "cosine"}, log_every=1)
    stop = threading.Event()
    interrupt_after(iter_training(exp, run_dir=tmp_path / "r", data=moons, should_stop=stop), 3, stop)
    rest = list(iter_training(exp, resume=tmp_path / "r", data=moons))
    assert not [n for n in of(rest, Notice) if "schedule" in n.message]
    assert [e.lr for e in of(rest, EpochDone)] == pytest.approx([0.1, 0.05])


def test_events_are_json_ready(moons, tmp_path):
    ev = run(make_exp(MLP2, [2], {"name": "moons"}, epochs=1, checkpoints=False), tmp_path, moons)
    for e in ev:
        json.dumps(event_to_dict(e))


def test_fallback_dataset_is_reported_and_kept_on_resume(tmp_path):
    data = {"name": "mnist", "root": str(tmp_path / "no-mnist"), "download": False, "fallback": "synthetic-digits",
            "num_samples": 300}
    exp = make_exp(LENET, [1, 28, 28], data, epochs=1, batch_size=32, log_every=1)
    stop = threading.Event()
    first = interrupt_after(iter_training(exp, run_dir=tmp_path / "fb", should_stop=stop), 1, stop)
    started = of(first, RunStarted)[0]
    assert started.dataset == "synthetic-digits" and "MNIST" in started.fallback_reason
    second = list(iter_training(None, resume=tmp_path / "fb"))
    again = of(second, RunStarted)[0]
    assert again.dataset == "synthetic-digits" and again.fallback_reason == started.fallback_reason
    assert of(second, Finished)[0].status == "completed"
    assert json.loads((tmp_path / "fb" / "summary.json").read_text())["fallback_reason"] == started.fallback_reason
