"""The Setup view's edits as a pure function: ``editing.set_setting(exp, section, name, value)`` (no Textual)."""

from __future__ import annotations

import pytest

from tui_dl.app.editing import set_setting
from tui_dl.core.config import schema as C
from tui_dl.core.config.experiment import ConfigError, load_experiment, validate_experiment


@pytest.fixture(scope="module")
def lenet():
    return load_experiment("tests/ui/data/lenet5.yaml")  # adam lr=0.001, cross_entropy, no scheduler


def test_data_values_and_a_cleared_input_back_to_the_default(lenet):
    new = set_setting(lenet, "data", "val_split", 0.2)
    assert new.data.val_split == 0.2 and new.network == lenet.network and new.train == lenet.train
    assert set_setting(new, "data", "val_split", None).data.val_split == 0.1  # the field's default
    # a nullable field keeps None (it means "unset", not "the default")
    assert set_setting(set_setting(lenet, "data", "fallback", "mnist"), "data", "fallback", None).data.fallback is None


def test_switching_the_optimizer_keeps_the_parameters_both_have(lenet):
    tuned = set_setting(lenet, "optimizer", "amsgrad", True)
    assert tuned.train.optimizer == C.Named("adam", {"lr": 0.001, "amsgrad": True})
    sgd = set_setting(tuned, "optimizer", "optimizer", "sgd")
    assert sgd.train.optimizer == C.Named("sgd", {"lr": 0.001})  # sgd has lr, not amsgrad
    # choosing the optimizer already chosen, or none, is no edit: the same value comes back
    assert set_setting(sgd, "optimizer", "optimizer", "sgd") is sgd
    assert set_setting(sgd, "optimizer", "optimizer", None) is sgd


def test_optimizer_and_loss_parameters_and_weight_decay(lenet):
    new = set_setting(lenet, "optimizer", "lr", 0.01)
    assert new.train.optimizer == C.Named("adam", {"lr": 0.01})
    assert set_setting(new, "optimizer", "lr", None).train.optimizer == C.Named("adam", {})  # cleared: default
    assert set_setting(lenet, "optimizer", "weight_decay", 0.5).train.weight_decay == 0.5
    assert set_setting(lenet, "optimizer", "weight_decay", None).train.weight_decay == 0.0
    smooth = set_setting(lenet, "loss", "label_smoothing", 0.1)
    assert smooth.train.loss == C.Named("cross_entropy", {"label_smoothing": 0.1})
    assert set_setting(smooth, "loss", "loss", "mse").train.loss == C.Named("mse", {})
    assert set_setting(smooth, "loss", "loss", "cross_entropy") is smooth


def test_training_values_and_the_device(lenet):
    assert set_setting(lenet, "training", "epochs", 7).train.epochs == 7
    assert set_setting(lenet, "training", "epochs", None).train.epochs == 10  # TRAIN_FIELDS default
    assert set_setting(lenet, "training", "device", "cpu").train.device == "cpu"
    assert set_setting(lenet, "training", "device", None).train.device == "auto"
    assert set_setting(lenet, "training", "channels_last", False).train.channels_last is False
    assert set_setting(lenet, "training", "channels_last", None).train.channels_last is None


def test_the_schedule_and_its_parameters(lenet):
    assert lenet.train.scheduler is None
    assert set_setting(lenet, "scheduler", "gamma", 0.5) is lenet  # no schedule: its parameters are no edit
    step = set_setting(lenet, "scheduler", "scheduler", "step")
    assert step.train.scheduler == C.Named("step", {})
    tuned = set_setting(step, "scheduler", "gamma", 0.5)
    assert tuned.train.scheduler == C.Named("step", {"gamma": 0.5})
    assert set_setting(tuned, "scheduler", "gamma", None).train.scheduler == C.Named("step", {})
    assert set_setting(tuned, "scheduler", "scheduler", None).train.scheduler is None


def test_early_stopping_on_off_and_its_fields(lenet):
    assert set_setting(lenet, "early", "patience", 5) is lenet  # off: its fields are no edit
    on = set_setting(lenet, "early", "enabled", True)
    assert on.train.early_stopping == C.EarlyStopping()
    five = set_setting(on, "early", "patience", 5)
    assert five.train.early_stopping.patience == 5
    assert set_setting(five, "early", "patience", None).train.early_stopping.patience == 3
    assert set_setting(five, "early", "enabled", False).train.early_stopping is None


def test_the_result_is_not_validated_here_the_app_checks_it(lenet):
    bad = set_setting(set_setting(lenet, "optimizer", "optimizer", "sgd"), "optimizer", "nesterov", True)
    assert bad.train.optimizer == C.Named("sgd", {"lr": 0.001, "nesterov": True})
    with pytest.raises(ConfigError) as e:
        validate_experiment(bad)  # sgd's nesterov needs momentum > 0
    assert e.value.problems


def test_an_unknown_section_is_a_programming_error(lenet):
    with pytest.raises(ValueError):
        set_setting(lenet, "network", "layers", [])
