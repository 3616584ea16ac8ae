"""The run plan (tui_dl/core/training/plan.py): every choice the trainer makes before its first step, tested
without training: step strategy, threads and lanes, channels-last, batches, the monitored value, notices, the
data a resumed run loads, and the errors a bad setup raises."""

from __future__ import annotations

import dataclasses

import pytest
import torch

import tui_dl.core.device as device_module
import tui_dl.core.training.plan as P
from tests.core.test_train import LENET, MLP2, make_exp
from tui_dl.core.data import load_dataset
from tui_dl.core.model.build import build_model
from tui_dl.core.model.shapes import summarize
from tui_dl.core.training.errors import SetupError
from tui_dl.core.training.plan import (check_network, data_request, merge_resumed, plan_run, resumed_data)

CPU = torch.device("cpu")
BN_MLP = [{"type": "Linear", "out_features": 16}, {"type": "BatchNorm1d"}, {"type": "ReLU"},
          {"type": "Linear", "out_features": 2}]
DROPOUT_MLP = [{"type": "Linear", "out_features": 16}, {"type": "ReLU"}, {"type": "Dropout", "p": 0.2},
               {"type": "Linear", "out_features": 2}]


@pytest.fixture(scope="module")
def digits():
    return load_dataset("synthetic-digits", num_samples=400, val_split=0.1, seed=0, input_shape=(1, 28, 28))


@pytest.fixture(scope="module")
def moons():
    return load_dataset("moons", num_samples=400, val_split=0.1, seed=0)


@pytest.fixture
def cores(monkeypatch):
    """Pretend the machine has ``n`` cores (for the thread choice and the lanes)."""
    def set_cores(n):
        monkeypatch.setattr(device_module, "cpu_cores", lambda: n)
        monkeypatch.setattr(P, "cpu_cores", lambda: n)
    return set_cores


def lenet(**train):
    return make_exp(LENET, (1, 28, 28), {"name": "synthetic-digits"}, **train)


def mlp(layers=MLP2, **train):
    return make_exp(layers, (2,), {"name": "moons"}, **train)


def quiet(*args, **kw):
    return plan_run(*args, cpu_load=lambda: None, **kw)


# ----------------------------------------------------------------------------- channels-last and devices


def test_a_conv_net_on_the_cpu_is_planned_channels_last(digits):
    plan = quiet(lenet(), digits, device=CPU)
    assert plan.device == CPU and plan.channels_last


def test_channels_last_only_for_conv_nets_and_as_configured(digits, moons):
    assert not quiet(mlp(), moons, device=CPU).channels_last
    assert not quiet(lenet(channels_last=False), digits, device=CPU).channels_last
    gpu = torch.device("cuda", 0)  # planning touches no device, so this works without a GPU
    assert not quiet(lenet(), digits, device=gpu).channels_last
    assert quiet(lenet(channels_last=True), digits, device=gpu).channels_last


def test_off_the_cpu_the_batch_is_never_split_and_the_divergence_check_is_batched(digits):
    plan = quiet(lenet(threads=2, split_batch=True, log_every=5), digits, device=torch.device("cuda", 0))
    assert plan.step == "plain" and plan.lanes == 1 and plan.split_reason == "not on the CPU"
    assert plan.check_every == 5  # min(ACCEL_CHECK_EVERY = 8, log_every)
    assert quiet(lenet(log_every=20), digits, device=torch.device("cuda", 0)).check_every == 8
    assert quiet(lenet(log_every=20), digits, device=CPU).check_every == 1


def test_a_device_text_is_resolved_and_an_unknown_one_is_a_setup_error(moons):
    assert quiet(mlp(), moons, device="cpu").device == CPU
    with pytest.raises(SetupError, match="is not a device"):
        quiet(mlp(), moons, device="toaster")


# ----------------------------------------------------------------------------- threads and lanes


def test_requested_threads_win_and_tiny_nets_get_one(moons, digits, cores):
    cores(4)
    assert quiet(mlp(threads=3, split_batch=False), moons, device=CPU).threads == 3
    assert quiet(mlp(threads=0), moons, device=CPU).threads == 1  # 2-16-2: far under SMALL_WORK_MACS
    assert quiet(lenet(threads=0, split_batch=False), digits, device=CPU).threads == 4


def test_inside_the_app_a_net_that_cannot_be_split_leaves_a_core_to_the_ui(digits, cores):
    cores(4)
    exp = make_exp(LENET[:1] + [{"type": "BatchNorm2d"}] + LENET[1:], (1, 28, 28), {"name": "synthetic-digits"},
                   threads=0)
    assert quiet(exp, digits, device=CPU, ui_thread=True).threads == 3
    assert quiet(exp, digits, device=CPU, ui_thread=False).threads == 4


