"""Experiment YAML: validation with file/line/field locations, PyYAML pitfalls, overrides, round trips."""

from __future__ import annotations

import glob

import pytest

from tui_dl.core.config.schema import OPTIMIZERS, Named
from tui_dl.core.config.experiment import ConfigError, load_experiment, parse_experiment, save_experiment

GOOD = """\
name: t
input: [1, 28, 28]
layers:
  - {type: Conv2d, out_channels: 6, kernel_size: 5}
  - {type: Flatten}
  - {type: Linear, out_features: 10}
"""


def problems(text: str, source="exp.yaml", overrides=None):
    with pytest.raises(ConfigError) as info:
        parse_experiment(text, source, overrides)
    return info.value.problems, str(info.value)


def test_good_file_defaults():
    exp = parse_experiment(GOOD, "exp.yaml")
    assert exp.network.input_shape == (1, 28, 28)
    assert exp.train.optimizer == Named("adam") and exp.train.optimizer.resolved(OPTIMIZERS)["lr"] == 0.001
    assert exp.data.name == "mnist" and exp.train.epochs == 10


def test_unknown_layer_type_suggests_and_names_line():
    probs, text = problems(GOOD.replace("type: Flatten", "type: Flaten"))
    assert probs[0].line == 5 and probs[0].path == "layers[1].type"
    assert "Did you mean 'Flatten'" in probs[0].message
    assert text.startswith("exp.yaml:5:")


def test_misspelt_field_suggests():
    probs, _ = problems(GOOD.replace("kernel_size", "kernal_size"))
    assert probs[0].path == "layers[0].kernal_size" and probs[0].line == 4
    assert "Did you mean 'kernel_size'" in probs[0].message


def test_wrong_type_and_out_of_range():
    probs, _ = problems(GOOD.replace("out_channels: 6", "out_channels: six"))
    assert probs[0].path == "layers[0].out_channels" and "expected an integer" in probs[0].message
    probs, _ = problems(GOOD.replace("kernel_size: 5", "kernel_size: 0"))
    assert "at least 1" in probs[0].message
    probs, _ = problems(GOOD + "train:\n  epochs: -3\n  batch_size: 1.5\n")
    assert {p.path for p in probs} == {"train.epochs", "train.batch_size"}
    assert [p.line for p in probs] == [8, 9]


def test_empty_network_and_empty_file():
    probs, _ = problems("name: x\ninput: [2]\nlayers: []\n")
    assert probs[0].path == "layers" and "no layers" in probs[0].message
    probs, _ = problems("")
    assert "empty" in probs[0].message
    probs, _ = problems("- just\n- a list\n")
    assert "mapping" in probs[0].message


def test_missing_input_and_required_field():
    probs, _ = problems("layers:\n  - {type: Linear}\n")
    paths = {p.path for p in probs}
    assert "input" in paths and "layers[0]" in paths
    assert any("needs out_features" in p.message for p in probs)


def test_yaml_1e3_is_a_number_and_on_is_explained():
    exp = parse_experiment(GOOD + "train:\n  optimizer: {name: sgd, lr: 1e-3}\n  weight_decay: 5E-4\n", "x")
    assert exp.train.optimizer.params["lr"] == pytest.approx(0.001)
    assert exp.train.weight_decay == pytest.approx(5e-4)
    probs, _ = problems(GOOD + "train:\n  epochs: on\n")
    assert "true" in probs[0].message and "quote" in probs[0].message


def test_duplicate_keys_warn():
    exp = parse_experiment(GOOD + "train:\n  epochs: 3\n  epochs: 5\n", "dup.yaml")
    assert exp.train.epochs == 5
    assert exp.warnings and "dup.yaml:9" in exp.warnings[0] and "more than once" in exp.warnings[0]


def test_syntax_errors_have_lines_and_tabs_are_explained():
    probs, _ = problems("name: x\ninput: [1, 2\nlayers: []\n")
    assert probs[0].line is not None and "syntax" in probs[0].message
    probs, _ = problems("name: x\ninput:\n\t- 2\n")
    assert "tabs" in probs[0].message and probs[0].line == 3


