"""How far apart do the course loop and the engine land in test accuracy, next to how far apart the seeds of
one pipeline land?

    python -m benchmarks.explore.accuracy_seeds [--model lenet|simplecnn] [--seeds 0,1,2] [--epochs 2]
                                                [--threads N] [--data IDX]

For each seed: the course loop (:class:`benchmarks.reference.ReferenceTrainer`) and the real engine
(``iter_training``) train the same network for ``--epochs`` epochs; test accuracy of each, then mean ± sd
over the seeds.

Finding (README, "The reference"; benchmarks/RESULTS.md): one seed's shuffle order alone moves a result by
about ±0.5 points, so the accuracy target compares the mean over seeds 0, 1 and 2, with both sides normalising
by the course's (0.5, 0.5): LeNet-5 after 2 epochs, reference 86.81% ± 0.35, engine 87.02% ± 0.18
(Δ +0.21 points): speed costs no accuracy.
"""

from __future__ import annotations

import argparse
import dataclasses
import shutil
import statistics

import torch

from benchmarks.engine import engine_accuracy_run
from benchmarks.explore.engine_steps import IDX, PRESETS, load
from benchmarks.reference import ReferenceTrainer, course_datasets, evaluate, find_idx, torchvision_root
from tui_dl.core.config.experiment import load_experiment
from tui_dl.core.model.build import build_model


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m benchmarks.explore.accuracy_seeds")
    p.add_argument("--model", default="lenet", choices=tuple(PRESETS))
    p.add_argument("--seeds", default="0,1,2", help="comma-separated seeds")
    p.add_argument("--epochs", type=int, default=2, help="epochs per run")
    p.add_argument("--threads", type=int, default=torch.get_num_threads())
    p.add_argument("--data", default=IDX)
    a = p.parse_args(argv)
    data = load(a.data)
    root = torchvision_root(a.data) if a.data and find_idx(a.data) else None
    try:
        train_ds, test_ds = course_datasets(root, synthetic=data)
        exp = load_experiment(PRESETS[a.model])
        rows = []
        for seed in [int(x) for x in a.seeds.split(",")]:
            torch.set_num_threads(a.threads)
            torch.manual_seed(seed)
            tr = ReferenceTrainer(build_model(exp.network), train_ds)
            for _ in range(a.epochs):
                tr.train_epoch()
            ref = evaluate(tr.model, test_ds)
            e = dataclasses.replace(exp, train=dataclasses.replace(exp.train, seed=seed))
            eng = engine_accuracy_run(e, data, epochs=a.epochs)["test_accuracy"]
            rows.append((seed, ref, eng))
            print(f"  seed {seed}: reference {ref:.2f}%, engine {eng:.2f}%, Δ {eng - ref:+.2f}", flush=True)
    finally:
        if root:
            shutil.rmtree(root, ignore_errors=True)
    refs, engs = [r[1] for r in rows], [r[2] for r in rows]
    sd = statistics.stdev if len(rows) > 1 else (lambda xs: float("nan"))
    print(f"{a.model}, {a.epochs} epochs, seeds {a.seeds}: reference {statistics.mean(refs):.2f} ± {sd(refs):.2f}, "
          f"engine {statistics.mean(engs):.2f} ± {sd(engs):.2f} (mean ± sd); mean Δ "
          f"{statistics.mean(engs) - statistics.mean(refs):+.2f} points")


if __name__ == "__main__":
    main()
