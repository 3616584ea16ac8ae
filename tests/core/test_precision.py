"""train.precision (autocast, GradScaler, CPU bf16 detection), the CUDA switches and the sharded step's maths.

bf16 trains LeNet-5 on the CPU here: within BF16_TOLERANCE points of fp32's test accuracy (measured on this
machine: 90.0 % both on 3,000 synthetic digits, 3 epochs; on Fashion-MNIST see the README). fp16 and the CUDA
paths are marked ``gpu`` and skip without CUDA.
"""

from __future__ import annotations

import dataclasses

import pytest
import torch

from tui_dl.core.config.experiment import ConfigError, experiment_from_data, load_experiment
from tui_dl.core.training import cuda_setup, precision
from tui_dl.core.training.distributed import DistInfo, from_env, shard_bounds
from tui_dl.core.training.events import Finished, Notice
from tui_dl.core.training.loop import iter_training
from tui_dl.core.training.precision import PrecisionError, make_precision

BF16_TOLERANCE = 5.0   # points of test accuracy on synthetic digits' 300-image test set (1 image = 0.33 points); native bf16 on Zen 5 measured 4.0
CUDA = torch.cuda.is_available()

LENET = [
    {"type": "Conv2d", "out_channels": 6, "kernel_size": 5, "padding": 2}, {"type": "ReLU"},
    {"type": "MaxPool2d", "kernel_size": 2},
    {"type": "Conv2d", "out_channels": 16, "kernel_size": 5}, {"type": "ReLU"},
    {"type": "MaxPool2d", "kernel_size": 2}, {"type": "Flatten"},
    {"type": "Linear", "out_features": 120}, {"type": "ReLU"},
    {"type": "Linear", "out_features": 84}, {"type": "ReLU"},
    {"type": "Linear", "out_features": 10},
]


def _exp(precision_name: str = "fp32", samples: int = 1500, epochs: int = 2, **train):
    return experiment_from_data({
        "name": "prec", "input": [1, 28, 28], "layers": LENET,
        "data": {"name": "synthetic-digits", "num_samples": samples, "val_split": 0.1},
        "train": {"epochs": epochs, "batch_size": 64, "threads": 1, "optimizer": {"name": "adam", "lr": 0.003},
                  "precision": precision_name, **train}}, "prec-test")


def _train(exp, tmp_path, name):
    events = list(iter_training(exp, run_dir=tmp_path / name))
    return [e for e in events if isinstance(e, Finished)][0], [e for e in events if isinstance(e, Notice)]


# ----------------------------------------------------------------------------- config


def test_precision_fields_are_validated_with_the_field_named(tmp_path):
    exp = load_experiment("presets/lenet5.yaml", ["train.precision=bf16", "train.compile=true",
                                                  "train.deterministic=true", "train.tf32=false"])
    assert (exp.train.precision, exp.train.compile, exp.train.deterministic, exp.train.tf32) == ("bf16", True, True,
                                                                                                  False)
    with pytest.raises(ConfigError, match=r"train\.precision: 'fp8' is not one of fp32, bf16, fp16"):
        load_experiment("presets/lenet5.yaml", ["train.precision=fp8"])
    assert load_experiment("presets/lenet5.yaml").train.precision == "fp32"


def test_fp16_on_the_cpu_is_a_setup_error_naming_the_setting(tmp_path):
    from tui_dl.core.training.errors import SetupError

    with pytest.raises(SetupError, match="fp16 needs a CUDA GPU"):
        list(iter_training(_exp("fp16", samples=200, epochs=1, device="cpu"), run_dir=tmp_path / "r"))


def test_make_precision_modes():
    fp32 = make_precision("fp32", torch.device("cpu"))
    assert not fp32.mixed and fp32.scaler is None
    bf16 = make_precision("bf16", torch.device("cpu"))
    assert bf16.dtype is torch.bfloat16 and bf16.scaler is None
    with bf16.autocast():
        assert torch.nn.Linear(4, 3)(torch.randn(2, 4)).dtype is torch.bfloat16
    with pytest.raises(PrecisionError, match="fp16 needs a CUDA GPU"):
        make_precision("fp16", torch.device("cpu"))


def test_cpu_bf16_detection_reads_the_cpu_flags(monkeypatch, tmp_path):
    precision.cpu_bf16_native.cache_clear()
    native, how = precision.cpu_bf16_native()
    flags = open("/proc/cpuinfo").read() if __import__("os").path.exists("/proc/cpuinfo") else ""
    if "avx512_bf16" in flags or "amx_bf16" in flags:
        assert native, how
    # without torch's probes, a CPU without the flags is reported as emulated, with a clear note
    monkeypatch.setattr(precision, "cpu_bf16_native", lambda: (False, "cpu flags lack avx512_bf16/amx_bf16"))
    p = make_precision("bf16", torch.device("cpu"))
    assert p.notices[0][0] == "warning" and "emulated" in p.notices[0][1] and "slower than fp32" in p.notices[0][1]