def test_yaml_bomb_and_deep_nesting_refused():
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{c}: &{c} [{', '.join(['*' + p] * 9)}]\n" for p, c in zip("abcdefgh", "bcdefghi"))
    probs, _ = problems(bomb)
    assert "aliases" in probs[0].message
    probs, _ = problems("x: " + "[" * 200 + "]" * 200 + "\n")
    assert "deep" in probs[0].message


def test_python_tags_refused():
    probs, _ = problems("name: !!python/object/apply:os.system ['echo hi']\ninput: [2]\n")
    assert "not allowed" in probs[0].message


def test_non_utf8_and_missing_file(tmp_path):
    f = tmp_path / "bad.yaml"
    f.write_bytes(b"name: caf\xe9\ninput: [2]\n")
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_experiment(f)
    with pytest.raises(ConfigError, match="no such file"):
        load_experiment(tmp_path / "nope.yaml")
    with pytest.raises(ConfigError, match="folder"):
        load_experiment(tmp_path)


def test_unknown_sections_and_optimizer_fields():
    probs, _ = problems(GOOD + "trian:\n  epochs: 2\n")
    assert "Did you mean 'train'" in probs[0].message
    probs, _ = problems(GOOD + "train:\n  optimizer: {name: adma}\n")
    assert "did you mean 'adam'" in probs[0].message
    probs, _ = problems(GOOD + "train:\n  optimizer: {name: sgd, betas: [0.9, 0.99]}\n")
    assert probs[0].path == "train.optimizer.betas" and "unknown field" in probs[0].message
    probs, _ = problems(GOOD + "train:\n  device: gpu\n")
    assert probs[0].path == "train.device"


def test_overrides_typed_like_yaml():
    exp = parse_experiment(GOOD, "x", ["train.epochs=3", "train.optimizer.lr=1e-2", "layers[0].kernel_size=[3, 5]",
                                       "data.name=synthetic-digits"])
    assert exp.train.epochs == 3 and exp.train.optimizer.params["lr"] == 0.01
    assert exp.network.layers[0].params["kernel_size"] == [3, 5]
    assert exp.data.name == "synthetic-digits"
    probs, text = problems(GOOD, "x", ["train.epochs"])
    assert "--set train.epochs" in text
    probs, _ = problems(GOOD, "x", ["train.epochs=many"])
    assert probs[0].path == "train.epochs"


def test_string_optimizer_then_override():
    exp = parse_experiment(GOOD + "train:\n  optimizer: sgd\n", "x", ["train.optimizer.momentum=0.9"])
    assert exp.train.optimizer == Named("sgd", {"momentum": 0.9})


@pytest.mark.parametrize("path", sorted(glob.glob("presets/*.yaml")))
def test_presets_round_trip(path, tmp_path):
    exp = load_experiment(path)
    out = tmp_path / "saved.yaml"
    save_experiment(exp, out)
    again = load_experiment(out)
    assert (again.name, again.description, again.network, again.data, again.train) == (
        exp.name, exp.description, exp.network, exp.data, exp.train)
    # and saving the reloaded one gives the same text
    assert again.to_yaml() == exp.to_yaml()


def _checked(check):
    """(path, message) of every problem ``check`` raises, or None when it accepts."""
    try:
        check()
    except ConfigError as e:
        return [(p.path, p.message) for p in e.problems]
    return None


