"""Networks that cannot run are caught before training starts, with the layer named (summary and --batch)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from tui_dl.core.config.experiment import parse_experiment
from tui_dl.core.model.shapes import summarize

CASES = {
    "kernel larger than input": ("[1, 4, 4]", "- {type: Conv2d, out_channels: 2, kernel_size: 7}", 1, "larger than"),
    "pool to zero": ("[1, 8, 8]", "- {type: MaxPool2d, kernel_size: 4}\n- {type: MaxPool2d, kernel_size: 4}", 2,
                     "too small"),
    "flatten before conv": ("[1, 8, 8]", "- {type: Flatten}\n- {type: Conv2d, out_channels: 2, kernel_size: 3}", 2,
                            "Put Conv2d before the Flatten"),
    "mismatched residual": ("[4, 8, 8]", "- type: Residual\n  projection: none\n  layers:\n"
                                         "    - {type: Conv2d, out_channels: 8, kernel_size: 3, padding: 1}", 1,
                            "cannot be added"),
    "linear without flatten": ("[1, 8, 8]", "- {type: Linear, out_features: 10}", 1, "Insert a Flatten"),
    "wrong in_channels": ("[3, 8, 8]", "- {type: Conv2d, in_channels: 1, out_channels: 2, kernel_size: 3}", 1,
                          "Set in_channels to 3"),
    "batchnorm on the wrong rank": ("[4]", "- {type: BatchNorm2d}", 1, "Use BatchNorm1d"),
}


def experiment(shape: str, layers: str):
    body = textwrap.indent(layers, "  ")
    return f"name: bad\ninput: {shape}\nlayers:\n{body}\ndata: {{name: synthetic-digits, num_samples: 200}}\n" \
           f"train: {{epochs: 1, device: cpu}}\n"


@pytest.mark.parametrize("case", CASES)
def test_summary_names_the_failing_layer(case):
    shape, layers, bad_index, phrase = CASES[case]
    s = summarize(parse_experiment(experiment(shape, layers), "bad.yaml").network)
    assert not s.ok
    assert s.first_error.index_text == str(bad_index)
    assert phrase in s.first_error.error


@pytest.mark.parametrize("case", ["kernel larger than input", "mismatched residual", "flatten before conv"])
def test_batch_refuses_before_training(case, tmp_path):
    shape, layers, bad_index, phrase = CASES[case]
    f = tmp_path / "bad.yaml"
    f.write_text(experiment(shape, layers))
    r = subprocess.run([sys.executable, "-m", "tui_dl", "--batch", str(f), "--runs-dir", str(tmp_path / "runs")],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2, r.stdout + r.stderr
    out = r.stdout + r.stderr
    assert phrase in out and "Traceback" not in out
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir()), "no run should start"
