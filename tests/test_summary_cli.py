"""`tui-dl summary`: the table, the JSON, and the exit codes."""

from __future__ import annotations

import json
import subprocess
import sys


def run(*args):
    return subprocess.run([sys.executable, "-m", "tui_dl", *args], capture_output=True, text=True)


def test_lenet_summary_prints_params_and_shapes():
    r = run("summary", "presets/lenet5.yaml")
    assert r.returncode == 0, r.stderr
    assert "Total params: 61,706" in r.stdout
    for shape in ("6×28×28", "6×14×14", "16×10×10", "16×5×5", "400", "120", "84"):
        assert shape in r.stdout
    assert "⌊(28+2·2−5)/1⌋+1 = 28" in r.stdout and "6·(1·5·5)+6 = 156" in r.stdout


def test_simple_cnn_and_fnn_totals_json():
    for path, total in (("presets/simple_cnn.yaml", 421_642), ("presets/fnn_2_3_1.yaml", 13)):
        r = run("summary", path, "--json")
        assert r.returncode == 0
        data = json.loads(r.stdout)
        assert data["ok"] and data["totals"]["params"] == total
        assert sum(layer["params"] for layer in data["layers"]) == total


def test_handout_bug_exits_2_with_rows_up_to_the_error():
    r = run("summary", "presets/handout_bug.yaml")
    assert r.returncode == 2
    assert "360 features arrive" in r.stdout and "10×6×6" in r.stdout and "fix: set in_features to 360" in r.stdout
    data = json.loads(run("summary", "presets/handout_bug.yaml", "--json").stdout)
    assert [layer["output_shape"] for layer in data["layers"]] == [[10, 12, 12], [10, 6, 6], [360], None]


def test_bad_file_exits_2_without_traceback(tmp_path):
    f = tmp_path / "bad.yaml"
    f.write_text("input: [1, 28, 28]\nlayers:\n  - {type: Conv2D, out_channels: 6, kernel_size: 5}\n")
    r = run("summary", str(f))
    assert r.returncode == 2
    assert f"{f}:3" in r.stderr and "Conv2d" in r.stderr and "Traceback" not in r.stderr


def test_set_override_updates_downstream_shapes():
    r = run("summary", "presets/lenet5.yaml", "--set", "layers[0].kernel_size=7", "--json")
    data = json.loads(r.stdout)
    assert data["layers"][0]["output_shape"] == [6, 26, 26]
    assert data["layers"][6]["output_shape"] == [16 * 4 * 4]
