"""Sweep expansion (core/config/sweep.py): keys checked against the schema, values checked by the experiment
checker, the cartesian product, slugs and labels, and what changing the optimizer or the activation does."""

from __future__ import annotations

import pytest

from tui_dl.core.config.sweep import (MAX_COMBINATIONS, SweepError, build_combinations, expand, parse_axis,
                                      short_key)

BASE = {"name": "b", "input": [1, 28, 28],
        "layers": [{"type": "Conv2d", "out_channels": 2, "kernel_size": 3}, {"type": "LeakyReLU", "negative_slope": 0.1},
                   {"type": "Flatten"}, {"type": "Linear", "out_features": 10}, {"type": "LogSoftmax"}],
        "data": "synthetic-digits",
        "train": {"loss": "nll", "optimizer": {"name": "adam", "lr": 0.002, "betas": [0.8, 0.9]}}}


def test_keys_are_canonical_and_labels_name_the_value():
    a = parse_axis("optimizer.name=sgd, momentum ,adam")
    assert a.key == "train.optimizer.name" and a.values == ("sgd", "momentum", "adam")
    assert parse_axis("lr=0.1,0.01").key == "train.lr" and parse_axis("data.val_split=0.1,0.2").key == "data.val_split"
    assert parse_axis("activation=ReLU,Tanh").key == "activation"
    assert [short_key(k) for k in ("train.optimizer.name", "train.lr", "data.val_split")] == \
        ["optimizer", "lr", "val_split"]
    combos = expand([parse_axis("optimizer.name=sgd,adam"), parse_axis("batch_size=32,64")])
    assert [c.slug for c in combos] == ["optimizer.name=sgd+batch_size=32", "optimizer.name=sgd+batch_size=64",
                                        "optimizer.name=adam+batch_size=32", "optimizer.name=adam+batch_size=64"]
    assert combos[1].label == "optimizer=sgd, batch_size=64"


@pytest.mark.parametrize("text, message", [
    ("train.optimzer.name=sgd", "--sweep train.optimzer.name: not a setting a sweep can change; did you mean "
                                "train.optimizer.name?"),
    ("colour=red", "--sweep colour: not a setting a sweep can change; e.g. train.optimizer.name"),
    ("train.lr", "expected KEY=VALUE1,VALUE2"),
    ("train.lr=", "give the values separated by commas"),
    ("train.lr=0.1,,0.2", "none empty"),
    ("batch_size=8,8", "'8' is listed twice"),
])
def test_bad_axes_name_the_key(text, message):
    with pytest.raises(SweepError) as e:
        parse_axis(text)
    assert message in str(e.value)


@pytest.mark.parametrize("axis, message", [
    ("optimizer.name=sgd,adamm", "--sweep train.optimizer.name=adamm: train.optimizer.name: 'adamm' is not one of"),
    ("lr=0.1,-1", "--sweep train.lr=-1: train.lr: must be greater than 0"),
    ("batch_size=16,zero", "--sweep train.batch_size=zero: train.batch_size: expected an integer, got 'zero'"),
    ("activation=Tanh,Conv2d", "--sweep activation=Conv2d: not an activation layer"),
    ("data.name=synthetic-digits,moonz", "--sweep data.name=moonz: data.name:"),
])
def test_bad_values_name_the_key_and_the_value(axis, message):
    with pytest.raises(SweepError) as e:
        build_combinations(BASE, [parse_axis(axis)], "b.yaml")
    assert message in str(e.value)


def test_the_same_key_twice_and_too_many_runs_are_refused():
    with pytest.raises(SweepError, match="given twice"):
        expand([parse_axis("lr=0.1,0.2"), parse_axis("train.lr=0.3")])
    many = ",".join(str(n) for n in range(1, 10))
    with pytest.raises(SweepError, match=f"more than {MAX_COMBINATIONS}"):
        expand([parse_axis(f"batch_size={many}"), parse_axis(f"epochs={many}")])


def test_changing_the_optimizer_keeps_the_fields_it_has_and_drops_the_others():
    runs = build_combinations(BASE, [parse_axis("optimizer.name=sgd,adamw")], "b.yaml")
    (sgd, e_sgd, n_sgd), (_w, e_w, n_w) = runs
    assert e_sgd.train.optimizer.name == "sgd" and e_sgd.train.optimizer.params == {"lr": 0.002}
    assert n_sgd == ["optimizer sgd has no betas: dropped from this run"]
    assert e_w.train.optimizer.params == {"lr": 0.002, "betas": [0.8, 0.9]} and n_w == []
    assert BASE["train"]["optimizer"]["name"] == "adam"  # the base is not changed


def test_an_activation_sweep_changes_the_hidden_activations_only():
    runs = build_combinations(BASE, [parse_axis("activation=tanh,LeakyReLU")], "b.yaml")
    tanh, leaky = runs[0][1].network.layers, runs[1][1].network.layers
    assert [layer.type for layer in tanh] == ["Conv2d", "Tanh", "Flatten", "Linear", "LogSoftmax"]
    assert tanh[1].params == {} and leaky[1].params == {"negative_slope": 0.1}
    assert runs[0][0].label == "activation=tanh"


def test_the_module_is_torch_free():
    import subprocess
    import sys

    code = ("import sys; import tui_dl.core.config.sweep, tui_dl.core.runs.provenance; "
            "assert 'torch' not in sys.modules, 'torch was imported'")
    subprocess.run([sys.executable, "-c", code], check=True)
