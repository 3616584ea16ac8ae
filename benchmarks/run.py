"""The benchmark runner: ``python -m benchmarks [--quick] [--only lenet,app,shapes] [--save]``.

Everything is measured in ONE process (start-up and memory in child processes), side by side, alternating
the two sides of each comparison (ABBA order) after a warm-up, and reported as medians of the repeats.
Other processes share this machine (2 cores): before each timed repeat the runner waits (a bounded time) for
a quiet moment, records how many cores other processes used during the repeat, and repeats a measurement
that ran next to a busy neighbour (keeping the quietest attempt). Results: a table on stdout with PASS/FAIL
per target (the exit code is 1 when a target fails or a section cannot run), ``benchmarks/results/latest.json`` and ``latest.md``; ``--save`` also writes
``benchmarks/RESULTS.md`` (the committed copy).
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
RESULTS_DIR = HERE / "results"
DEFAULT_IDX = "/usr/share/datasets/fashion-mnist"
SECTIONS = ("shapes", "first-frame", "lenet", "gradstats", "simplecnn", "app", "keys", "memory", "accuracy",
            "efficiency", "time-to-accuracy")
MODELS = {"lenet": ("LeNet-5", "presets/lenet5.yaml"), "simplecnn": ("SimpleCNN", "presets/simple_cnn.yaml")}
LOG_EVERY = 10       # the engine's StepDone cadence (the presets' default); windows are multiples of it
WARMUP_STEPS = 20    # steps run, untimed, at the start of every repeat on both sides


@dataclass
class Settings:
    quick: bool
    repeats: int
    lenet_images: int
    simplecnn_images: int
    app_images: int
    acc_epochs: int
    acc_limit_batches: int | None
    acc_seeds: tuple[int, ...]  # LeNet-5's accuracy is compared over these seeds (SimpleCNN: the first only)
    key_presses: int
    first_frame_repeats: int
    quiet_wait_s: float
    section_budget_s: float  # after this long in a section: no more waiting for quiet, no extra rounds
    idx: str | None
    seed: int = 0


def settings_from(args) -> Settings:
    q = args.quick
    return Settings(
        quick=q,
        repeats=args.repeats or (3 if q else 7),
        lenet_images=args.lenet_images or (3_840 if q else 15_360),
        simplecnn_images=args.simplecnn_images or (1_280 if q else 5_120),
        app_images=7_680 if not q else 2_560,
        acc_epochs=2 if not q else 1,
        acc_limit_batches=None if not q else 150,
        acc_seeds=(0, 1, 2) if not q else (0,),
        key_presses=200 if not q else 60,
        first_frame_repeats=5 if not q else 2,
        quiet_wait_s=args.quiet_wait if args.quiet_wait is not None else (2.0 if q else 30.0),
        section_budget_s=60.0 if q else 900.0,
        idx=None if args.synthetic else args.data,
    )


# ----------------------------------------------------------------------------- results


@dataclass
class Target:
    name: str
    value: float | None
    op: str          # ">=" or "<=" or "±"
    threshold: float
    unit: str = ""
    note: str = ""

    @property
    def passed(self) -> bool | None:
        if self.value is None:
            return None
        if self.op == ">=":
            return self.value >= self.threshold
        if self.op == "<":
            return self.value < self.threshold
        if self.op == "<=":
            return self.value <= self.threshold
        if self.op == "±":
            return abs(self.value) <= self.threshold
        raise ValueError(self.op)

    def to_dict(self):
        return {"name": self.name, "value": self.value, "op": self.op, "threshold": self.threshold,
                "unit": self.unit, "pass": self.passed, "note": self.note}


@dataclass
class Report:
    rows: list[tuple[str, str, str]] = field(default_factory=list)   # (section, figure, value text)
    targets: list[Target] = field(default_factory=list)
    data: dict = field(default_factory=dict)

    def row(self, section: str, figure: str, value: str) -> None:
        self.rows.append((section, figure, value))
        print(f"  {figure:<58} {value}", flush=True)


def fmt(v, spec=",.0f", suffix=""):
    return "n/a" if v is None else f"{format(v, spec)}{suffix}"


# ----------------------------------------------------------------------------- context


class Context:
    """Lazily loaded shared state: the dataset (once, in memory), torchvision's layout, presets."""

    def __init__(self, s: Settings):
        self.s = s
        self._data = None
        self._tv_root = None
        self._course = None
        import torch

        self.default_threads = torch.get_num_threads()  # what a course student's process gets

    @property
    def data(self):
        if self._data is None:
            from tui_dl.core.data import load_dataset

            from benchmarks.reference import find_idx

            if self.s.idx and find_idx(self.s.idx) is not None:
                self._data = load_dataset("idx", root=self.s.idx, val_split=0.0)
            else:
                self._data = load_dataset("synthetic-digits", val_split=0.0, seed=self.s.seed)
        return self._data

    @property
    def data_desc(self) -> str:
        d = self.data
        return f"{d.name}: {d.source} ({len(d.train):,} train / {len(d.test):,} test)"

    @property
    def course_datasets(self):
        if self._course is None:
            from benchmarks.reference import course_datasets, find_idx, torchvision_root

            if self.s.idx and find_idx(self.s.idx) is not None:
                self._tv_root = torchvision_root(self.s.idx)
                self._course = course_datasets(self._tv_root)
            else:
                self._course = course_datasets(None, synthetic=self.data)
        return self._course

    def experiment(self, key: str):
        from tui_dl.core.config.experiment import load_experiment

        return load_experiment(REPO / MODELS[key][1])

    def close(self):
        if self._tv_root:
            shutil.rmtree(self._tv_root, ignore_errors=True)


