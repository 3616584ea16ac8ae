"""The trainer's records: the checkpointable TrainState (tui_dl/core/training/state.py), the one divergence rule
(divergence.py) and summary.json as built from the Finished and RunStarted events (summary.py)."""

from __future__ import annotations

import json
import math

import pytest
import torch

from tests.core.test_train import MLP2, make_exp, of, run
from tui_dl.core.data import load_dataset
from tui_dl.core.runs.checkpoint import CheckpointError, load_checkpoint
from tui_dl.core.training.divergence import EXPLODE_FACTOR, EXPLODE_FLOOR, DivergenceGuard, explode_threshold
from tui_dl.core.training.errors import SetupError
from tui_dl.core.training.events import Finished, RunStarted
from tui_dl.core.training.state import Best, EpochProgress, Parts, TrainState
from tui_dl.core.training.summary import run_summary

CHECKPOINT_KEYS = {"format", "format_version", "tui_dl_version", "torch_version", "model", "optimizer", "scheduler",
                   "rng", "shuffle_state", "position", "epoch_state", "epoch", "epochs_completed", "step", "status",
                   "ref_loss", "history", "best", "early_stopping", "best_model", "elapsed", "train_images",
                   "train_seconds", "threads", "lanes", "spec", "experiment", "dataset"}
FACTS = {"threads": 1, "lanes": 1, "spec": {"input": [2], "layers": []}, "experiment": {},
         "dataset": {"name": "moons", "train_size": 10}}


@pytest.fixture(scope="module")
def moons():
    return load_dataset("moons", num_samples=400, val_split=0.1, seed=0)


def parts(seed=0):
    torch.manual_seed(seed)
    model = torch.nn.Sequential(torch.nn.Linear(2, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2))
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    return Parts(model, opt, sched, torch.Generator().manual_seed(seed))


def trained_state(p: Parts) -> TrainState:
    """A state in the middle of epoch 3, as a trainer leaves it."""
    loss = p.model(torch.randn(8, 2)).pow(2).mean()
    loss.backward()
    p.optimizer.step()
    p.scheduler.step()
    s = TrainState(Best("val_accuracy", "max"), DivergenceGuard(2.5), epoch=3, batch=2, step=12)
    s.history = [{"epoch": 1, "val_accuracy": 0.5}, {"epoch": 2, "val_accuracy": 0.75}]
    s.best.update(0.5, 1)
    s.best.update(0.75, 2)
    s.best.update(0.7, 3)
    s.best_weights = {k: v.clone() + 1 for k, v in p.model.state_dict().items()}
    s.progress = EpochProgress(torch.tensor([1.0, 0.5, 0.0, 0.0]), torch.tensor([3, 4, 0, 0]),
                               p.shuffle.get_state(), last_log=1, seconds=0.25)
    torch.randperm(10, generator=p.shuffle)  # the epoch's draw moved the generator on
    s.elapsed_prev, s.train_images_prev, s.train_seconds_prev = 10.0, 96, 4.0
    s.images_done, s.train_seconds = 32, 1.5
    return s


def early_stopping():
    exp = make_exp(MLP2, (2,), {"name": "moons"}, early_stopping={"patience": 3, "monitor": "val_accuracy",
                                                                   "restore_best": True})
    return exp.train.early_stopping


# ----------------------------------------------------------------------------- TrainState


