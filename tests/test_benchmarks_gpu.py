"""benchmarks/gpu.py: skips with one clear line without CUDA; a short run where there is one (marked gpu)."""

from __future__ import annotations

import pytest
import torch

from benchmarks import gpu


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA: the skip line is not printed")
def test_without_cuda_it_says_so_and_measures_nothing(capsys):
    assert gpu.main([]) == 0
    assert capsys.readouterr().out.strip() == gpu.SKIP_LINE


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_a_short_gpu_run_reports_every_mode(tmp_path, capsys):
    import json

    out = tmp_path / "gpu.json"
    assert gpu.main(["--steps", "20", "--warmup", "10", "--presets", "lenet5", "--json", str(out)]) == 0
    res = json.loads(out.read_text())["results"]["lenet5"]
    assert set(res) == {"course", *gpu.MODES}
    assert res["fp32"]["img_s"] > 0 and res["course"]["peak_mib"] > 0