# ----------------------------------------------------------------------------- measuring


CLEAN_CORES = 0.3  # a repeat is "clean" when other processes used less than this many cores during it


def measured(ctx: Context, fn):
    """Run ``fn`` (returns (seconds, images, info)) after waiting (a bounded time) for a quiet machine; returns
    (seconds, images, info, cores other processes used meanwhile)."""
    from benchmarks.common import ForeignLoad, wait_quiet

    patient = time.monotonic() < ctx.section_deadline
    wait_quiet(ctx.s.quiet_wait_s if patient else 0.0, threshold=CLEAN_CORES)
    with ForeignLoad() as fl:
        secs, images, info = fn()
    return secs, images, info, fl.cores


def alternate(ctx: Context, a, b, repeats: int, label_a: str, label_b: str) -> dict:
    """Rounds of a and b in ABBA order until ``repeats`` rounds were clean on both sides (other processes below
    CLEAN_CORES), or the section's time budget is spent (then at least ``repeats`` rounds, at most 3×).
    The figures are medians over the clean rounds when there are at least 3 of them, else over all rounds."""
    pairs = []
    i = 0
    while True:
        n_clean = sum(p["clean"] for p in pairs)
        if n_clean >= repeats:
            break
        if i >= repeats and (time.monotonic() >= ctx.section_deadline or i >= 3 * repeats):
            break
        order = [(label_a, a), (label_b, b)] if i % 2 == 0 else [(label_b, b), (label_a, a)]
        pair = {}
        for label, fn in order:
            secs, images, info, foreign = measured(ctx, fn)
            ips = images / secs
            pair[label] = ips
            pair[f"{label}_foreign_cores"] = foreign
            pair[f"{label}_info"] = info
            print(f"    round {i + 1} {label:<10} {ips:>9,.0f} img/s  ({images:,} images in {secs:.2f} s; other "
                  f"processes {fmt(foreign, '.2f')} cores)", flush=True)
        pair["clean"] = all((pair[f"{lb}_foreign_cores"] or 0) < CLEAN_CORES for lb in (label_a, label_b))
        pairs.append(pair)
        i += 1
    clean = [p for p in pairs if p["clean"]]
    used = clean if len(clean) >= 3 else pairs
    from benchmarks.common import median

    xa, xb = [p[label_a] for p in used], [p[label_b] for p in used]
    ratios = [y / x for x, y in zip(xa, xb)]
    return {
        "pairs": pairs, "rounds": len(pairs), "clean_rounds": len(clean), "used": "clean" if used is clean else "all",
        label_a: median(xa), label_b: median(xb), "ratio": median(xb) / median(xa),
        "ratio_paired_median": median(ratios), "ratio_paired_range": (min(ratios), max(ratios)),
        "foreign_cores": [p[f"{lb}_foreign_cores"] for p in used for lb in (label_a, label_b)],
        "info": {lb: pairs[-1][f"{lb}_info"] for lb in (label_a, label_b)},
    }


def _used_text(res) -> str:
    if res["used"] == "clean":
        return f"medians of {res['clean_rounds']} clean rounds of {res['rounds']}"
    return f"medians of all {res['rounds']} rounds (only {res['clean_rounds']} clean: noisy)"


