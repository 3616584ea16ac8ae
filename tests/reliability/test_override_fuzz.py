"""Fuzz ``--set KEY=VALUE``: any key path and any value typed on a command line gives an Experiment or a
ConfigError with at least one located problem; nothing else escapes (the loader fuzzer covers the files)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.reliability.helpers import fault
from tui_dl.core.config.experiment import ConfigError, Experiment, parse_experiment
from tui_dl.core.model.shapes import summarize

BASE = open("presets/lenet5.yaml", encoding="utf-8").read()
PARTS = ["name", "input", "layers", "data", "train", "type", "out_channels", "kernel_size", "padding", "stride",
         "out_features", "epochs", "batch_size", "optimizer", "lr", "loss", "scheduler", "early_stopping",
         "patience", "device", "val_split", "fallback", "root", "betas", "momentum", "seed", "gamma"]
key_part = st.one_of(st.sampled_from(PARTS), st.text(min_size=0, max_size=6), st.integers(0, 20).map(str))
keys = st.lists(st.tuples(key_part, st.booleans()), min_size=1, max_size=5).map(
    lambda ps: "".join((f"[{p}]" if idx and p.isdigit() and brk else (("." if idx else "") + p))
                       for idx, (p, brk) in enumerate(ps)))
values = st.one_of(st.sampled_from(["1e-3", "on", "-1", "0", "~", "[1, 2]", "{name: sgd, lr: 0.1}", "nan", ".inf",
                                    "adam", "Conv2d", "'", "[", "{", "!!python/object:os.system", "*x", "&a 1",
                                    "1e400", "99999999999999999999", "\t", ""]),
                   st.text(max_size=20))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(keys, values), min_size=1, max_size=3),
       st.sampled_from(["=", "", "==", " = "]))
def test_random_overrides(pairs, sep):
    overrides = [f"{k}{sep}{v}" for k, v in pairs]
    fault("config fuzz: random --set overrides")
    try:
        exp = parse_experiment(BASE, "lenet5.yaml", overrides)
    except ConfigError as e:
        assert e.problems and all(p.message.strip() for p in e.problems)
        for p in e.problems:
            assert p.render(e.source)
        return
    assert isinstance(exp, Experiment)
    summarize(exp.network)
