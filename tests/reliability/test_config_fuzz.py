"""Fuzz the experiment loader: whatever the bytes, the result is an Experiment or a located ConfigError.

Counts of tried documents are printed with `pytest -s` and reported in the issue notes.
"""

from __future__ import annotations

import glob
import random

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tui_dl.core.config.experiment import ConfigError, Experiment, parse_experiment
from tui_dl.core.model.shapes import summarize

PRESET_TEXTS = [open(p, encoding="utf-8").read() for p in sorted(glob.glob("presets/*.yaml"))]
KEYS = ["name", "description", "input", "layers", "data", "train", "type", "out_channels", "kernel_size", "stride",
        "padding", "out_features", "in_features", "epochs", "batch_size", "optimizer", "lr", "loss", "scheduler",
        "early_stopping", "patience", "seed", "device", "val_split", "fallback", "p", "dim", "projection", "betas"]

scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**12, 10**12), st.floats(allow_nan=True),
                    st.text(max_size=12), st.sampled_from(["1e-3", "on", "no", "same", "Conv2d", "ReLU", "adam",
                                                           "nan", ".inf", "-1", "0", "~", "Linear", "mnist"]))
values = st.recursive(scalars, lambda children: st.one_of(
    st.lists(children, max_size=5), st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=6), children,
                                                    max_size=5)), max_leaves=25)


def check(text: str) -> str:
    """Load; return 'ok' or 'error'. Any exception other than ConfigError fails the test."""
    try:
        exp = parse_experiment(text, "fuzz.yaml")
    except ConfigError as e:
        assert e.problems, "a ConfigError must carry at least one problem"
        for p in e.problems:
            assert p.message.strip()
            rendered = p.render("fuzz.yaml")
            assert rendered.startswith("fuzz.yaml")
        return "error"
    assert isinstance(exp, Experiment)
    summarize(exp.network)  # the summary must not raise either
    return "ok"


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.sampled_from(KEYS), values, max_size=6))
def test_random_documents(doc):
    text = yaml.safe_dump(doc, allow_unicode=True)
    check(text)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(PRESET_TEXTS), st.randoms(use_true_random=False), st.integers(1, 4))
def test_mutated_presets(text, rnd: random.Random, n_mutations):
    """Byte-level damage to real presets: deletions, tabs, duplicated lines, swapped values, junk bytes."""
    lines = text.splitlines(keepends=True)
    for _ in range(n_mutations):
        op = rnd.randrange(7)
        i = rnd.randrange(len(lines))
        if op == 0:
            del lines[i]
        elif op == 1:
            lines[i] = "\t" + lines[i]
        elif op == 2:
            lines.insert(i, lines[rnd.randrange(len(lines))])
        elif op == 3:
            lines[i] = lines[i].replace(":", "", 1)
        elif op == 4:
            lines[i] = lines[i].replace("5", rnd.choice(["-5", "0", "5.5", "five", "[5, 5, 5]", "1e9"]))
        elif op == 5:
            lines[i] = lines[i][: rnd.randrange(len(lines[i]) + 1)]
        else:
            lines[i] = lines[i].replace("}", "")
        if not lines:
            lines = ["\n"]
    check("".join(lines))


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_random_bytes(data):
    text = data.decode("utf-8", errors="replace")
    check(text)


def test_known_nasty_inputs():
    nasty = [
        "", "\n", "---\n", "...\n", "~\n", "[]\n", "42\n", "'text'\n", "{}\n",
        "input: [1, 28, 28]\nlayers: {type: ReLU}\n",
        "input: [1, 28, 28]\nlayers:\n  - ReLU\n  - 3\n",
        "input: [1e9, 1e9, 1e9]\nlayers: [ReLU]\n",
        "input: [1, 28, 28]\nlayers: [{type: Residual, layers: [{type: Residual, layers: []}]}]\n",
        "input: [1, 28, 28]\nlayers: [{type: Conv2d, out_channels: 99999999999, kernel_size: 3}]\n",
        "input: [2]\nlayers: [{type: Linear, out_features: 1}]\ntrain: {optimizer: {name: adam, betas: 0.9}}\n",
        "input: [2]\nlayers: [{type: Linear, out_features: 1}]\ntrain: {scheduler: {name: step, step_size: 0}}\n",
        "input: [2]\nlayers: [{type: Linear, out_features: 1}]\ntrain: {early_stopping: yes}\n",
        "input: [2]\nlayers: [{type: Linear, out_features: 1}]\ndata: {name: mnist, val_split: 1.5}\n",
        "&a [*a]\n",
        "input: &x [1, 2, 3]\nlayers: *x\n",
        "? [a, b]\n: c\n",
        "input: [2]\nlayers: [{type: Linear, out_features: .nan}]\n",
    ]
    outcomes = [check(t) for t in nasty]
    assert outcomes.count("error") >= len(nasty) - 2