def _load_text(loads) -> str:
    from benchmarks.common import median

    xs = [x for x in loads if x is not None]
    return f"{median(xs):.2f} / {max(xs):.2f} cores" if xs else "n/a"


# ----------------------------------------------------------------------------- sections


def section_throughput(ctx: Context, rep: Report, key: str) -> None:
    import torch

    from benchmarks.engine import timed_engine_steps
    from benchmarks.reference import ReferenceTrainer
    from tui_dl.core.model.build import build_model

    title, _ = MODELS[key]
    images = ctx.s.lenet_images if key == "lenet" else ctx.s.simplecnn_images
    steps = images // 64
    exp = ctx.experiment(key)
    data = ctx.data
    train_ds, _ = ctx.course_datasets
    torch.manual_seed(ctx.s.seed)
    ref = ReferenceTrainer(build_model(exp.network), train_ds)

    def run_ref():
        torch.set_num_threads(ctx.default_threads)
        secs, n = ref.timed_steps(WARMUP_STEPS, steps)
        return secs, n, {"threads": torch.get_num_threads()}

    def run_engine():
        return timed_engine_steps(exp, data, warmup=WARMUP_STEPS, steps=steps, log_every=LOG_EVERY)

    print(f"  warm-up ({title})", flush=True)
    run_ref()
    run_engine()
    res = alternate(ctx, run_ref, run_engine, ctx.s.repeats, "reference", "engine")
    r_med, r_pair, r_range = res["ratio"], res["ratio_paired_median"], res["ratio_paired_range"]
    ref_ips, eng_ips = res["reference"], res["engine"]
    n_train = len(data.train)
    rep.data[key] = {"model": title, "images_per_repeat": steps * 64, "warmup_steps": WARMUP_STEPS,
                     "reference_ips_median": ref_ips, "engine_ips_median": eng_ips, "ratio": r_med,
                     "ratio_paired_median": r_pair, "ratio_paired_range": r_range,
                     "reference_epoch_s": n_train / ref_ips, "engine_epoch_s": n_train / eng_ips,
                     "rounds": res["pairs"], "used": res["used"],
                     "reference_threads": res["info"]["reference"]["threads"],
                     "engine_threads": res["info"]["engine"]["threads"], "data": ctx.data_desc}
    rep.row(key, f"{title} reference img/s (course loop, {ctx.default_threads} threads)", fmt(ref_ips))
    rep.row(key, f"{title} engine img/s ({res['info']['engine']['threads']} threads)", fmt(eng_ips))
    rep.row(key, f"{title} engine / reference", f"{r_med:.2f}× (paired median {r_pair:.2f}×, "
                                                 f"range {r_range[0]:.2f}–{r_range[1]:.2f})")
    rep.row(key, f"{title} epoch time, training only ({n_train:,} images)",
            f"reference {n_train / ref_ips:.1f} s, engine {n_train / eng_ips:.1f} s")
    rep.row(key, "  other processes' CPU use during the rounds used (median, max)",
            f"{_load_text(res['foreign_cores'])}; {_used_text(res)}")
    need = 4.0 if key == "lenet" else 1.8
    rep.targets.append(Target(f"{title} batch 64 Adam: engine ≥ {need}× reference img/s", r_med, ">=", need, "×"))


def section_gradstats(ctx: Context, rep: Report) -> None:
    """What recording the per-layer gradient statistics (grad norm, max |g|, update/weight, dead ReLUs) costs
    LeNet-5's batch-64 step at the engine's log_every: one engine, its recorder on and off alternated log period
    by log period (ABBA; :func:`benchmarks.explore.grad_stats_cost.paired`), the medians of the ms per step."""
    import os
    import statistics

    from benchmarks.explore.engine_steps import engine_for
    from benchmarks.explore.grad_stats_cost import cpu_model, paired

    periods = 60 if ctx.s.quick else 200
    eng = engine_for("lenet", ctx.data)
    load0 = os.getloadavg()[0]
    try:
        res = {clock: paired("lenet", ctx.data, threads=0, periods=periods, log_every=LOG_EVERY, clock=fn, engine=eng)
               for clock, fn in (("wall", time.perf_counter), ("cpu", time.process_time))}
    finally:
        eng.step.close()
    fig = {"log_every": LOG_EVERY, "periods_per_side": periods, "threads": eng.plan.threads, "lanes": eng.plan.lanes,
           "loadavg": (load0, os.getloadavg()[0]), "cpu": cpu_model()}
    for clock, r in res.items():
        on, off = statistics.median(r["on"]), statistics.median(r["off"])
        fig[clock] = {"on_ms": on, "off_ms": off, "overhead_pct": 100 * (on / off - 1)}
        rep.row("gradstats", f"LeNet-5 ms/step, recording off / on ({clock} clock, log_every {LOG_EVERY})",
                f"{off:.3f} / {on:.3f} ({fig[clock]['overhead_pct']:+.2f}%)")
    rep.row("gradstats", "  load average before / after; threads, lanes",
            f"{fig['loadavg'][0]:.2f} / {fig['loadavg'][1]:.2f}; {eng.plan.threads}, {eng.plan.lanes}")
    rep.data["gradstats"] = {**fig, "rounds": res}
    # the target reads the CPU clock: on a shared machine the wall-clock figure swings by several % either way
    rep.targets.append(Target("LeNet-5 batch 64: recording per-layer gradients costs ≤ 3% of the step (CPU time)",
                              fig["cpu"]["overhead_pct"], "<=", 3.0, "%",
                              note=f"wall clock {fig['wall']['overhead_pct']:+.2f}%"))


