"""Issue 19's gates, as sections of ``python -m benchmarks``: ``efficiency`` (the engine's step against the bound of
independent per-core trainers, in the same run), ``time-to-accuracy`` (the course loop against ``tui-dl --batch
lenet5_fast`` to 89.0% test accuracy, median of 3 seeds in alternating order), and the memory target (added by
``section_memory``: peak RSS ≤ ``import torch`` + 150 MiB).

The bound: one independent trainer per core (half a batch each for 2 cores, one torch thread, its own model and
optimizer, never waiting for the other; :func:`benchmarks.explore.throughput_bound.independent_lane`), started
together by a barrier; their summed img/s is more than any one step over the cores can reach (it never joins).
The engine runs the step ``train.strategy: auto`` chooses for LeNet-5 at batch 64 (timed here as in a long run).

Time to accuracy: the course loop (torchvision datasets, a DataLoader, batch 64, Adam 1e-3, the test set evaluated
after every epoch, as the course does) counts the time from its first step to the end of the first epoch whose test
accuracy reaches 89.0% (its imports and dataset loading not counted); ``tui-dl --batch lenet5_fast`` counts its
whole process, start to exit (imports, data, the step timing, training, validation, test). tui-dl's run decides
nothing on the test set: it reports the test accuracy of the weights its validation split chose.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

TARGET_ACC = 89.0          # % test accuracy, Fashion-MNIST
COURSE_MAX_EPOCHS = 20
SPEEDUP_NEED = 6.0
EFFICIENCY_NEED = 0.9
MEMORY_ALLOWANCE_MIB = 150.0
FAST_PRESET = "presets/lenet5_fast.yaml"


def _bound_and_engine(ctx, steps: int):
    """(run_bound, run_engine) for :func:`benchmarks.run.alternate`: each returns (seconds, images, info)."""
    import torch

    from benchmarks.explore.throughput_bound import independent_lane
    from benchmarks.run import LOG_EVERY, WARMUP_STEPS
    from benchmarks.engine import timed_engine_steps
    from tui_dl.core.device import cpu_cores
    from tui_dl.core.training import strategy as S

    cores = cpu_cores()
    bs = max(1, 64 // cores)
    data = ctx.data

    def run_bound():
        out, barrier = {}, threading.Barrier(cores)
        ts = [threading.Thread(target=independent_lane, args=("lenet", data, steps, bs, barrier, out, k))
              for k in range(cores)]
        [t.start() for t in ts]
        [t.join() for t in ts]
        ips = sum(out.values())
        return 64 * steps / ips, 64 * steps, {"threads": cores, "per_trainer_batch": bs}

    exp = ctx.experiment("lenet")

    def run_engine():
        old = S.MIN_TIMED_STEPS
        S.MIN_TIMED_STEPS = 0  # a benchmark's short run chooses its step as a long run does
        try:
            n = steps - steps % LOG_EVERY
            return timed_engine_steps(exp, data, warmup=WARMUP_STEPS, steps=n, log_every=LOG_EVERY)
        finally:
            S.MIN_TIMED_STEPS = old
            torch.set_num_threads(ctx.default_threads)

    return run_bound, run_engine


def section_efficiency(ctx, rep) -> None:
    from benchmarks.run import Target, _load_text, _used_text, alternate, fmt

    steps = max(60, ctx.s.lenet_images // 64)
    run_bound, run_engine = _bound_and_engine(ctx, steps)
    print("  warm-up (bound, engine)", flush=True)
    run_bound()
    run_engine()
    res = alternate(ctx, run_bound, run_engine, ctx.s.repeats, "bound", "engine")
    load = os.getloadavg()
    rep.data["efficiency"] = {"bound_ips_median": res["bound"], "engine_ips_median": res["engine"],
                              "ratio": res["ratio"], "rounds": res["pairs"], "used": res["used"],
                              "loadavg_after": load, "steps": steps}
    rep.row("efficiency", f"LeNet-5 bound: {res['info']['bound']['threads']} independent trainers of batch "
                          f"{res['info']['bound']['per_trainer_batch']}, img/s summed", fmt(res["bound"]))
    rep.row("efficiency", "LeNet-5 engine img/s, batch 64, the step train.strategy: auto chose", fmt(res["engine"]))
    rep.row("efficiency", "engine / bound", f"{res['ratio']:.2f}× (paired median {res['ratio_paired_median']:.2f}×)")
    rep.row("efficiency", "  other processes' CPU use (median, max); load average after",
            f"{_load_text(res['foreign_cores'])}; {_used_text(res)}; load {load[0]:.2f}")
    rep.targets.append(Target(f"LeNet-5 batch 64: engine ≥ {EFFICIENCY_NEED}× the independent per-core trainers' "
                              f"bound", res["ratio"], ">=", EFFICIENCY_NEED, "×"))


def course_time_to(ctx, seed: int, target: float, max_epochs: int, limit: int | None) -> dict:
    """The course loop from its first step until an epoch's test accuracy reaches ``target`` (%)."""
    import torch

    from benchmarks.reference import ReferenceTrainer, evaluate
    from tui_dl.core.model.build import build_model

    train_ds, test_ds = ctx.course_datasets
    torch.set_num_threads(ctx.default_threads)
    torch.manual_seed(seed)
    tr = ReferenceTrainer(build_model(ctx.experiment("lenet").network), train_ds)
    t0 = time.perf_counter()
    accs = []
    for _epoch in range(max_epochs):
        if limit:
            tr.timed_steps(0, limit)
        else:
            tr.train_epoch()
        accs.append(evaluate(tr.model, test_ds))
        if accs[-1] >= target:
            break
    wall = time.perf_counter() - t0
    return {"seconds": wall if accs[-1] >= target else None, "spent_s": wall, "epochs": len(accs),
            "test_accuracies": accs}


