"""GPU throughput: tui-dl's engine in fp32, bf16 and bf16 + torch.compile against the course loop, same GPU.

    python -m benchmarks.gpu [--steps 300] [--warmup 50] [--presets lenet5,simple_cnn,resnet_small] [--json FILE]

For each preset (LeNet-5, SimpleCNN, the small ResNet; batch 64, Adam 1e-3, Fashion-MNIST when the Debian
package is installed, else synthetic digits) it times ``--steps`` optimizer steps after ``--warmup`` (the
compile happens in the warm-up) and reports img/s and the peak GPU memory of:

- ``course``: the course loop on the GPU (``DataLoader(ds, batch_size=64, shuffle=True)``, torchvision's
  ``ToTensor``/``Normalize`` per sample, ``x.to(device)`` per batch, ``Adam``, ``CrossEntropyLoss``);
- ``fp32``, ``bf16``, ``bf16+compile``: ``iter_training`` with ``train.precision`` (and ``train.compile``).

Without CUDA it prints one line saying so and exits 0: nothing is measured (this repository's CI machine has no
GPU, so the README's GPU figures are left for a machine that has one).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import tempfile
import time

SKIP_LINE = "benchmarks.gpu: skipped: no CUDA GPU here (torch.cuda.is_available() is False); nothing measured"
PRESETS = ("lenet5", "simple_cnn", "resnet_small")
MODES = ("fp32", "bf16", "bf16+compile")


def _data():
    from tui_dl.core.data import load_dataset

    try:
        return load_dataset("fashion-mnist", download=False, val_split=0.0, fallback=None)
    except Exception:  # noqa: BLE001 - no Fashion-MNIST here: synthetic digits
        return load_dataset("synthetic-digits", num_samples=20000, val_split=0.0)


def course_loop(exp, data, device, warmup: int, steps: int) -> dict:
    """The course's loop on ``device``: per-sample transforms, a DataLoader, ``.to(device)`` per batch."""
    import torch
    from torch import nn

    from benchmarks.reference import PILTensorDataset, course_transform
    from tui_dl.core.model.build import build_model

    torch.manual_seed(0)
    model = build_model(exp.network).to(device)
    loader = torch.utils.data.DataLoader(PILTensorDataset(data.train.x, data.train.y, course_transform()),
                                         batch_size=64, shuffle=True)
    opt, crit = torch.optim.Adam(model.parameters(), lr=1e-3), nn.CrossEntropyLoss()
    torch.cuda.reset_peak_memory_stats(device)
    it, done, t0 = iter(loader), 0, 0.0
    for i in range(warmup + steps):
        if i == warmup:
            torch.cuda.synchronize(device)
            t0 = time.perf_counter()
        try:
            x, y = next(it)
        except StopIteration:
            it = iter(loader)
            x, y = next(it)
        x, y = x.to(device), y.to(device)
        opt.zero_grad()
        crit(model(x), y).backward()
        opt.step()
        done += len(y) if i >= warmup else 0
    torch.cuda.synchronize(device)
    secs = time.perf_counter() - t0
    return {"img_s": done / secs, "peak_mib": torch.cuda.max_memory_allocated(device) / 2**20}


def engine(exp, data, device, mode: str, warmup: int, steps: int) -> dict:
    """tui-dl's engine in ``mode`` (fp32, bf16, bf16+compile): the StepDone window after the warm-up."""
    import torch

    from benchmarks.engine import StepClock, engine_experiment
    from tui_dl.core.training.loop import iter_training

    log = 10
    warmup, steps = -(-warmup // log) * log, -(-steps // log) * log
    e = engine_experiment(exp, epochs=1000, limit_batches=warmup + steps, log_every=log)
    e = dataclasses.replace(e, train=dataclasses.replace(
        e.train, device=str(device), precision="bf16" if mode != "fp32" else "fp32", compile="compile" in mode,
        epochs=1))
    torch.cuda.reset_peak_memory_stats(device)
    with tempfile.TemporaryDirectory(prefix="tui-dl-gpu-bench-") as tmp:
        clock = StepClock(iter_training(e, runs_dir=tmp, data=data))
        for _ in clock:
            pass
    secs = clock.window(warmup, warmup + steps)
    return {"img_s": steps * e.train.batch_size / secs, "peak_mib": torch.cuda.max_memory_allocated(device) / 2**20}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.gpu", description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--warmup", type=int, default=50)
    ap.add_argument("--presets", default=",".join(PRESETS))
    ap.add_argument("--json", help="also write the results here")
    args = ap.parse_args(argv)
    import torch

    if not torch.cuda.is_available():
        print(SKIP_LINE)
        return 0
    from tui_dl.core.config.experiment import load_experiment
    from tui_dl.core.training.cuda_setup import best_cuda_device

    device = best_cuda_device()
    data = _data()
    print(f"GPU {torch.cuda.get_device_name(device)}, torch {torch.__version__}, data {data.name} "
          f"({len(data.train):,} train images), batch 64, {args.steps} timed steps after {args.warmup}")
    results: dict[str, dict] = {}
    print(f"{'preset':14} {'mode':14} {'img/s':>10} {'× course':>9} {'peak MiB':>9}")
    for name in args.presets.split(","):
        exp = load_experiment(f"presets/{name}.yaml")
        row = {"course": course_loop(exp, data, device, args.warmup, args.steps)}
        for mode in MODES:
            try:
                row[mode] = engine(exp, data, device, mode, args.warmup, args.steps)
            except Exception as e:  # noqa: BLE001 - one mode failing (no compiler) must not hide the rest
                row[mode] = {"error": f"{type(e).__name__}: {e}"[:200]}
        results[name] = row
        base = row["course"]["img_s"]
        for mode, r in row.items():
            if "error" in r:
                print(f"{name:14} {mode:14} {r['error']}")
            else:
                print(f"{name:14} {mode:14} {r['img_s']:>10,.0f} {r['img_s'] / base:>8.1f}× {r['peak_mib']:>9,.0f}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"device": torch.cuda.get_device_name(device), "results": results}, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