def section_accuracy(ctx: Context, rep: Report) -> None:
    """Test accuracy after the same epochs, course loop vs engine. Both normalise with the course's (0.5, 0.5)
    (the engine normally uses the dataset's own mean and std: a preprocessing choice, not a speed-up), and
    LeNet-5 is compared over several seeds: one seed's shuffle order alone moves the result by ±0.5 points."""
    import dataclasses
    import statistics

    import torch

    from benchmarks.common import ForeignLoad, wait_quiet
    from benchmarks.engine import engine_accuracy_run
    from benchmarks.reference import ReferenceTrainer, evaluate
    from tui_dl.core.model.build import build_model

    train_ds, test_ds = ctx.course_datasets
    channels = len(ctx.data.mean) or 1
    data = dataclasses.replace(ctx.data, mean=(0.5,) * channels, std=(0.5,) * channels)
    epochs, limit = ctx.s.acc_epochs, ctx.s.acc_limit_batches
    out = {}
    for key in ("lenet", "simplecnn"):
        title, _ = MODELS[key]
        base = ctx.experiment(key)
        seeds = ctx.s.acc_seeds if key == "lenet" else ctx.s.acc_seeds[:1]
        runs = []
        for seed in seeds:
            exp = dataclasses.replace(base, train=dataclasses.replace(base.train, seed=seed))
            print(f"  {title}, seed {seed}: {epochs} epoch(s){f' of {limit} batches' if limit else ''}, "
                  f"reference…", flush=True)
            torch.set_num_threads(ctx.default_threads)
            torch.manual_seed(seed)
            tr = ReferenceTrainer(build_model(exp.network), train_ds)
            ref_epoch_s = []
            wait_quiet(ctx.s.quiet_wait_s, threshold=CLEAN_CORES)
            with ForeignLoad() as fl_ref:
                for _ in range(epochs):
                    if limit:
                        secs, n = tr.timed_steps(0, limit)
                    else:
                        secs, n = tr.train_epoch()
                    ref_epoch_s.append(secs)
            ref_acc = evaluate(tr.model, test_ds)
            print(f"  {title}, seed {seed}: engine…", flush=True)
            wait_quiet(ctx.s.quiet_wait_s, threshold=CLEAN_CORES)
            with ForeignLoad() as fl_eng:
                eng = engine_accuracy_run(exp, data, epochs=epochs, limit_batches=limit, log_every=LOG_EVERY)
            print(f"    reference {ref_acc:.2f}%, engine {fmt(eng['test_accuracy'], '.2f', '%')}", flush=True)
            runs.append({"seed": seed, "reference_test_accuracy": ref_acc, "engine_test_accuracy": eng["test_accuracy"],
                         "reference_epoch_train_s": ref_epoch_s, "engine_epoch_train_s": eng["epoch_train_seconds"],
                         "engine_epoch_ips": eng["epoch_images_per_second"], "engine_threads": eng["threads"],
                         "foreign_cores": {"reference": fl_ref.cores, "engine": fl_eng.cores}})
        refs = [r["reference_test_accuracy"] for r in runs]
        engs = [r["engine_test_accuracy"] for r in runs if r["engine_test_accuracy"] is not None]
        ref_m = statistics.mean(refs)
        eng_m = statistics.mean(engs) if engs else None
        diff = eng_m - ref_m if eng_m is not None else None
        out[key] = {"runs": runs, "seeds": list(seeds), "reference_mean": ref_m, "engine_mean": eng_m,
                    "difference_points": diff, "epochs": epochs, "limit_batches": limit,
                    "normalisation": "(0.5, 0.5) for both"}
        spread = (lambda xs: f" ± {statistics.stdev(xs):.2f}" if len(xs) > 1 else "")
        what = f"mean of seeds {', '.join(map(str, seeds))}" if len(seeds) > 1 else f"seed {seeds[0]}"
        rep.row("accuracy", f"{title} test accuracy after {epochs} epoch(s), {what}: reference / engine",
                f"{ref_m:.2f}%{spread(refs)} / {fmt(eng_m, '.2f', '%')}{spread(engs)} (Δ {fmt(diff, '+.2f')} points)")
        rep.row("accuracy", f"{title} epoch training time (seed {runs[0]['seed']}): reference / engine",
                " / ".join(", ".join(f"{s:.1f}" for s in xs) + " s" for xs in
                           (runs[0]["reference_epoch_train_s"], runs[0]["engine_epoch_train_s"])))
        if key == "lenet":
            rep.targets.append(Target(f"LeNet-5 test accuracy after {epochs} epoch(s) ({what}): engine − "
                                      f"reference within ±0.5 points", diff, "±", 0.5, " points",
                                      note="quick mode: 150 batches, not the target's 2 epochs" if limit else ""))
    rep.data["accuracy"] = out