def test_lanes_are_chosen_when_the_net_can_be_split(digits, cores):
    cores(4)
    plan = quiet(lenet(threads=2, batch_size=32), digits, device=CPU)
    assert plan.step == "split" and plan.lanes == 2 and plan.threads == 2 and plan.torch_threads == 1
    assert plan.split_reason == ""
    four = quiet(lenet(threads=4, batch_size=64), digits, device=CPU)
    assert four.lanes == 4 and four.torch_threads == 1
    # split_batch false, or one thread: one lane, torch's own threads
    off = quiet(lenet(threads=2, split_batch=False), digits, device=CPU)
    assert off.step == "plain" and off.lanes == 1 and off.torch_threads == 2
    assert quiet(lenet(threads=1), digits, device=CPU).lanes == 1


@pytest.mark.parametrize("layers,reason", [(BN_MLP, "BatchNorm mixes the samples of a batch"),
                                           (DROPOUT_MLP, "Dropout draws random numbers")])
def test_nets_that_cannot_be_split_say_why(layers, reason, moons, cores):
    cores(4)
    plan = quiet(mlp(layers, threads=2, split_batch=True), moons, device=CPU)
    assert plan.lanes == 1 and plan.step == "plain" and plan.split_reason == reason
    assert [n.message for n in plan.notices] == [f"split_batch is on, but this run does not split its batches: "
                                                 f"{reason}"]


def test_a_resumed_run_keeps_its_threads_and_lanes(digits, cores):
    cores(8)
    exp = lenet(threads=0)
    assert quiet(exp, digits, device=CPU, checkpoint={"threads": 2, "lanes": 2}).lanes == 2
    plan = quiet(exp, digits, device=CPU, checkpoint={"threads": 3, "lanes": 1})
    assert (plan.threads, plan.lanes, plan.step) == (3, 1, "plain")
    # a lane count out of range in a damaged checkpoint is not trusted
    assert quiet(exp, digits, device=CPU, checkpoint={"threads": 2, "lanes": 99}).lanes == 1


def test_a_busy_cpu_is_warned_about_only_for_openmp_threads(moons, digits, cores):
    cores(2)
    exp = mlp(BN_MLP, threads=2)
    busy = plan_run(exp, moons, device=CPU, cpu_load=lambda: 2.0)
    assert any(n.level == "warning" and "the CPU is busy (load 2.0 on 2 cores)" in n.message for n in busy.notices)
    assert not plan_run(exp, moons, device=CPU, cpu_load=lambda: 0.0).notices
    split = plan_run(lenet(threads=2), digits, device=CPU, cpu_load=lambda: 2.0)
    assert split.lanes == 2 and not split.notices  # split lanes do not spin at barriers


# ----------------------------------------------------------------------------- batches


def test_full_batch_gd_is_one_step_over_the_whole_training_set(moons, cores):
    cores(4)
    plan = quiet(mlp(optimizer={"name": "gd", "lr": 0.5}, threads=2, limit_batches=3), moons, device=CPU)
    n = len(moons.train)
    assert plan.step == "full_batch" and plan.batch_sizes == (n,) and plan.batch_size == n
    assert plan.steps_per_epoch == 1 and plan.epoch_images == n
    assert plan.lanes == 1 and plan.split_reason == "gd takes whole-set steps"
    assert plan.eval_batch_size == P.EVAL_BATCH_FLAT


def test_batch_sizes_steps_and_the_dropped_sample(moons, digits):
    n = len(moons.train)  # 288
    plan = quiet(mlp(batch_size=50), moons, device=CPU)
    assert plan.batch_sizes == (50,) * 5 + (38,) and plan.steps_per_epoch == 6 and plan.epoch_images == n
    # a final batch of one sample is dropped (it would break BatchNorm)
    odd = quiet(mlp(batch_size=41), moons, device=CPU)
    assert n % 41 == 1 and odd.batch_sizes == (41,) * 7 and odd.epoch_images == n - 1
    assert quiet(mlp(batch_size=16, limit_batches=3), moons, device=CPU).batch_sizes == (16, 16, 16)
    big = quiet(mlp(batch_size=10_000), moons, device=CPU)
    assert big.batch_size == n and big.batch_sizes == (n,)
    assert quiet(lenet(), digits, device=CPU).eval_batch_size == P.EVAL_BATCH_IMAGES


# ----------------------------------------------------------------------------- what early stopping watches


def test_the_monitor_follows_early_stopping_and_the_validation_split(moons):
    assert (quiet(mlp(), moons, device=CPU).monitor, quiet(mlp(), moons, device=CPU).monitor_mode) == \
        ("val_loss", "min")
    acc = quiet(mlp(early_stopping={"patience": 2, "monitor": "val_accuracy"}), moons, device=CPU)
    assert (acc.monitor, acc.monitor_mode) == ("val_accuracy", "max")
    no_val = dataclasses.replace(moons, val=None)
    assert quiet(mlp(), no_val, device=CPU).monitor == "train_loss"
    fallback = quiet(mlp(early_stopping={"patience": 2, "monitor": "val_accuracy"}), no_val, device=CPU)
    assert (fallback.monitor, fallback.monitor_mode) == ("train_loss", "min")
    assert [n.message for n in fallback.notices] == [
        "early stopping watches val_accuracy, but there is no validation split (data.val_split is 0): "
        "watching train_loss instead"]


