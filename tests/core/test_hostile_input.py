"""Hostile input to the experiment reader (issue 21, classes 3 and 4): numbers outside any sane range in every
numeric field, in the file and through --set, get a message that names the field, never an OverflowError or
ValueError from a conversion; an endless or huge file is refused without being read whole."""

from __future__ import annotations

import pytest

from tui_dl.core.config import schema as C
from tui_dl.core.config.experiment import ConfigError, parse_experiment
from tui_dl.core.model.layers import REGISTRY

BASE = """\
name: t
input: [1, 8, 8]
layers:
  - {type: Flatten}
  - {type: Linear, out_features: 2}
data: {name: moons}
"""

HOSTILE = ["9" * 400, "-" + "9" * 400, "9" * 5000, "1" + "0" * 40, "1e400", "-1e400", ".inf", ".nan",
           "1" * 450 + ".5"]


def numeric_paths():
    """(--set key, field) for every number the experiment file holds: data, train, each optimizer, loss and
    scheduler, early stopping, and every numeric argument of every layer kind."""
    num = ("int", "float", "int2", "padding", "floats")
    for f in C.DATA_FIELDS:
        if f.kind in num:
            yield f"data.{f.name}", ""
    for f in C.TRAIN_FIELDS:
        if f.kind in num:
            yield f"train.{f.name}", ""
    for section, table in (("optimizer", C.OPTIMIZERS), ("loss", C.LOSSES), ("scheduler", C.SCHEDULERS)):
        for name, fields in table.items():
            for f in fields:
                if f.kind in num:
                    yield f"train.{section}.{f.name}", f"train.{section}.name={name}"
    for f in C.EARLY_STOPPING_FIELDS:
        if f.kind in num:
            yield f"train.early_stopping.{f.name}", ""
    for kind in REGISTRY.values():
        for f in kind.fields:
            if f.kind in num:
                yield f"layers.1.{f.name}", f"layers.1.type={kind.name}"


PATHS = list(numeric_paths())


def test_the_generator_covers_every_section():
    keys = {k for k, _ in PATHS}
    assert {"train.epochs", "train.optimizer.lr", "data.val_split", "layers.1.kernel_size",
            "train.early_stopping.patience", "train.scheduler.t_max"} <= keys
    assert len(PATHS) > 60


@pytest.mark.parametrize("key,context", PATHS, ids=[k + (f"[{c.split('=')[1]}]" if c else "") for k, c in PATHS])
def test_hostile_numbers_through_set_name_the_field(key, context):
    for value in HOSTILE:
        overrides = ([context] if context else []) + [f"{key}={value}"]
        with pytest.raises(ConfigError) as e:
            parse_experiment(BASE, "t.yaml", overrides)
        text = str(e.value)
        assert key.split(".")[-1] in text, (key, value, text)
        assert len(text) < 2000, (key, value, len(text))


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_numbers_in_the_file_name_field_and_line(value):
    text = BASE.replace("out_features: 2", f"out_features: {value}") + f"train:\n  epochs: {value}\n"
    with pytest.raises(ConfigError) as e:
        parse_experiment(text, "t.yaml")
    paths = {p.path for p in e.value.problems}
    assert {"layers[1].out_features", "train.epochs"} <= paths, str(e.value)
    assert all(p.line is not None for p in e.value.problems if p.path in ("layers[1].out_features", "train.epochs"))


def test_a_huge_index_in_a_set_key_is_refused():
    with pytest.raises(ConfigError) as e:
        parse_experiment(BASE, "t.yaml", [f"layers.{'9' * 5000}.out_features=3"])
    assert "layers" in str(e.value)


def test_an_endless_or_huge_experiment_file_is_refused_without_reading_it_whole(tmp_path):
    """/dev/zero as the experiment file: read at most one byte past the 2 MB limit, then refused with a message
    (it used to read until MemoryError). Checked with a memory cap on a child process."""
    import subprocess
    import sys

    code = ("import resource, sys\n"
            "resource.setrlimit(resource.RLIMIT_AS, (1_500_000_000, 1_500_000_000))\n"
            "from tui_dl.core.config.experiment import ConfigError, load_experiment\n"
            "try:\n    load_experiment(sys.argv[1])\nexcept ConfigError as e:\n    print(e)\n")
    huge = tmp_path / "huge.yaml"
    with open(huge, "wb") as f:
        f.truncate(3_000_000_000)  # sparse: 3 GB that take no disk
    for path, says in (("/dev/zero", "endless (not a regular file)"), (str(huge), "3,000,000,000 bytes")):
        r = subprocess.run([sys.executable, "-c", code, path], capture_output=True, text=True, timeout=60)
        assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr
        assert says in r.stdout and "limit 2,000,000 bytes" in r.stdout, r.stdout