def test_a_state_round_trips_through_its_checkpoint(tmp_path):
    p = parts()
    s = trained_state(p)
    es = early_stopping()
    ck = s.to_checkpoint("interrupted", p, steps_per_epoch=4, early_stopping=es, facts=FACTS)
    assert set(ck) == CHECKPOINT_KEYS
    assert ck["position"] == {"epoch": 3, "batch": 2} and ck["epoch"] == 3 and ck["epochs_completed"] == 2
    assert ck["early_stopping"] == {"best": 0.75, "best_epoch": 2, "bad_epochs": 1, "patience": 3,
                                    "monitor": "val_accuracy"}
    assert ck["elapsed"] >= 10.0 and ck["train_images"] == 128 and ck["train_seconds"] == 5.5
    assert ck["epoch_state"]["nb"] == 4 and ck["epoch_state"]["last_log"] == 1
    # inside an epoch the batch order is the one drawn from the generator state before the draw
    assert torch.equal(ck["shuffle_state"], s.progress.shuffle_state)
    torch.save(ck, tmp_path / "ck.pt")
    ck = torch.load(tmp_path / "ck.pt", weights_only=True)

    q = parts(seed=1)
    r = TrainState.from_checkpoint(ck, q, best=Best("val_accuracy", "max"), check_every=1, steps_per_epoch=4,
                                   device=torch.device("cpu"), channels_last=False, source="ck.pt", t0=0.0)
    assert (r.epoch, r.batch, r.step, r.history) == (3, 2, 12, s.history)
    assert (r.best.value, r.best.epoch, r.best.bad_epochs) == (0.75, 2, 1)
    assert r.guard.ref_loss == 2.5 and r.guard.threshold == s.guard.threshold
    assert (r.elapsed_prev, r.train_images_prev, r.train_seconds_prev) == (ck["elapsed"], 128, 5.5)
    assert (r.images_done, r.train_seconds) == (0, 0.0)  # this session has done nothing yet
    assert torch.equal(r.progress.losses, s.progress.losses) and torch.equal(r.progress.correct, s.progress.correct)
    assert (r.progress.last_log, r.progress.seconds) == (1, 0.25)
    for k, v in p.model.state_dict().items():
        assert torch.equal(q.model.state_dict()[k], v)
        assert torch.equal(r.best_weights[k], s.best_weights[k])
    assert q.optimizer.state_dict()["state"][0]["step"] == p.optimizer.state_dict()["state"][0]["step"]
    assert q.scheduler.get_last_lr() == p.scheduler.get_last_lr()
    assert torch.equal(q.shuffle.get_state(), s.progress.shuffle_state)
    # a second checkpoint of the restored state says the same
    again = r.to_checkpoint("interrupted", q, steps_per_epoch=4, early_stopping=es, facts=FACTS)
    for key in ("position", "epoch", "step", "history", "best", "early_stopping", "ref_loss", "train_images"):
        assert again[key] == ck[key], key


def test_between_epochs_a_checkpoint_has_no_epoch_state_and_the_generator_as_it_is():
    p = parts()
    s = TrainState(Best("val_loss", "min"), DivergenceGuard(None), epoch=2, batch=0, step=5)
    torch.randperm(10, generator=p.shuffle)
    ck = s.to_checkpoint("running", p, steps_per_epoch=4, early_stopping=None, facts=FACTS)
    assert ck["epoch_state"] is None and ck["early_stopping"] is None and ck["best_model"] is None
    assert ck["epoch"] == 1 and ck["ref_loss"] is None
    assert torch.equal(ck["shuffle_state"], p.shuffle.get_state())
    # at an epoch's first step: the pre-draw generator state, but no running sums yet
    s.progress = EpochProgress.fresh(4, torch.device("cpu"), torch.Generator().manual_seed(7).get_state())
    ck = s.to_checkpoint("interrupted", p, steps_per_epoch=4, early_stopping=None, facts=FACTS)
    assert ck["epoch_state"] is None and torch.equal(ck["shuffle_state"], s.progress.shuffle_state)


def test_best_weights_are_saved_only_when_early_stopping_restores_them():
    p = parts()
    s = trained_state(p)
    assert s.to_checkpoint("running", p, steps_per_epoch=4, early_stopping=None, facts=FACTS)["best_model"] is None
    ck = s.to_checkpoint("running", p, steps_per_epoch=4, early_stopping=early_stopping(), facts=FACTS)
    assert set(ck["best_model"]) == set(p.model.state_dict())


def test_restoring_refuses_weights_that_do_not_fit_and_a_changed_epoch_length():
    p = parts()
    ck = trained_state(p).to_checkpoint("interrupted", p, steps_per_epoch=4, early_stopping=None, facts=FACTS)
    other = Parts(torch.nn.Linear(2, 3), p.optimizer, None, torch.Generator())
    kw = dict(best=Best("val_loss", "min"), check_every=1, device=torch.device("cpu"), channels_last=False,
              source="x/last.pt", t0=0.0)
    with pytest.raises(CheckpointError, match="x/last.pt: this checkpoint is damaged: model does not fit the network"):
        TrainState.from_checkpoint(ck, other, steps_per_epoch=4, **kw)
    with pytest.raises(SetupError, match="the run had 4 steps per epoch, this one 5"):
        TrainState.from_checkpoint(ck, parts(), steps_per_epoch=5, **kw)
    ck["ref_loss"] = "big"
    with pytest.raises(CheckpointError, match="x/last.pt: this checkpoint is damaged: ref_loss"):
        TrainState.from_checkpoint(ck, parts(), steps_per_epoch=4, **kw)