def test_bf16_autocast_trains_lenet_on_the_cpu_close_to_fp32(tmp_path):
    fin32, _ = _train(_exp("fp32"), tmp_path, "fp32")
    fin16, notes = _train(_exp("bf16"), tmp_path, "bf16")
    assert fin16.status == "completed"
    assert any("precision bf16" in n.message for n in notes)
    assert fin16.test_accuracy > 0.5
    assert abs(fin16.test_accuracy - fin32.test_accuracy) * 100 <= BF16_TOLERANCE, (fin16.test_accuracy,
                                                                                    fin32.test_accuracy)


def test_bf16_checkpoints_hold_fp32_weights_and_resume(tmp_path):
    from tui_dl.core.runs.checkpoint import load_checkpoint

    fin, _ = _train(_exp("bf16", samples=300, epochs=1), tmp_path, "r")
    ck = load_checkpoint(tmp_path / "r" / "last.pt")
    assert all(t.dtype == torch.float32 for t in ck["model"].values() if t.is_floating_point())
    exp2 = dataclasses.replace(_exp("bf16", samples=300, epochs=2))
    events = list(iter_training(exp2, resume=tmp_path / "r"))
    assert [e for e in events if isinstance(e, Finished)][0].epochs_run == 2


def test_deterministic_switch_is_set_and_cleared():
    cfg = _exp(deterministic=True).train
    notes = cuda_setup.configure(cfg, torch.device("cpu"))
    try:
        assert torch.are_deterministic_algorithms_enabled()
        assert any("deterministic" in t for _, t in notes)
    finally:
        cuda_setup.configure(_exp().train, torch.device("cpu"))
    assert not torch.are_deterministic_algorithms_enabled()


# ----------------------------------------------------------------------------- distributed maths


@pytest.mark.parametrize("n,world", [(0, 2), (1, 2), (14, 2), (32, 3), (1000, 7)])
def test_shards_cover_every_row_once(n, world):
    bounds = [shard_bounds(n, r, world) for r in range(world)]
    rows = [i for lo, hi in bounds for i in range(lo, hi)]
    assert rows == list(range(n))
    sizes = [hi - lo for lo, hi in bounds]
    assert max(sizes) - min(sizes) <= 1


def test_rank_info_from_torchrun_environment():
    assert not from_env({}).enabled
    info = from_env({"WORLD_SIZE": "4", "RANK": "2", "LOCAL_RANK": "0", "LOCAL_WORLD_SIZE": "2"})
    assert info == DistInfo(rank=2, world=4, local_rank=0, local_world=2) and not info.is_main
    assert not from_env({"WORLD_SIZE": "x"}).enabled


def test_shard_losses_scaled_by_their_share_sum_to_the_global_mean_gradient():
    """What the all-reduce adds: each shard's loss × (shard / global batch) sums to the mean-loss gradient."""
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(5, 7), torch.nn.ReLU(), torch.nn.Linear(7, 3))
    x, y = torch.randn(13, 5), torch.randint(0, 3, (13,))
    model.zero_grad()
    torch.nn.functional.cross_entropy(model(x), y).backward()
    whole = [p.grad.clone() for p in model.parameters()]
    total = [torch.zeros_like(p) for p in model.parameters()]
    for r in range(3):
        lo, hi = shard_bounds(13, r, 3)
        model.zero_grad()
        (torch.nn.functional.cross_entropy(model(x[lo:hi]), y[lo:hi]) * ((hi - lo) / 13)).backward()
        for t, p in zip(total, model.parameters()):
            t += p.grad
    for a, b in zip(whole, total):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-7)


# ----------------------------------------------------------------------------- CUDA (skipped without it)


@pytest.mark.gpu
@pytest.mark.skipif(not CUDA, reason="needs a CUDA GPU")
def test_fp16_with_grad_scaler_trains_on_cuda(tmp_path):
    fin32, _ = _train(_exp("fp32", device="cuda"), tmp_path, "fp32")
    fin16, notes = _train(_exp("fp16", device="cuda"), tmp_path, "fp16")
    assert any("fp16" in n.message for n in notes)
    assert abs(fin16.test_accuracy - fin32.test_accuracy) * 100 <= BF16_TOLERANCE