def section_app(ctx: Context, rep: Report) -> None:
    from benchmarks.app_bench import app_training_steps
    from benchmarks.engine import timed_engine_steps

    exp = ctx.experiment("lenet")
    data = ctx.data
    steps = ctx.s.app_images // 64

    def run_app():
        return app_training_steps(exp, data, warmup=WARMUP_STEPS, steps=steps, log_every=LOG_EVERY)

    def run_batch():
        return timed_engine_steps(exp, data, warmup=WARMUP_STEPS, steps=steps, log_every=LOG_EVERY)

    print("  warm-up (app, headless)", flush=True)
    run_app()
    run_batch()
    res = alternate(ctx, run_batch, run_app, max(3, ctx.s.repeats - 2) if not ctx.s.quick else 2,
                    "headless", "app")
    r_med, r_pair, r_range = res["ratio"], res["ratio_paired_median"], res["ratio_paired_range"]
    rep.data["app"] = {"images_per_repeat": steps * 64, "headless_ips_median": res["headless"],
                       "app_ips_median": res["app"], "ratio": r_med, "ratio_paired_median": r_pair,
                       "ratio_paired_range": r_range, "rounds": res["pairs"], "used": res["used"],
                       "headless_threads": res["info"]["headless"]["threads"],
                       "app_threads": res["info"]["app"]["threads"]}
    rep.row("app", f"LeNet-5 training img/s headless (iter_training, {res['info']['headless']['threads']} threads)",
            fmt(res["headless"]))
    rep.row("app", f"LeNet-5 training img/s inside the app ({res['info']['app']['threads']} thread(s))",
            fmt(res["app"]))
    rep.row("app", "app / headless", f"{r_med:.2f}× (paired median {r_pair:.2f}×)")
    rep.row("app", "  other processes' CPU use during the rounds used (median, max)",
            f"{_load_text(res['foreign_cores'])}; {_used_text(res)}")
    rep.targets.append(Target("training inside the app ≥ 0.95× headless (--batch) speed", r_med, ">=", 0.95, "×"))