def fast_run(ctx, seed: int, limit: int | None) -> dict:
    """``tui-dl --batch lenet5_fast`` as a process of its own: its wall time and the test accuracy it reports."""
    from benchmarks.app_bench import _cli

    sets = [f"train.seed={seed}", "train.checkpoints=false"]
    if ctx.s.idx:
        sets += ["data.name=idx", f"data.root={ctx.s.idx}"]
    else:
        sets += ["data.name=synthetic-digits"]
    if limit:
        sets += ["train.epochs=1", f"train.limit_batches={limit}"]
    with tempfile.TemporaryDirectory(prefix="tui-dl-bench-tta-") as tmp:
        argv = _cli() + ["--batch", FAST_PRESET, "--jsonl", "--runs-dir", tmp] + [x for s in sets for x in ("--set", s)]
        t0 = time.perf_counter()
        r = subprocess.run(argv, capture_output=True, text=True, timeout=1800)
        wall = time.perf_counter() - t0
        summ = next(Path(tmp).glob("*/summary.json"), None)
        s = json.loads(summ.read_text()) if summ else {}
    acc = 100 * s["test_accuracy"] if s.get("test_accuracy") is not None else None
    return {"rc": r.returncode, "wall_s": wall, "test_accuracy": acc, "epochs_run": s.get("epochs_run"),
            "strategy": s.get("strategy"), "stderr_tail": r.stderr[-1500:] if r.returncode else ""}


def section_time_to_accuracy(ctx, rep) -> None:
    from benchmarks.common import ForeignLoad
    from benchmarks.run import Target, fmt

    quick = ctx.s.quick
    seeds = (0,) if quick else (0, 1, 2)
    limit = 150 if quick else None
    target = 0.0 if quick else TARGET_ACC  # quick: the machinery only (1 short epoch each)
    runs = []
    for i, seed in enumerate(seeds):
        order = ("course", "fast") if i % 2 == 0 else ("fast", "course")
        row = {"seed": seed, "order": order}
        for side in order:
            print(f"  seed {seed}: {side}…", flush=True)
            with ForeignLoad() as fl:
                row[side] = (course_time_to(ctx, seed, target, COURSE_MAX_EPOCHS, limit) if side == "course"
                             else fast_run(ctx, seed, limit))
            row[side]["foreign_cores"] = fl.cores
            row[side]["loadavg"] = os.getloadavg()[0]
        f = row["fast"]
        row["fast"]["seconds"] = f["wall_s"] if (f["test_accuracy"] or 0) >= target and f["rc"] == 0 else None
        c_s, f_s = row["course"]["seconds"], row["fast"]["seconds"]
        row["speedup"] = c_s / f_s if c_s and f_s else None
        print(f"    course {fmt(c_s, '.1f', ' s')} ({row['course']['epochs']} epochs, test "
              f"{row['course']['test_accuracies'][-1]:.2f}%), lenet5_fast {fmt(f['wall_s'], '.1f', ' s')} (test "
              f"{fmt(f['test_accuracy'], '.2f', '%')}); other processes {fmt(row['course']['foreign_cores'], '.2f')}"
              f" / {fmt(f['foreign_cores'], '.2f')} cores", flush=True)
        runs.append(row)
    sp = [r["speedup"] for r in runs]
    med = statistics.median(sp) if all(v is not None for v in sp) else None
    rep.data["time_to_accuracy"] = {"target_test_accuracy": target, "runs": runs, "speedup_median": med,
                                    "quick": quick}
    what = f"{target:.1f}% test accuracy" if not quick else "one 150-batch epoch (quick: no accuracy target)"
    rep.row("time-to-acc", f"course loop to {what}, per seed",
            ", ".join(fmt(r["course"]["seconds"], ".1f", " s") for r in runs))
    rep.row("time-to-acc", f"tui-dl --batch lenet5_fast (whole process) to {what}, per seed",
            ", ".join(fmt(r["fast"]["seconds"], ".1f", " s") + f" ({fmt(r['fast']['test_accuracy'], '.2f', '%')})"
                      for r in runs))
    rep.row("time-to-acc", "  load average during the runs",
            ", ".join(f"{r['course']['loadavg']:.1f}/{r['fast']['loadavg']:.1f}" for r in runs))
    rep.targets.append(Target(f"LeNet-5 to {TARGET_ACC}% test accuracy: tui-dl --batch lenet5_fast ≥ {SPEEDUP_NEED}× "
                              f"sooner than the course loop (median of {len(seeds)} seeds)", med, ">=", SPEEDUP_NEED,
                              "×", note="quick mode: machinery only, not the target" if quick else ""))


def memory_target(rep, batch_mib, torch_mib, quick: bool, optim_floor_mib=None):
    """The memory gate; ``optim_floor_mib`` (import torch + one torch.optim step) is shown beside it: what any
    loop using torch.optim cannot go under."""
    from benchmarks.run import Target

    over = batch_mib - torch_mib if batch_mib is not None and torch_mib is not None else None
    notes = ["quick mode: 300 batches"] if quick else []
    if optim_floor_mib is not None and torch_mib is not None:
        notes.append(f"one torch.optim step alone: +{optim_floor_mib - torch_mib:.0f} MiB")
    rep.targets.append(Target(f"peak RSS of --batch LeNet-5 ≤ import torch + {MEMORY_ALLOWANCE_MIB:.0f} MiB", over,
                              "<=", MEMORY_ALLOWANCE_MIB, " MiB over import torch", note="; ".join(notes)))
