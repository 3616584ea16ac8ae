"""The benchmark runner's plumbing (no timing assertions: timed tests are not allowed here)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_runner_quick_shapes_writes_json(tmp_path):
    out = tmp_path / "r.json"
    proc = subprocess.run([sys.executable, "-m", "benchmarks", "--quick", "--only", "shapes", "--quiet-wait", "0",
                           "--out", str(out)], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    res = json.loads(out.read_text())
    assert res["quick"] is True
    assert set(res["figures"]["shapes"]) == {"lenet", "fifty_layers"}
    assert res["figures"]["shapes"]["fifty_layers"]["layers"] == 50
    assert [t["name"] for t in res["targets"]] == ["shape recompute < 5 ms for a 50-layer spec"]
    assert out.with_suffix(".md").read_text().startswith("# tui-dl benchmark results")
    assert "PASS" in proc.stdout or "FAIL" in proc.stdout


def test_runner_rejects_unknown_section():
    proc = subprocess.run([sys.executable, "-m", "benchmarks", "--only", "nope"], cwd=REPO, capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 2
    assert "unknown section" in proc.stderr


def test_reference_layout_and_synthetic_dataset(tmp_path):
    """torchvision's FashionMNIST/raw layout is built from plain or .gz IDX files; the synthetic stand-in
    serves (tensor, label) pairs like torchvision's MNIST."""
    import gzip

    import numpy as np
    import torch

    from benchmarks.reference import PILTensorDataset, course_transform, find_idx, torchvision_root

    def idx(path, arr, gz):
        header = bytes([0, 0, 8, arr.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in arr.shape)
        data = header + arr.astype(np.uint8).tobytes()
        (gzip.open if gz else open)(path, "wb").write(data)

    src = tmp_path / "idx"
    src.mkdir()
    rng = np.random.default_rng(0)
    for prefix, n, gz in (("train", 6, True), ("t10k", 4, False)):
        idx(src / f"{prefix}-images-idx3-ubyte{'.gz' if gz else ''}", rng.integers(0, 255, (n, 28, 28)), gz)
        idx(src / f"{prefix}-labels-idx1-ubyte{'.gz' if gz else ''}", rng.integers(0, 10, (n,)), gz)
    assert find_idx(src) is not None
    assert find_idx(tmp_path) is None
    root = torchvision_root(src)
    try:
        from torchvision.datasets import FashionMNIST

        ds = FashionMNIST(root, train=True, transform=course_transform(), download=False)
        x, y = ds[0]
        assert len(ds) == 6 and x.shape == (1, 28, 28) and isinstance(y, int)
        assert -1.0 <= float(x.min()) and float(x.max()) <= 1.0
    finally:
        import shutil

        shutil.rmtree(root)
    syn = PILTensorDataset(torch.zeros(3, 1, 28, 28, dtype=torch.uint8), torch.tensor([1, 2, 3]), course_transform())
    x, y = syn[2]
    assert x.shape == (1, 28, 28) and y == 3 and float(x[0, 0, 0]) == -1.0


def test_the_runner_exits_1_on_a_failed_target_or_a_section_error():
    from benchmarks.run import Target, exit_code

    ok = Target("fast enough", 2.0, ">=", 1.0)
    fail = Target("fast enough", 0.5, ">=", 1.0)
    unmeasured = Target("needs data", None, ">=", 1.0)
    assert exit_code({}, [ok, unmeasured]) == 0
    assert exit_code({}, [ok, fail]) == 1
    assert exit_code({"lenet": "no data"}, [ok]) == 1