def section_keys(ctx: Context, rep: Report) -> None:
    from benchmarks.app_bench import key_latency

    from benchmarks.common import ForeignLoad, wait_quiet

    exp = ctx.experiment("lenet")
    wait_quiet(ctx.s.quiet_wait_s, threshold=CLEAN_CORES)
    with ForeignLoad() as fl:
        r = key_latency(exp, ctx.data, presses=ctx.s.key_presses, interval=0.05)
    r["foreign_cores"] = fl.cores
    rep.data["keys"] = r
    h, f = r["handler_ms"], r["refresh_ms"]
    rep.row("keys", f"key press → handler, during LeNet training ({r['presses']} presses, p50/p95/max)",
            f"{fmt(h['p50'], '.1f')} / {fmt(h['p95'], '.1f')} / {fmt(h['max'], '.1f')} ms")
    rep.row("keys", "key press → screen refreshed (p50/p95/max)",
            f"{fmt(f['p50'], '.1f')} / {fmt(f['p95'], '.1f')} / {fmt(f['max'], '.1f')} ms")
    lag, pr = r["loop_lag_ms"], r["plot_render_ms"]
    rep.row("keys", "UI event-loop stalls during training (p50/p95/max)",
            f"{fmt(lag['p50'], '.1f')} / {fmt(lag['p95'], '.1f')} / {fmt(lag['max'], '.1f')} ms")
    rep.row("keys", f"plot renders on the UI thread ({pr['n']}, p50/p95/max)",
            f"{fmt(pr['p50'], '.1f')} / {fmt(pr['p95'], '.1f')} / {fmt(pr['max'], '.1f')} ms")
    rep.row("keys", "training steps while the keys were pressed", f"{r['steps_during']:,}"
            + ("" if r["training_all_along"] else " (training ended early!)")
            + f"; other processes {fmt(fl.cores, '.2f')} cores")
    rep.targets.append(Target("key press p95 < 50 ms during training (to screen refresh)", f["p95"], "<", 50,
                              " ms"))


def section_shapes(ctx: Context, rep: Report) -> None:
    import statistics

    from tui_dl.core.model.shapes import summarize

    from benchmarks.specs import fifty_layer_spec

    lenet = ctx.experiment("lenet").network
    big = fifty_layer_spec()
    out = {}
    for name, spec, n in (("lenet", lenet, 3000 if not ctx.s.quick else 500),
                          ("fifty_layers", big, 1000 if not ctx.s.quick else 200)):
        summarize(spec)
        ts = []
        for _ in range(n):
            t = time.perf_counter()
            summarize(spec)
            ts.append(time.perf_counter() - t)
        us = statistics.median(ts) * 1e6
        out[name] = {"layers": len(spec.layers), "median_us": us, "calls": n,
                     "p95_us": sorted(ts)[int(0.95 * (n - 1))] * 1e6}
    rep.data["shapes"] = out
    rep.row("shapes", f"summarize() LeNet-5 ({out['lenet']['layers']} layers), median", f"{out['lenet']['median_us']:.0f} µs")
    rep.row("shapes", f"summarize() {out['fifty_layers']['layers']}-layer spec, median",
            f"{out['fifty_layers']['median_us']:.0f} µs (p95 {out['fifty_layers']['p95_us']:.0f} µs)")
    rep.targets.append(Target("shape recompute < 5 ms for a 50-layer spec", out["fifty_layers"]["median_us"] / 1e3,
                              "<", 5.0, " ms"))


def section_first_frame(ctx: Context, rep: Report) -> None:
    from benchmarks.app_bench import first_frame, import_time
    from benchmarks.common import ForeignLoad, median, wait_quiet

    runs = []
    for _ in range(ctx.s.first_frame_repeats):
        wait_quiet(ctx.s.quiet_wait_s, threshold=CLEAN_CORES)
        with ForeignLoad() as fl:
            r = first_frame("presets/lenet5.yaml", "LeNet-5")
        r["foreign_cores"] = fl.cores
        runs.append(r)
        print(f"    first frame {fmt(r['seconds'], '.3f')} s (driver up at {fmt(r['driver_s'], '.3f')} s; other "
              f"processes {fmt(fl.cores, '.2f')} cores)", flush=True)
    imports = [import_time() for _ in range(3)]
    secs = median([r["seconds"] for r in runs])
    drv = median([r["driver_s"] for r in runs])
    rep.data["first_frame"] = {"runs": runs, "median_s": secs, "driver_up_median_s": drv,
                               "import_app_s": imports, "import_app_median_s": median(imports)}
    rep.row("first-frame", f"tui-dl presets/lenet5.yaml: spawn → first frame (pty), median of {len(runs)}",
            fmt(secs, ".2f", " s") + f" (other processes {_load_text([r['foreign_cores'] for r in runs])})")
    rep.row("first-frame", "  of which: spawn → Textual driver started (imports)", fmt(drv, ".2f", " s"))
    rep.row("first-frame", "  `import tui_dl.app.app` alone, fresh process", fmt(median(imports), ".2f", " s"))
    rep.targets.append(Target("first frame < 1 s", secs, "<", 1.0, " s"))


OPTIM_FLOOR = ("import torch; w = torch.zeros(1, requires_grad=True); o = torch.optim.Adam([w]); "
               "(w * 2).sum().backward(); o.step()")


