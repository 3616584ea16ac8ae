"""Issue 19's memory cuts: the IDX reader fills its array in place (chunk by chunk, no bytes copy), the
per-channel statistics run in small chunks, and a CPU-only process does not load triton."""

import gzip
import sys

import numpy as np
import pytest
import torch

from tui_dl.core.data import idx as idx_mod
from tui_dl.core.data.normalize import _channel_stats
from tui_dl.core.training import lean


def _idx_bytes(arr: np.ndarray) -> bytes:
    head = (2051 if arr.ndim == 3 else 2049).to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in arr.shape)
    return head + arr.astype(np.uint8).tobytes()


@pytest.mark.parametrize("gz", [False, True])
def test_idx_reader_fills_its_array_across_chunks(tmp_path, monkeypatch, gz):
    monkeypatch.setattr(idx_mod, "_CHUNK", 7)  # many partial reads, none aligned with an image
    arr = np.random.default_rng(0).integers(0, 256, size=(5, 4, 3), dtype=np.uint8)
    path = tmp_path / ("x.gz" if gz else "x")
    raw = _idx_bytes(arr)
    path.write_bytes(gzip.compress(raw) if gz else raw)
    got = idx_mod._read_idx(path, "images")
    assert got.shape == arr.shape and np.array_equal(got, arr)
    assert got.flags.writeable  # torch.from_numpy needs no copy and warns about nothing


def test_idx_reader_still_refuses_extra_and_missing_bytes(tmp_path):
    arr = np.zeros((3, 2, 2), dtype=np.uint8)
    (tmp_path / "long").write_bytes(_idx_bytes(arr) + b"\0")
    (tmp_path / "short").write_bytes(_idx_bytes(arr)[:-1])
    with pytest.raises(idx_mod.DataError, match="longer than its header"):
        idx_mod._read_idx(tmp_path / "long", "images")
    with pytest.raises(idx_mod.DataError, match="truncated"):
        idx_mod._read_idx(tmp_path / "short", "images")


def test_channel_stats_in_small_chunks_match_the_whole_set():
    x = torch.randint(0, 256, (3000, 2, 28, 28), dtype=torch.uint8)  # several chunks of ~4 MiB
    mean, std = _channel_stats(x)
    f = x.double() / 255
    want_mean = f.mean(dim=(0, 2, 3))
    want_std = f.std(dim=(0, 2, 3), unbiased=False)
    assert mean == pytest.approx(want_mean.tolist(), abs=2e-6)
    assert std == pytest.approx(want_std.tolist(), abs=2e-6)


def test_triton_is_marked_absent_on_a_cpu_only_machine(monkeypatch):
    monkeypatch.setitem(sys.modules, "triton", None)  # recorded, so the test's own marks are undone after it
    monkeypatch.delitem(sys.modules, "triton")
    monkeypatch.delenv("TUI_DL_KEEP_TRITON", raising=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert lean.skip_gpu_compiler() is True
    assert sys.modules["triton"] is None
    with pytest.raises(ImportError):
        import triton  # noqa: F401
    assert lean.skip_gpu_compiler() is True  # once marked, stays marked


def test_triton_is_left_alone_with_a_gpu_or_when_asked(monkeypatch):
    monkeypatch.setitem(sys.modules, "triton", None)  # recorded, so the test's own marks are undone after it
    monkeypatch.delitem(sys.modules, "triton")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert lean.skip_gpu_compiler() is False and "triton" not in sys.modules
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setenv("TUI_DL_KEEP_TRITON", "1")
    assert lean.skip_gpu_compiler() is False and "triton" not in sys.modules
