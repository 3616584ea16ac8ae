"""Which layers does a step's time go to, and does channels-last help each of them?

    python -m benchmarks.explore.layer_times [--model lenet|simplecnn] [--threads N] [--clock wall|cpu]
                                             [--steps N] [--data IDX]

Each layer of the preset's network alone, forward and backward, at batch 64: the median time per call,
channels-last (what the engine uses for conv nets on the CPU) and contiguous NCHW.

Finding (README, "Why LeNet-5 stays under 4×"): the two convolutions (forward and backward) and the 6-channel
max-pool are ~70% of a LeNet-5 half-step; every eager-torch replacement tried was slower (im2col + GEMM
convolutions, a strided-view 2×2 pool with first-max ties, oneDNN's blocked layout around the pool).
Channels-last is kept for conv nets on the CPU (README, "What the engine does to be fast").
"""

from __future__ import annotations

import argparse
import statistics

import torch

from benchmarks.explore.engine_steps import BS, CLOCKS, IDX, PRESETS, load
from tui_dl.core.config.experiment import load_experiment
from tui_dl.core.data import normalize_batch
from tui_dl.core.model.build import build_model


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m benchmarks.explore.layer_times")
    p.add_argument("--model", default="lenet", choices=tuple(PRESETS))
    p.add_argument("--threads", type=int, default=torch.get_num_threads())
    p.add_argument("--clock", default="wall", choices=tuple(CLOCKS))
    p.add_argument("--steps", type=int, default=200)
    p.add_argument("--data", default=IDX)
    a = p.parse_args(argv)
    data = load(a.data)
    torch.set_num_threads(a.threads)
    clock = CLOCKS[a.clock]
    exp = load_experiment(PRESETS[a.model])
    torch.manual_seed(0)
    xb = normalize_batch(data.train.x[:BS], data.mean, data.std)
    rows = []
    for fmt_name, mf in (("channels-last", torch.channels_last), ("NCHW", torch.contiguous_format)):
        model = build_model(exp.network).to(memory_format=mf)
        x = xb.contiguous(memory_format=mf)
        for i, layer in enumerate(model):
            inp = x.detach().requires_grad_(i > 0)
            out = layer(inp)
            g = torch.randn_like(out)
            fw, bw = [], []
            for r in range(a.steps):
                t0 = clock()
                o = layer(inp)
                t1 = clock()
                o.backward(g)
                t2 = clock()
                if r >= 5:
                    fw.append(t1 - t0)
                    bw.append(t2 - t1)
                for prm in layer.parameters():
                    prm.grad = None
                inp.grad = None
            rows.append((fmt_name, i, type(layer).__name__, tuple(out.shape[1:]), statistics.median(fw) * 1e3,
                         statistics.median(bw) * 1e3))
            x = out.detach()
    print(f"{a.model}, {a.threads} thread(s), {a.clock} clock, batch {BS}: median ms per call")
    print(f"  {'layout':<14} {'#':>2} {'layer':<10} {'output':<14} {'forward':>8} {'backward':>9}")
    for fmt_name in ("channels-last", "NCHW"):
        tf = tb = 0.0
        for f, i, name, shape, fwm, bwm in rows:
            if f == fmt_name:
                tf += fwm
                tb += bwm
                print(f"  {f:<14} {i:>2} {name:<10} {'×'.join(map(str, shape)):<14} {fwm:8.3f} {bwm:9.3f}")
        print(f"  {fmt_name:<14} total{'':<23} {tf:8.3f} {tb:9.3f}")


if __name__ == "__main__":
    main()