def section_memory(ctx: Context, rep: Report) -> None:
    from benchmarks.app_bench import app_memory, batch_memory

    idx_sets = ([f"data.name=idx", f"data.root={ctx.s.idx}", "data.val_split=0"]
                if ctx.s.idx else ["data.name=synthetic-digits", "data.val_split=0"])
    limit = 300 if ctx.s.quick else None
    b = batch_memory("presets/lenet5.yaml", idx_sets + ["train.epochs=1", "train.checkpoints=false"]
                     + ([f"train.limit_batches={limit}"] if limit else []))
    a = app_memory("presets/lenet5.yaml", idx_sets + ["train.epochs=1", "train.limit_batches=300"],
                   marker="LeNet-5", done=r"test accuracy \d")
    import sys

    from benchmarks.app_bench import run_peak_rss

    _rc, torch_rss, _o, _e = run_peak_rss([sys.executable, "-c", "import torch"], 120)
    # The floor of any torch.optim training loop: every Optimizer.step() imports torch._dynamo (torch/optim/
    # optimizer.py's _use_grad_for_differentiable), whether or not anything is compiled.
    _rc, optim_rss, _o, _e = run_peak_rss([sys.executable, "-c", OPTIM_FLOOR], 120)
    rep.data["memory"] = {"batch": b, "app": a, "import_torch_mib": torch_rss, "optim_step_floor_mib": optim_rss}
    rep.row("memory", "peak RSS of `import torch` alone (for scale)", fmt(torch_rss, ",.0f", " MiB"))
    rep.row("memory", "peak RSS of `import torch` + one torch.optim.Adam step on a 1-weight model (the floor: "
            "the step imports torch._dynamo)", fmt(optim_rss, ",.0f", " MiB"))
    rep.row("memory", f"peak RSS, tui-dl --batch LeNet-5 1 epoch ({b.get('how', '')})",
            fmt(b.get("maxrss_mib"), ",.0f", " MiB") + (f"; {b['ips']:,.0f} img/s" if b.get("ips") else ""))
    rep.row("memory", "peak RSS, the app training LeNet-5 (300 steps, pty)",
            fmt(a.get("maxrss_mib"), ",.0f", " MiB") + ("" if a.get("trained") else " (training did not finish)"))
    from benchmarks.cpu_speed import memory_target

    memory_target(rep, b.get("maxrss_mib"), torch_rss, ctx.s.quick, optim_rss)


# ----------------------------------------------------------------------------- output


def render_markdown(results: dict) -> str:
    m = results["machine"]
    lines = [
        "# tui-dl benchmark results",
        "",
        f"Date: {results['date']}  ",
        f"Machine: {m.get('cpu')} ({m.get('nproc')} cores visible, {m.get('mem_gib')} GiB), "
        f"torch {m.get('torch')} (default {m.get('torch_default_threads')} threads), "
        f"torchvision {m.get('torchvision')}, textual {m.get('textual')}, Python {m.get('python')}  ",
        f"Data: {results.get('data', 'n/a')}  ",
        f"Command: `{results['command']}`{' (quick mode: short runs, not the reference figures)' if results['quick'] else ''}",
        "",
        "| section | figure | value |",
        "|---|---|---|",
    ]
    for sec, fig, val in results["rows"]:
        lines.append(f"| {sec} | {fig.strip()} | {val} |")
    lines += ["", "## Targets", "", "| target | measured | result |", "|---|---|---|"]
    for t in results["targets"]:
        res = {True: "PASS", False: "**FAIL**", None: "n/a"}[t["pass"]]
        val = "n/a" if t["value"] is None else f"{t['value']:.3g}{t['unit']}"
        lines.append(f"| {t['name']} | {val} | {res}{' (' + t['note'] + ')' if t['note'] else ''} |")
    lines.append("")
    return "\n".join(lines)