def test_the_fp16_scaler_state_is_saved_and_restored():
    scaler = torch.amp.GradScaler("cpu", init_scale=1024.0)
    p = precision.Precision("fp16", "cpu", torch.float16, scaler)
    ck = p.save_into({"model": {}})
    assert ck["grad_scaler"]["scale"] == 1024.0
    other = precision.Precision("fp16", "cpu", torch.float16, torch.amp.GradScaler("cpu"))
    other.restore_from(ck)
    assert other.scaler.get_scale() == 1024.0
    precision.Precision("fp32", "cpu").restore_from(ck)   # fp32 ignores it


@pytest.mark.gpu
@pytest.mark.skipif(not CUDA, reason="needs a CUDA GPU")
def test_bf16_on_cuda_uses_channels_last_and_the_cuda_switches(tmp_path):
    from tui_dl.core.training.plan import plan_run

    exp = _exp("bf16", device="cuda", samples=300, epochs=1)
    fin, notes = _train(exp, tmp_path, "bf16")
    assert fin.status == "completed"
    assert torch.backends.cudnn.benchmark
    assert any("cudnn.benchmark on" in n.message for n in notes)
    from tui_dl.core.data import load_dataset
    from tui_dl.core.training.plan import data_request

    plan = plan_run(exp, load_dataset(**data_request(exp)), device="cuda")
    assert plan.channels_last


@pytest.mark.gpu
@pytest.mark.skipif(not CUDA, reason="needs a CUDA GPU")
def test_compile_time_is_reported_apart(tmp_path):
    fin, notes = _train(_exp("bf16", device="cuda", samples=300, epochs=1, compile=True), tmp_path, "c")
    assert fin.status == "completed"
    assert any("torch.compile: compiling for batches of 64 took" in n.message for n in notes)


@pytest.mark.gpu
@pytest.mark.skipif(not CUDA, reason="needs a CUDA GPU")
def test_auto_picks_the_cuda_device_with_the_most_free_memory():
    dev = cuda_setup.best_cuda_device()
    free = [torch.cuda.mem_get_info(i)[0] for i in range(torch.cuda.device_count())]
    assert free[dev.index] == max(free)


@pytest.mark.gpu
@pytest.mark.skipif(not CUDA, reason="needs a CUDA GPU")
def test_pinned_copies_reach_the_device():
    t = torch.arange(10, dtype=torch.uint8)
    out = cuda_setup.to_device(t, torch.device("cuda", 0))
    assert out.device.type == "cuda" and torch.equal(out.cpu(), t)


# ----------------------------------------------------------------------------- plan and liveness


def test_split_lanes_are_off_under_data_parallel_and_autocast():
    from tui_dl.core.data import load_dataset
    from tui_dl.core.training.plan import data_request, plan_run

    base = _exp(samples=200, epochs=1, split_batch=True)
    base = dataclasses.replace(base, train=dataclasses.replace(base.train, threads=2))
    data = load_dataset(**data_request(base))
    assert plan_run(base, data, device="cpu").lanes == 2          # the control: split where nothing forbids it
    bf16 = dataclasses.replace(base, train=dataclasses.replace(base.train, precision="bf16"))
    assert plan_run(bf16, data, device="cpu").lanes == 1
    ranked = plan_run(base, data, device="cpu", ranks=(2, 2))
    assert ranked.lanes == 1 and ranked.step == "plain" and "rank" in ranked.split_reason


class _Store:
    def __init__(self):
        self.d = {}

    def set(self, k, v):
        self.d[k] = v

    def get(self, k):
        return self.d[k].encode() if isinstance(self.d[k], str) else self.d[k]

    def check(self, keys):
        return all(k in self.d for k in keys)


def test_heartbeat_names_a_silent_rank_and_spares_a_live_one(monkeypatch):
    import threading
    import time

    from tui_dl.core.training import distributed as ddp

    monkeypatch.setattr(ddp, "HEARTBEAT_EVERY", 0.02)
    monkeypatch.setattr(ddp, "HEARTBEAT_TIMEOUT", 0.3)
    store, died = _Store(), []
    hb = ddp.Heartbeat(DistInfo(rank=0, world=3))
    hb._connect = lambda: store
    hb._die = died.append
    halt = threading.Event()

    def rank1_alive():
        n = 0
        while not halt.is_set():
            n += 1
            store.set("r1", str(n))
            time.sleep(0.02)

    t = threading.Thread(target=rank1_alive, daemon=True)
    t.start()
    store.set("r2", "1")          # rank 2 beat once, then went silent
    hb.start()
    hb.join(5)
    halt.set()
    assert not hb.is_alive()
    assert hb.missing() == [2]
    assert died and "rank 2 sent no heartbeat" in died[0]
