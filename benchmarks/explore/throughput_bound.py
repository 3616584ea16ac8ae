"""What is the ceiling of spreading one batch-64 step over the cores?

    python -m benchmarks.explore.throughput_bound [--model lenet|simplecnn] [--steps N] [--repeats N] [--data IDX]

One independent trainer per core (half a batch each, one torch thread, its own model and optimizer, never
waiting for the other), as threads of one process and as separate processes, next to the real engine and the
course loop. Each independent trainer is the engine's own step (:func:`benchmarks.explore.engine_steps.engine_for`
with ``threads: 1`` and a batch of 64 / cores). Their summed img/s is more than a split step can reach, since a
split step also waits for its slower half and adds up the gradients.

Finding (README, "Why LeNet-5 stays under 4×", medians of 3 on a 2-core machine): course loop 3,188 img/s
(1.00), the engine with a split batch of 2 lanes 9,081 (2.85), 2 independent threads 11,977 (3.76, the ceiling
for threads), 2 independent processes 12,717 (3.99). A split step also waits for its slower half and runs the
optimizer on one core (0.2 ms of join and 0.35-0.5 ms of Adam of a ~7 ms step); 4× at batch 64 needs faster
small-channel kernels than torch ships.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import shutil
import statistics
import threading

import torch

from benchmarks.engine import timed_engine_steps
from benchmarks.explore.engine_steps import BS, IDX, PRESETS, StepLoop, engine_for, experiment, load
from benchmarks.reference import ReferenceTrainer, course_datasets, torchvision_root
from tui_dl.core.model.build import build_model


def independent_lane(model_key, data, steps, bs, start=None, out=None, key=None):
    """One trainer of its own (the engine's step, one torch thread): img/s over ``steps`` steps of ``bs``."""
    loop = StepLoop(engine_for(model_key, data, threads=1, batch_size=bs))
    try:
        loop.run(20)
        if start is not None:
            start.wait()
        ips = steps * bs / loop.run(steps)
    finally:
        loop.close()
    if out is not None:
        out[key] = ips
    return ips


def _child(model_key, idx_folder, steps, bs, barrier, out, key):
    independent_lane(model_key, load(idx_folder), steps, bs, barrier, out, key)


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m benchmarks.explore.throughput_bound")
    p.add_argument("--model", default="lenet", choices=tuple(PRESETS))
    p.add_argument("--steps", type=int, default=200)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--data", default=IDX)
    a = p.parse_args(argv)
    data = load(a.data)
    cores = os.cpu_count() or 2
    bs = BS // cores
    exp = experiment(a.model)
    tv = torchvision_root(a.data)  # a temporary folder in torchvision's layout
    try:
        torch.manual_seed(0)
        ref = ReferenceTrainer(build_model(exp.network), course_datasets(tv)[0])
        rows = {"reference (course loop)": [], "engine (iter_training)": [], f"{cores} independent threads": [],
                f"{cores} independent processes": []}
        ctx = mp.get_context("spawn")
        default_threads = torch.get_num_threads()
        for _ in range(a.repeats):
            torch.set_num_threads(default_threads)  # the course loop runs with torch's default, as a student's does
            secs, imgs = ref.timed_steps(10, a.steps)
            rows["reference (course loop)"].append(imgs / secs)
            secs, imgs, _info = timed_engine_steps(exp, data, warmup=20, steps=a.steps - a.steps % 10)
            rows["engine (iter_training)"].append(imgs / secs)
            out, barrier = {}, threading.Barrier(cores)
            ts = [threading.Thread(target=independent_lane, args=(a.model, data, a.steps * 2, bs, barrier, out, k))
                  for k in range(cores)]
            [t.start() for t in ts]
            [t.join() for t in ts]
            rows[f"{cores} independent threads"].append(sum(out.values()))
            with ctx.Manager() as m:
                out, barrier = m.dict(), m.Barrier(cores)
                ps = [ctx.Process(target=_child, args=(a.model, a.data, a.steps * 2, bs, barrier, out, k))
                      for k in range(cores)]
                [p.start() for p in ps]
                [p.join() for p in ps]
                rows[f"{cores} independent processes"].append(sum(out.values()))
    finally:
        shutil.rmtree(tv, ignore_errors=True)
    base = statistics.median(rows["reference (course loop)"])
    print(f"{a.model}, batch {BS} ({bs} per independent trainer), medians of {a.repeats}:")
    for name, v in rows.items():
        med = statistics.median(v)
        print(f"  {name:32s} {med:8,.0f} img/s  {med / base:5.2f}× reference   {[round(x) for x in v]}")


if __name__ == "__main__":
    main()