def print_summary(results: dict) -> None:
    print("\n" + "=" * 100)
    print(f"{'section':<12} {'figure':<62} value")
    print("-" * 100)
    for sec, fig, val in results["rows"]:
        print(f"{sec:<12} {fig.strip():<62} {val}")
    print("-" * 100)
    for t in results["targets"]:
        res = {True: "PASS", False: "FAIL", None: "n/a "}[t["pass"]]
        val = "n/a" if t["value"] is None else f"{t['value']:.3g}{t['unit']}"
        print(f"[{res}] {t['name']}: {val}{'  (' + t['note'] + ')' if t['note'] else ''}")
    print("=" * 100, flush=True)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n\n")[0])
    p.add_argument("--only", help=f"comma-separated sections (default: all): {','.join(SECTIONS)}")
    p.add_argument("--quick", action="store_true", help="short runs while developing (3 repeats, fewer images)")
    p.add_argument("--repeats", type=int, help="alternating repeats per throughput comparison (default 7)")
    p.add_argument("--lenet-images", type=int, help="images per timed LeNet repeat (default 15,360)")
    p.add_argument("--simplecnn-images", type=int, help="images per timed SimpleCNN repeat (default 5,120)")
    p.add_argument("--data", default=DEFAULT_IDX, help=f"IDX folder (default {DEFAULT_IDX}); synthetic digits "
                                                       f"when it has no IDX files")
    p.add_argument("--synthetic", action="store_true", help="use synthetic digits even if the IDX folder exists")
    p.add_argument("--quiet-wait", type=float, help="max seconds to wait for a quiet machine before a repeat")
    p.add_argument("--out", default=str(RESULTS_DIR / "latest.json"), help="JSON results file")
    p.add_argument("--save", action="store_true", help="also write benchmarks/RESULTS.md (the committed copy)")
    args = p.parse_args(argv)
    only = [s.strip() for s in args.only.split(",")] if args.only else list(SECTIONS)
    bad = [s for s in only if s not in SECTIONS]
    if bad:
        p.error(f"unknown section(s) {', '.join(bad)}; choose from {', '.join(SECTIONS)}")
    s = settings_from(args)

    from benchmarks.common import machine_info

    machine = machine_info()
    print(f"tui-dl benchmarks — {machine['cpu']}, {machine['nproc']} cores, torch {machine.get('torch')}"
          f"{' (quick)' if s.quick else ''}", flush=True)
    ctx = Context(s)
    rep = Report()
    t_start = time.perf_counter()
    runners = {"lenet": lambda: section_throughput(ctx, rep, "lenet"),
               "simplecnn": lambda: section_throughput(ctx, rep, "simplecnn"),
               "gradstats": lambda: section_gradstats(ctx, rep), "accuracy": lambda: section_accuracy(ctx, rep), "app": lambda: section_app(ctx, rep),
               "keys": lambda: section_keys(ctx, rep), "shapes": lambda: section_shapes(ctx, rep),
               "first-frame": lambda: section_first_frame(ctx, rep), "memory": lambda: section_memory(ctx, rep)}
    from benchmarks import cpu_speed  # issue 19's gates

    runners["efficiency"] = lambda: cpu_speed.section_efficiency(ctx, rep)
    runners["time-to-accuracy"] = lambda: cpu_speed.section_time_to_accuracy(ctx, rep)
    errors = {}
    try:
        for name in SECTIONS:
            if name not in only:
                continue
            print(f"\n[{name}]", flush=True)
            t0 = time.perf_counter()
            ctx.section_deadline = time.monotonic() + s.section_budget_s
            try:
                runners[name]()
            except Exception as e:  # noqa: BLE001 - one broken section must not lose the others' figures
                import traceback

                traceback.print_exc()
                errors[name] = f"{type(e).__name__}: {e}"
                rep.row(name, "ERROR", errors[name])
            rep.data.setdefault("section_seconds", {})[name] = time.perf_counter() - t0
    finally:
        ctx.close()
    results = {
        "date": _dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "command": "python -m benchmarks " + " ".join(argv if argv is not None else sys.argv[1:]),
        "quick": s.quick, "machine": machine, "settings": s.__dict__,
        "data": ctx.data_desc if ctx._data is not None else None,
        "rows": rep.rows, "targets": [t.to_dict() for t in rep.targets], "figures": rep.data,
        "errors": errors, "seconds": time.perf_counter() - t_start,
    }
    print_summary(results)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=1, default=str) + "\n")
    md = render_markdown(results)
    out.with_suffix(".md").write_text(md)
    if args.save:  # one section per CPU model, the others kept
        from benchmarks.results_md import save as save_results

        save_results(HERE / "RESULTS.md", md, machine.get("cpu") or "")
    print(f"wrote {out} and {out.with_suffix('.md')}" + (" and benchmarks/RESULTS.md" if args.save else ""))
    return exit_code(errors, rep.targets)


def exit_code(errors: dict, targets: list[Target]) -> int:
    """0 when every section ran and no target failed; 1 on a FAIL or a section that could not run (a target
    without a value, say a section skipped for lack of data, is neither)."""
    return 1 if errors or any(t.passed is False for t in targets) else 0
