"""A network too big for the machine is refused from its spec, before anything is allocated: 10⁹ parameters, or a
batch whose activations need more than the free memory. One message with the size and what to change, exit 2, no
run folder. (/dev/zero as the experiment file: tests/core/test_hostile_input.py; a gzip bomb posing as an IDX
file and an IDX header declaring more than the machine holds: tests/reliability/test_data_faults.py.)"""

from __future__ import annotations

import pytest

from tests.reliability.helpers import cli, fault, write
from tui_dl.core.model.shapes import summarize
from tui_dl.core.model.spec import NetworkSpec
from tui_dl.core.training import memory

GIB = 1 << 30

BILLION = """\
name: a billion
input: [1, 28, 28]
layers:
  - {type: Flatten}
  - {type: Linear, out_features: 1000000}
  - {type: ReLU}
  - {type: Linear, out_features: 1000}
  - {type: Linear, out_features: 10}
data: {name: synthetic-digits, num_samples: 200}
train: {epochs: 1, batch_size: 64, threads: 1}
"""

WIDE_CONV = """\
name: wide conv
input: [1, 28, 28]
layers:
  - {type: Conv2d, out_channels: 4096, kernel_size: 3, padding: 1}
  - {type: ReLU}
  - {type: AdaptiveAvgPool2d, output_size: 1}
  - {type: Flatten}
  - {type: Linear, out_features: 10}
data: {name: synthetic-digits, num_samples: 200}
train: {epochs: 1, batch_size: 512, threads: 1, optimizer: {name: sgd, lr: 0.01}}
"""


@pytest.fixture
def free_8g(monkeypatch):
    monkeypatch.setattr(memory, "available_memory", lambda device: (8 * GIB, "memory"))


def test_a_billion_parameters_are_refused_before_allocating(free_8g, tmp_path):
    f = write(tmp_path / "big.yaml", BILLION)
    fault("too big: 1.8e9 parameters")
    rc, out, err = cli("--batch", f, "--out", tmp_path / "run")
    assert rc == 2, err
    line = err.strip()
    assert line.count("\n") == 0 and line.startswith("tui-dl: the network is too big for this computer"), err
    assert "1,785,011,010 parameters" in line and "but only 8.0 GB of memory is free" in line
    assert "make the network smaller" in line and "tui-dl summary" in line
    assert not (tmp_path / "run").exists()  # nothing was written, nothing allocated


def test_activations_too_big_for_the_batch_suggest_a_batch_that_fits(free_8g, tmp_path):
    f = write(tmp_path / "wide.yaml", WIDE_CONV)
    fault("too big: activations of a batch")
    rc, _, err = cli("--batch", f, "--out", tmp_path / "run")
    assert rc == 2, err
    assert "of activations for a batch of 512" in err and "--set train.batch_size=" in err, err
    suggested = int(err.split("--set train.batch_size=")[1].split(")")[0])
    spec = NetworkSpec.from_dict({"input": [1, 28, 28], "layers": [
        {"type": "Conv2d", "out_channels": 4096, "kernel_size": 3, "padding": 1}, {"type": "ReLU"},
        {"type": "AdaptiveAvgPool2d", "output_size": 1}, {"type": "Flatten"}, {"type": "Linear", "out_features": 10}]})
    s = summarize(spec)
    assert memory.memory_problem(s, suggested, "sgd", 8 * GIB) is None  # the advice fits
    assert memory.memory_problem(s, suggested * 2, "sgd", 8 * GIB) is not None or suggested * 2 > 512


def test_a_network_that_fits_is_not_refused():
    s = summarize(NetworkSpec.from_dict({"input": [2], "layers": [{"type": "Linear", "out_features": 2}]}))
    assert memory.memory_problem(s, 64, "adam", 1 << 20) is None
    assert memory.memory_problem(s, 64, "adam", 100) is not None


def test_free_memory_is_read_from_meminfo(tmp_path):
    p = write(tmp_path / "meminfo", "MemTotal:       24683664 kB\nMemFree:  1 kB\nMemAvailable:   2048 kB\n")
    assert memory._meminfo_available(str(p)) == 2048 * 1024
    assert memory._meminfo_available(str(tmp_path / "missing")) is None
    got = memory.available_memory("cpu")
    assert got is None or got[0] > 0
    assert memory.available_memory("mps") is None