# ----------------------------------------------------------------------------- errors and notices


def test_an_invalid_network_is_a_setup_error_with_its_problem(digits):
    exp = make_exp([{"type": "Conv2d", "out_channels": 4, "kernel_size": 3}, {"type": "MaxPool2d", "kernel_size": 64},
                    {"type": "Flatten"}, {"type": "Linear", "out_features": 10}], (1, 28, 28),
                   {"name": "synthetic-digits"})
    problem = summarize(exp.network).problem_text
    assert problem and problem.startswith("layer 2 (MaxPool2d)")
    with pytest.raises(SetupError) as err:
        plan_run(exp, digits, device=CPU)
    assert str(err.value) == f"the network is not valid: {problem}"
    with pytest.raises(SetupError, match="the network is not valid: layer 2"):
        check_network(exp)


def test_a_loss_that_does_not_fit_the_output_is_a_setup_error(digits):
    exp = make_exp(LENET[:-1] + [{"type": "Linear", "out_features": 7}], (1, 28, 28), {"name": "synthetic-digits"})
    with pytest.raises(SetupError, match="7 outputs"):
        quiet(exp, digits, device=CPU)


def test_an_empty_training_split_is_a_setup_error(moons):
    no_rows = dataclasses.replace(moons.train, x=moons.train.x[:0], y=moons.train.y[:0])
    empty = dataclasses.replace(moons, train=no_rows)
    with pytest.raises(SetupError, match="the training split of moons is empty"):
        quiet(mlp(), empty, device=CPU)


def test_the_objective_and_its_notices_are_part_of_the_plan(moons):
    plan = quiet(mlp(MLP2 + [{"type": "Softmax"}]), moons, device=CPU)
    assert plan.objective.loss_name == "cross_entropy" and plan.objective.num_classes == 2
    assert [n.level for n in plan.notices] == ["warning"] and "Softmax" in plan.notices[0].message


# ----------------------------------------------------------------------------- purity


def test_planning_changes_nothing(digits):
    model = build_model(lenet().network)
    weights = {k: v.clone() for k, v in model.state_dict().items()}
    threads = torch.get_num_threads()
    rng = torch.get_rng_state()
    quiet(lenet(threads=1), digits, device=CPU)                  # builds its own net to look at
    quiet(lenet(threads=max(2, threads + 1)), digits, device=CPU, model=model)
    assert torch.get_num_threads() == threads
    assert torch.equal(torch.get_rng_state(), rng)
    assert all(torch.equal(v, weights[k]) for k, v in model.state_dict().items())
    assert next(model.parameters()).is_contiguous()  # not moved to channels-last


def test_the_plan_is_frozen(moons):
    plan = quiet(mlp(), moons, device=CPU)
    with pytest.raises(dataclasses.FrozenInstanceError):
        plan.lanes = 3


# ----------------------------------------------------------------------------- before the plan: resume and data


def test_a_resumed_run_loads_the_dataset_it_used(moons):
    exp = make_exp(MLP2, (2,), {"name": "mnist", "fallback": "moons", "val_split": 0.2})
    assert data_request(exp)["name"] == "mnist" and data_request(exp)["fallback"] == "moons"
    req = data_request(exp, {"dataset": {"name": "moons"}})
    assert (req["name"], req["fallback"], req["val_split"], req["seed"]) == ("moons", None, 0.2, exp.train.seed)
    kept = resumed_data(moons, {"dataset": {"fallback_reason": "no network", "train_size": len(moons.train)}})
    assert kept.fallback_used and kept.fallback_reason == "no network"
    assert resumed_data(moons, None) is moons
    with pytest.raises(SetupError, match="the dataset changed"):
        resumed_data(moons, {"dataset": {"train_size": len(moons.train) + 1}})


def test_merging_a_resumed_experiment(moons):
    saved = mlp(epochs=2)
    ckpt = {"experiment": saved.to_dict()}
    exp, notices = merge_resumed(None, ckpt, "run/last.pt")
    assert exp.to_dict() == saved.to_dict() and notices == []
    longer = mlp(epochs=5, batch_size=7)
    exp, notices = merge_resumed(longer, ckpt, "run/last.pt")
    assert exp.train.epochs == 5 and exp.train.batch_size == saved.train.batch_size
    assert [(n.level, n.message) for n in notices] == [
        ("warning", "resuming keeps the run's own settings: ignored changes to train.batch_size"),
        ("info", "resumed with train.epochs=5")]
    with pytest.raises(SetupError, match="differs from the one in the checkpoint. Resume without the file"):
        merge_resumed(mlp(BN_MLP), ckpt, "run/last.pt")