def test_a_best_watched_on_another_value_is_not_carried_over():
    p = parts()
    ck = trained_state(p).to_checkpoint("running", p, steps_per_epoch=4, early_stopping=None, facts=FACTS)
    r = TrainState.from_checkpoint(ck, parts(), best=Best("val_loss", "min"), check_every=1, steps_per_epoch=4,
                                   device=torch.device("cpu"), channels_last=False, source="ck", t0=0.0)
    assert (r.best.value, r.best.epoch, r.best.bad_epochs) == (None, None, 0)


def test_best_tracks_min_and_max_with_min_delta():
    b = Best("val_loss", "min")
    assert b.update(1.0, 1) and not b.update(0.95, 2, min_delta=0.1) and b.update(0.5, 3)
    assert (b.value, b.epoch, b.bad_epochs) == (0.5, 3, 0)
    assert not b.update(float("nan"), 4) and not b.update(None, 5) and b.bad_epochs == 2
    m = Best("val_accuracy", "max")
    assert m.update(0.5, 1) and not m.update(0.4, 2) and m.update(0.6, 3)


# ----------------------------------------------------------------------------- the divergence rule


def test_one_threshold_formula():
    assert explode_threshold(2.3) == EXPLODE_FLOOR
    assert explode_threshold(50.0) == EXPLODE_FACTOR * 50.0
    assert explode_threshold(-20.0) == EXPLODE_FACTOR * 20.0  # nll on raw outputs can start below 0
    assert explode_threshold(float("nan")) == -math.inf and explode_threshold(float("inf")) == -math.inf
    # a guard that saw the first loss and one restored from a checkpoint's ref_loss use the same rule
    seen = DivergenceGuard()
    seen.check(torch.tensor([-20.0]), 1, last=False)
    assert seen.ref_loss == -20.0 and seen.threshold == DivergenceGuard(-20.0).threshold == 2e4


def test_every_step_is_checked_on_the_cpu():
    g = DivergenceGuard(check_every=1)
    losses = torch.tensor([2.0, 3.0, 2e4, 1.0])
    assert g.check(losses, 1, last=False) is None and g.threshold == EXPLODE_FLOOR
    assert g.check(losses, 2, last=False) is None
    assert g.check(losses, 3, last=False) == 2
    nan = DivergenceGuard(check_every=1)
    assert nan.check(torch.tensor([float("nan")]), 1, last=True) == 0


def test_a_batched_check_finds_the_first_bad_step_of_its_window():
    g = DivergenceGuard(check_every=4)
    losses = torch.tensor([2.0, 3.0, float("inf"), 5e4, 1.0, 1.0])
    assert [g.check(losses, d, last=False) for d in (1, 2, 3)] == [None, None, None]
    assert g.check(losses, 4, last=False) == 2  # the window 0-3 holds the inf at 2
    g.start_epoch(4)
    assert g.check(losses, 5, last=False) is None and g.check(losses, 6, last=True) is None  # the epoch's last


def test_a_loss_below_its_minimum_is_caught_on_the_cpu_and_in_a_batched_check():
    # every step on the CPU; a rounding error (-5e-5) is not a bad step, -0.2 is
    g = DivergenceGuard(check_every=1, min_loss=0.0)
    losses = torch.tensor([0.7, -5e-5, -0.2, 0.3])
    assert [g.check(losses, d, last=False) for d in (1, 2)] == [None, None]
    assert g.check(losses, 3, last=False) == 2
    # batched (accelerators): the first bad step of the window
    b = DivergenceGuard(check_every=4, min_loss=0.0)
    assert [b.check(losses, d, last=d == 4) for d in (1, 2, 3, 4)] == [None, None, None, 2]
    # no bound: the old rule (nll on raw scores may start below 0 and is only checked for explosions)
    assert DivergenceGuard(check_every=4).check(losses, 4, last=True) is None


