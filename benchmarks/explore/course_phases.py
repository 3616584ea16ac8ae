"""Where does the time of one step of the course loop go?

    python -m benchmarks.explore.course_phases [--model lenet|simplecnn] [--threads N] [--steps N]
                                               [--clock wall|cpu] [--data IDX]

The course loop's step (:mod:`benchmarks.reference`: torchvision's dataset, a DataLoader of batch 64, the
default Adam), timed in parts: the DataLoader batch (64 × PIL + ``ToTensor`` + ``Normalize`` + collate),
``zero_grad``, forward + loss, backward, the optimizer step. Median per step after 30 untimed steps.

Finding (README, "What the engine does to be fast"): for 28×28 images the per-image Python work of the
DataLoader batch costs more than the network, about half of a LeNet-5 step; the engine decodes the dataset
once into memory as uint8 and makes each batch with one ``index_select`` (no DataLoader, no worker processes,
which made things slower on two cores).
"""

from __future__ import annotations

import argparse
import shutil
import statistics

import torch

from benchmarks.explore.engine_steps import BS, CLOCKS, IDX, PRESETS, load
from benchmarks.reference import course_datasets, find_idx, torchvision_root
from tui_dl.core.config.experiment import load_experiment
from tui_dl.core.model.build import build_model


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m benchmarks.explore.course_phases")
    p.add_argument("--model", default="lenet", choices=tuple(PRESETS))
    p.add_argument("--threads", type=int, default=torch.get_num_threads())
    p.add_argument("--steps", type=int, default=200)
    p.add_argument("--clock", default="wall", choices=tuple(CLOCKS))
    p.add_argument("--data", default=IDX)
    a = p.parse_args(argv)
    torch.set_num_threads(a.threads)
    root = torchvision_root(a.data) if a.data and find_idx(a.data) else None
    try:
        train_ds, _ = course_datasets(root, synthetic=None if root else load(None))
        torch.manual_seed(0)
        model = build_model(load_experiment(PRESETS[a.model]).network)
        loader = torch.utils.data.DataLoader(train_ds, batch_size=BS, shuffle=True)
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        crit = torch.nn.CrossEntropyLoss()
        timers: dict = {}
        it = iter(loader)
        pc = CLOCKS[a.clock]
        t_start = None
        for i in range(30 + a.steps):
            if i == 30:
                timers.clear()
                t_start = pc()
            t0 = pc()
            x, y = next(it)
            t1 = pc()
            opt.zero_grad()
            t2 = pc()
            loss = crit(model(x), y)
            t3 = pc()
            loss.backward()
            t4 = pc()
            opt.step()
            t5 = pc()
            for k, v in (("DataLoader batch", t1 - t0), ("zero_grad", t2 - t1), ("forward+loss", t3 - t2),
                         ("backward", t4 - t3), ("optimizer.step", t5 - t4)):
                timers.setdefault(k, []).append(v)
        secs = pc() - t_start
    finally:
        if root:
            shutil.rmtree(root, ignore_errors=True)
    total = statistics.median([sum(v[i] for v in timers.values()) for i in range(a.steps)])
    print(f"{a.model}, reference (course loop), {a.threads} thread(s), {a.clock} clock: "
          f"{a.steps * BS / secs:,.0f} img/s by that clock, median step {total * 1e3:.2f} ms")
    for k, v in timers.items():
        print(f"  {k:<18} {statistics.median(v) * 1e3:7.3f} ms  (mean {statistics.mean(v) * 1e3:7.3f})")


if __name__ == "__main__":
    main()