def test_validate_experiment_rejects_exactly_what_the_yaml_round_trip_rejects():
    from dataclasses import replace

    from tui_dl.core.config.experiment import validate_experiment
    from tui_dl.core.config.schema import DataConfig, EarlyStopping
    from tui_dl.core.model.spec import LayerSpec

    base = parse_experiment(GOOD, "x")
    net = base.network
    edits = {
        "unchanged": base,
        "epochs 0": replace(base, train=replace(base.train, epochs=0)),
        "batch size as text": replace(base, train=replace(base.train, batch_size="many")),
        "bad device": replace(base, train=replace(base.train, device="gpu")),
        "unknown optimizer": replace(base, train=replace(base.train, optimizer=Named("adamm"))),
        "negative lr": replace(base, train=replace(base.train, optimizer=Named("sgd", {"lr": -1.0}))),
        "nesterov without momentum": replace(base, train=replace(base.train,
                                                                  optimizer=Named("sgd", {"nesterov": True}))),
        "unknown scheduler field": replace(base, train=replace(base.train, scheduler=Named("step", {"gama": 1}))),
        "early stopping patience 0": replace(base, train=replace(base.train, early_stopping=EarlyStopping(0))),
        "val_split too big": replace(base, data=DataConfig(val_split=0.95)),
        "unknown layer type": replace(base, network=net.replace_layer((1,), LayerSpec("Flaten"))),
        "missing required": replace(base, network=net.replace_layer((2,), LayerSpec("Linear"))),
        "unknown argument": replace(base, network=net.replace_layer((1,), LayerSpec("Flatten", {"dim": 1}))),
        "bad kernel": replace(base, network=net.replace_layer((0,), net.layers[0].with_params(kernel_size=0))),
        "inner layers in ReLU": replace(base, network=net.insert_layer((1,), LayerSpec("ReLU", {},
                                                                                       (LayerSpec("ReLU"),)))),
        "bad input shape": replace(base, network=replace(net, input_shape=(0, 28))),
        "no layers": replace(base, network=replace(net, layers=())),
    }
    for what, exp in edits.items():
        by_value = _checked(lambda: validate_experiment(exp, "<edit>"))
        by_text = _checked(lambda: parse_experiment(exp.to_yaml(), "<edit>"))
        assert by_value == by_text, what
        assert (by_value is None) == (what == "unchanged"), (what, by_value)
    assert validate_experiment(base).network == base.network


def test_train_lr_shorthand_is_checked_with_the_chosen_optimizers_field():
    exp = parse_experiment(GOOD + "train:\n  optimizer: sgd\n  lr: 0.5\n", "x")
    assert exp.train.optimizer == Named("sgd", {"lr": 0.5})
    probs, _ = problems(GOOD + "train:\n  optimizer: gd\n  lr: 0\n")
    assert (probs[0].path, probs[0].message, probs[0].line) == ("train.lr", "must be greater than 0; got 0.", 9)


def test_config_dataclass_defaults_are_the_fields_defaults():
    from tui_dl.core.config import schema as C

    for cls, fields in ((C.DataConfig, C.DATA_FIELDS), (C.EarlyStopping, C.EARLY_STOPPING_FIELDS),
                        (C.TrainConfig, C.TRAIN_FIELDS)):
        value = cls()
        for f in fields:
            assert getattr(value, f.name) == f.default, (cls.__name__, f.name)
    keys = list(C.TrainConfig().to_dict())
    assert keys[:4] == ["epochs", "batch_size", "loss", "optimizer"] and keys[-2:] == ["scheduler", "early_stopping"]
    assert set(keys) == {f.name for f in C.TRAIN_FIELDS} | {"loss", "optimizer", "scheduler", "early_stopping"}


def test_unknown_train_field_lists_and_suggests_every_train_key():
    """train: also takes loss, optimizer, scheduler, early_stopping and lr; the message names them."""
    probs, _ = problems(GOOD + "train:\n  bogus: 1\n")
    assert probs[0].path == "train.bogus"
    for name in ("epochs", "batch_size", "loss", "optimizer", "scheduler", "early_stopping", "lr"):
        assert name in probs[0].message, name
    probs, _ = problems(GOOD + "train:\n  optimiser: adam\n")
    assert "Did you mean 'optimizer'" in probs[0].message
    probs, _ = problems(GOOD + "train:\n  early_stoping: true\n")
    assert "Did you mean 'early_stopping'" in probs[0].message