def test_the_event_for_a_loss_below_its_minimum_gives_the_reason():
    g = DivergenceGuard(0.7, min_loss=0.0, below_min_hint="nll expects log-probabilities: add a LogSoftmax layer")
    ev = g.event(-3.5, epoch=1, step=4, lr=0.01, grad_clip=None, loss_name="nll")
    assert (ev.reason, ev.loss, ev.first_loss, ev.step) == ("below_minimum", -3.5, 0.7, 4)
    assert ev.advice == ("nll fell to -3.5 at step 4, below 0, the lowest value it can take: nll expects "
                         "log-probabilities: add a LogSoftmax layer. Training was stopped; the last good checkpoint "
                         "is kept.")
    generic = DivergenceGuard(0.7, min_loss=0.0).event(-1.0, epoch=1, step=2, lr=0.1, grad_clip=None,
                                                       loss_name="mse")
    assert "not what mse expects" in generic.advice
    # NaN below a bound is still NaN
    assert g.event(float("nan"), epoch=1, step=2, lr=0.1, grad_clip=None).reason == "nan"


def test_the_diverged_event_says_what_happened_and_what_to_do():
    g = DivergenceGuard(2.0)
    ev = g.event(5e4, epoch=2, step=17, lr=0.5, grad_clip=None)
    assert (ev.epoch, ev.step, ev.reason, ev.first_loss) == (2, 17, "exploded", 2.0)
    assert ev.advice == ("learning rate too high: try lr=0.05 (or set train.grad_clip, e.g. 1.0). The loss "
                         "exploded to 5e+04 (it started at 2) at step 17; the last good checkpoint is kept.")
    assert "grad_clip" not in g.event(float("nan"), epoch=1, step=3, lr=1.0, grad_clip=1.0).advice
    assert DivergenceGuard().event(float("inf"), epoch=1, step=1, lr=1.0, grad_clip=None).first_loss == math.inf


# ----------------------------------------------------------------------------- summary.json


def test_summary_json_is_the_finished_and_started_events_plus_the_run_facts(moons, tmp_path):
    exp = make_exp(MLP2, (2,), {"name": "moons"}, epochs=3, early_stopping={"patience": 5})
    ev = run(exp, tmp_path, moons)
    fin, started = of(ev, Finished)[0], of(ev, RunStarted)[0]
    s = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert s["status"] == fin.status and s["name"] == started.name and s["run_dir"] == fin.run_dir
    for key in ("test_loss", "test_accuracy", "per_class_accuracy", "confusion", "classes", "epochs_run", "steps",
                "seconds", "train_images_per_second"):
        assert s[key] == getattr(fin, key), key
    assert s["best"]["epoch"] == fin.best_epoch and s["best"]["val_loss"] == fin.best_val_loss
    for key in ("device", "device_name", "threads", "dataset", "fallback_reason", "train_size", "val_size",
                "test_size", "params"):
        assert s[key] == getattr(started, key), key
    ck = load_checkpoint(tmp_path / "run")
    assert s["history"] == ck["history"] and s["final"]["epoch"] == 3
    assert s["best"]["monitor"] == "val_loss" and s["best"]["value"] == ck["best"]["value"]
    assert s["split_batch_lanes"] == ck["lanes"] == 1 and s["dataset_source"] == moons.source


def test_run_summary_of_a_run_without_epochs():
    started = RunStarted(name="t", run_dir="r", device="cpu", device_name="CPU", dataset="moons", train_size=10,
                         val_size=0, test_size=5, epochs=1, steps_per_epoch=1, params=3, threads=1)
    fin = Finished(status="diverged", run_dir="r", epochs_run=0, steps=1, seconds=0.5, train_images_per_second=20.0)
    s = run_summary(fin, started, history=[], monitor="train_loss", monitor_value=None, train_seconds=0.5, lanes=1,
                    optimizer_impl="fused", channels_last=False, dataset_source="generated", versions={})
    assert s["final"] == {k: None for k in ("epoch", "train_loss", "train_accuracy", "val_loss", "val_accuracy",
                                            "lr")}
    assert s["best"] == {"epoch": None, "monitor": "train_loss", "value": None}
    assert s["confusion"] == [] and s["test_loss"] is None and s["status"] == "diverged"
