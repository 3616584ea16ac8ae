"""Experiments on copies of the engine's training step, to find what a step costs and to prove a change
before proposing it for ``tui_dl/core/training/loop.py``.

    python -m benchmarks.experiments phases  [--model lenet|simplecnn] [--threads N] [--steps N]
    python -m benchmarks.experiments ref-phases [--model lenet|simplecnn] [--threads N] [--steps N]
    python -m benchmarks.experiments layers   [--model ...] [--threads N] [--clock wall|cpu] [--steps N]
    python -m benchmarks.experiments variants [--model ...] [--threads N] [--steps N] [--repeats N]
                                              [--only engine,lean,...]
    python -m benchmarks.experiments omp      [--model ...] [--steps N] [--repeats N]
    python -m benchmarks.experiments contention [--neighbour spin|torch|none] [--steps N] [--repeats N]
    python -m benchmarks.experiments accuracy-seeds [--model ...] [--seeds 0,1,2] [--epochs 2]
    python -m benchmarks.experiments bound    [--model ...] [--steps N] [--repeats N]
    python -m benchmarks.experiments startup  [--repeats N]
    python -m benchmarks.experiments memory   [--model ...] [--repeats N]

``phases`` (and ``ref-phases`` for the course loop) times each part of the engine's step (``_Trainer._train_epoch`` in train.py, copied below) with
``time.perf_counter`` and reports the median per step. ``variants`` runs whole loops of ``--steps`` steps, one
variant after the other in rotating order, and reports median img/s and the ratio to ``engine`` (the exact
copy of the engine's step; ``iter_training`` is the real engine, timed from its events). Each variant changes one
thing; see ``VARIANTS``. ``omp`` runs the engine's step
in child processes with 2 threads, 2 threads + ``OMP_WAIT_POLICY=PASSIVE`` and 1 thread. ``bound`` is the
ceiling of any way of running one batch-64 step on the cores: one independent trainer per core (half a batch
each, one torch thread, its own model and optimizer, never waiting for the other), as threads of one process and
as separate processes, next to the real engine; their summed img/s is more than a split step can reach, since a
split step also waits for its slower half and adds up the gradients.
"""

from __future__ import annotations

import argparse
import math
import statistics
import time

import torch

from tui_dl.core.model.build import build_model
from tui_dl.core.data import load_dataset, normalize_batch
from tui_dl.core.config.experiment import load_experiment
from tui_dl.core.training.optim import make_optimizer

PRESETS = {"lenet": "presets/lenet5.yaml", "simplecnn": "presets/simple_cnn.yaml"}
BS = 64


def _setup(model_key: str, data, *, channels_last=True, fused=True, seed=0):
    from benchmarks.engine import engine_experiment

    exp = engine_experiment(load_experiment(PRESETS[model_key]), epochs=1, limit_batches=None)
    torch.manual_seed(seed)
    model = build_model(exp.network)
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
    opt, impl = make_optimizer(model, exp.train, torch.device("cpu"), fused=fused)
    return exp, model, opt


class AdaptiveThreads:
    """A sketch of a thread choice that survives busy neighbours: every ``period`` steps, time ``probe`` steps
    with each candidate thread count (after ``settle`` steps to let OpenMP settle) and keep the faster one.

    On an idle machine the probes cost little (a few steps at the slower setting every ``period``); next to a
    busy process, where a 2-thread OpenMP step can take many times longer than a 1-thread one, it switches."""

    def __init__(self, candidates=(2, 1), probe=12, settle=3, period=300):
        self.candidates, self.probe, self.settle, self.period = list(candidates), probe, settle, period
        self.step = 0
        self.plan: list[tuple[int, int]] = []   # (threads, steps) still to run in the current probe
        self.times: dict[int, list[float]] = {}
        self.current = self.candidates[0]
        self.choice = self.candidates[0]
        self.switches = 0

    def before_step(self) -> None:
        if self.step % self.period == 0 and not self.plan:
            self.plan = [(c, self.settle + self.probe) for c in self.candidates]
            self.times = {c: [] for c in self.candidates}
        if self.plan:
            threads = self.plan[0][0]
        else:
            threads = self.choice
        if threads != self.current:
            torch.set_num_threads(threads)
            self.current = threads
        self.t0 = time.perf_counter()

    def after_step(self) -> None:
        dt = time.perf_counter() - self.t0
        self.step += 1
        if self.plan:
            threads, left = self.plan[0]
            if left <= self.probe:
                self.times[threads].append(dt)
            left -= 1
            if left:
                self.plan[0] = (threads, left)
            else:
                self.plan.pop(0)
                if not self.plan:
                    best = min(self.candidates, key=lambda c: statistics.median(self.times[c]))
                    self.switches += best != self.choice
                    self.choice = best


class Loop:
    """One training loop variant: ``run(steps)`` trains ``steps`` batches of 64 and returns seconds."""

    def __init__(self, model_key, data, *, channels_last=True, fused=True, accuracy=True, check="step",
                 prenormalized=False, set_to_none=True, log_every=10, mkldnn=True, grads_none_loop=False,
                 adaptive_threads=False):
        self.exp, self.model, self.opt = _setup(model_key, data, channels_last=channels_last, fused=fused)
        self.data = data
        self.cl = channels_last
        self.accuracy = accuracy
        self.check = check              # "step": float(losses[b]) every step (the engine on CPU); "log": only at logs
        self.set_to_none = set_to_none
        self.grads_none_loop = grads_none_loop  # `for p in params: p.grad = None` instead of opt.zero_grad()
        self.adaptive = AdaptiveThreads() if adaptive_threads else None
        self.params = [p for p in self.model.parameters() if p.requires_grad]
        self.log_every = log_every
        self.mkldnn = mkldnn
        self.mean, self.std = data.mean, data.std
        self.x, self.y = data.train.x, data.train.y
        if prenormalized:
            xf = normalize_batch(self.x, self.mean, self.std)
            self.x = xf.contiguous(memory_format=torch.channels_last) if channels_last else xf
        self.prenormalized = prenormalized
        self.g = torch.Generator().manual_seed(0)
        self.perm = torch.randperm(len(self.y), generator=self.g)
        self.pos = 0
        self.lossf = torch.nn.functional.cross_entropy
        self.nb = math.ceil(len(self.y) / BS)
        self.losses = torch.zeros(self.nb)
        self.correct = torch.zeros(self.nb, dtype=torch.int64)

    def prep(self, xb):
        if self.prenormalized:
            return xb
        out = normalize_batch(xb, self.mean, self.std)
        if self.cl:
            out = out.contiguous(memory_format=torch.channels_last)
        return out

    def run(self, steps: int, timers: dict | None = None, clock=time.perf_counter) -> float:
        model, opt, lossf = self.model, self.opt, self.lossf
        x, y = self.x, self.y
        losses, correct = self.losses, self.correct
        model.train()
        thr = 1e4
        pc = clock
        with torch.backends.mkldnn.flags(enabled=self.mkldnn):
            t_start = pc()
            for i in range(steps):
                if self.pos + BS > len(self.perm):
                    self.perm = torch.randperm(len(self.y), generator=self.g)
                    self.pos = 0
                b = (self.pos // BS) % self.nb
                if self.adaptive is not None:
                    self.adaptive.before_step()
                t0 = pc()
                idx = self.perm[self.pos:self.pos + BS]
                self.pos += BS
                xb = self.prep(x.index_select(0, idx))
                yb = y.index_select(0, idx)
                t1 = pc()
                out = model(xb)
                loss = lossf(out, yb)
                t2 = pc()
                if self.grads_none_loop:
                    for p in self.params:
                        p.grad = None
                else:
                    opt.zero_grad(set_to_none=self.set_to_none)
                t3 = pc()
                loss.backward()
                t4 = pc()
                opt.step()
                t5 = pc()
                loss_det = loss.detach()
                losses[b] = loss_det
                if self.accuracy:
                    correct[b] = (out.detach().argmax(1) == yb).sum()
                if self.check == "step":
                    v = float(losses[b:b + 1][0])
                    if not v <= thr:
                        raise RuntimeError("diverged")
                if (i + 1) % self.log_every == 0:
                    lo = max(0, b + 1 - self.log_every)
                    mean_loss = float(losses[lo:b + 1].mean())
                    if self.check == "log" and not mean_loss <= thr:
                        raise RuntimeError("diverged")
                    _ = float(opt.param_groups[0]["lr"])
                t6 = pc()
                if self.adaptive is not None:
                    self.adaptive.after_step()
                if timers is not None:
                    for k, v in (("batch", t1 - t0), ("forward+loss", t2 - t1), ("zero_grad", t3 - t2),
                                 ("backward", t4 - t3), ("optimizer.step", t5 - t4), ("bookkeeping", t6 - t5)):
                        timers.setdefault(k, []).append(v)
            return pc() - t_start


VARIANTS = {
    "engine": {},                                           # the engine's step as train.py has it
    "no-accuracy": {"accuracy": False},                     # no per-step argmax/eq/sum/copy
    "check-at-log": {"check": "log"},                       # divergence checked every log_every steps, not every step
    "lean": {"accuracy": False, "check": "log"},            # both
    "prenormalized": {"prenormalized": True},               # float32 dataset in memory, channels-last
    "no-channels-last": {"channels_last": False},
    "not-fused": {"fused": False},
    "no-mkldnn": {"mkldnn": False},                         # torch's native conv kernels instead of oneDNN
    "zero-grad-fill": {"set_to_none": False},
    "grads-none-loop": {"grads_none_loop": True},           # p.grad = None per parameter (no zero_grad machinery)
    "lean+grads-none": {"accuracy": False, "check": "log", "grads_none_loop": True},
}


def load(name: str | None):
    if name:
        return load_dataset("idx", root=name, val_split=0.0)
    return load_dataset("synthetic-digits", val_split=0.0)


CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}


def cmd_phases(a, data):
    torch.set_num_threads(a.threads)
    loop = Loop(a.model, data, **VARIANTS[a.variant])
    loop.run(30)
    timers: dict = {}
    secs = loop.run(a.steps, timers, clock=CLOCKS[a.clock])
    total = statistics.median([sum(v[i] for v in timers.values()) for i in range(a.steps)])
    print(f"{a.model}, variant {a.variant}, {a.threads} thread(s), {a.clock} clock: {a.steps * BS / secs:,.0f} "
          f"img/s by that clock, median step {total * 1e3:.2f} ms")
    for k, v in timers.items():
        print(f"  {k:<16} {statistics.median(v) * 1e3:7.3f} ms  (mean {statistics.mean(v) * 1e3:7.3f})")


class EngineRun:
    """The real engine (``iter_training``) as a variant: ``run(steps)`` = one run of 20 + steps batches, timed
    between the StepDone events of step 20 and step 20 + steps (``steps`` must be a multiple of 10)."""

    def __init__(self, model_key, data, threads):
        from benchmarks.engine import engine_experiment

        self.exp = load_experiment(PRESETS[model_key])
        self.data, self.threads = data, threads
        self.exp = engine_experiment(self.exp, epochs=1, limit_batches=None, threads=threads)

    def run(self, steps, clock=None):
        from benchmarks.engine import timed_engine_steps

        secs, _images, _info = timed_engine_steps(self.exp, self.data, warmup=20, steps=steps)
        torch.set_num_threads(self.threads)
        return secs


def cmd_variants(a, data):
    names = a.only.split(",") if a.only else list(VARIANTS)
    torch.set_num_threads(a.threads)
    loops = {n: (EngineRun(a.model, data, a.threads) if n == "iter_training" else Loop(a.model, data, **VARIANTS[n]))
             for n in names}
    for lp in loops.values():
        lp.run(30)
    res = {n: [] for n in names}
    for r in range(a.repeats):
        order = names[r % len(names):] + names[:r % len(names)]
        for n in order:
            secs = loops[n].run(a.steps, clock=CLOCKS[a.clock])
            res[n].append(a.steps * BS / secs)
    base = statistics.median(res[names[0]])
    print(f"{a.model}, {a.threads} thread(s), {a.steps} steps × {a.repeats} rotating repeats (median img/s, "
          f"{a.clock} clock):")
    for n in names:
        m = statistics.median(res[n])
        print(f"  {n:<18} {m:9,.0f}  ×{m / base:5.2f} vs {names[0]}   (all: "
              f"{', '.join(f'{v:,.0f}' for v in res[n])})")


def cmd_layers(a, data):
    """Each layer of the model alone, forward and backward, at batch 64: median time per call, channels-last
    (what the engine uses) and contiguous NCHW. Shows which layers a step's time goes to."""
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
                for p in layer.parameters():
                    p.grad = None
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


def cmd_accuracy_seeds(a, data):
    """Test accuracy after --epochs epochs, course loop vs engine, for several seeds: how far apart two
    pipelines land by chance (different shuffles and normalisation constants) next to how far apart the
    seeds of one pipeline land."""
    from benchmarks.engine import engine_accuracy_run
    from benchmarks.reference import ReferenceTrainer, course_datasets, evaluate, find_idx, torchvision_root

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
            import dataclasses

            e = dataclasses.replace(exp, train=dataclasses.replace(exp.train, seed=seed))
            eng = engine_accuracy_run(e, data, epochs=a.epochs)["test_accuracy"]
            rows.append((seed, ref, eng))
            print(f"  seed {seed}: reference {ref:.2f}%, engine {eng:.2f}%, Δ {eng - ref:+.2f}", flush=True)
    finally:
        if root:
            import shutil

            shutil.rmtree(root, ignore_errors=True)
    refs, engs = [r[1] for r in rows], [r[2] for r in rows]
    sd = statistics.stdev if len(rows) > 1 else (lambda xs: float("nan"))
    print(f"{a.model}, {a.epochs} epochs, seeds {a.seeds}: reference {statistics.mean(refs):.2f} ± {sd(refs):.2f}, "
          f"engine {statistics.mean(engs):.2f} ± {sd(engs):.2f} (mean ± sd); mean Δ "
          f"{statistics.mean(engs) - statistics.mean(refs):+.2f} points")


NEIGHBOURS = {
    "none": None,
    # one busy Python thread: like the app's UI thread, a test run, an editor's language server
    "spin": "while True: pass",
    # another 2-thread torch training process: like a second tui-dl run
    "torch": "import torch\nx = torch.randn(64, 256, 28, 28)\nw = torch.randn(32, 256, 3, 3)\n"
             "while True: torch.nn.functional.conv2d(x, w)",
}


def _independent_lane(model_key, x, y, steps, bs, start=None, out=None, key=None):
    """One trainer of its own (the engine's settings, one torch thread): img/s over ``steps`` steps of ``bs``."""
    from tui_dl.core.model.build import pool_before_relu

    torch.set_num_threads(1)
    torch.set_flush_denormal(True)
    exp, model, opt = _setup(model_key, None)
    pool_before_relu(model)
    mean, std = (float(x[:4096].float().mean() / 255),), (float(x[:4096].float().std() / 255),)
    crit = torch.nn.CrossEntropyLoss()
    gen = torch.Generator().manual_seed(0)
    perm = torch.randperm(len(y), generator=gen)

    def step(i):
        idx = perm[(i * bs) % (len(y) - bs):][:bs]
        xb = normalize_batch(x.index_select(0, idx), mean, std).contiguous(memory_format=torch.channels_last)
        loss = crit(model(xb), y.index_select(0, idx))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    for i in range(20):
        step(i)
    if start is not None:
        start.wait()
    t0 = time.perf_counter()
    for i in range(steps):
        step(i)
    ips = steps * bs / (time.perf_counter() - t0)
    if out is not None:
        out[key] = ips
    return ips


def _bound_child(model_key, idx_folder, steps, bs, barrier, out, key):
    data = load(idx_folder)
    _independent_lane(model_key, data.train.x, data.train.y, steps, bs, barrier, out, key)


def cmd_bound(a, data):
    import os
    import shutil

    from benchmarks.reference import torchvision_root

    cores = os.cpu_count() or 2
    exp = load_experiment(PRESETS[a.model])
    tv = torchvision_root(a.data)  # a temporary folder in torchvision's layout
    try:
        _bound_rounds(a, data, exp, tv, cores, BS // cores)
    finally:
        shutil.rmtree(tv, ignore_errors=True)


def _bound_rounds(a, data, exp, tv, cores, bs):
    import multiprocessing as mp
    import threading

    from benchmarks.engine import timed_engine_steps
    from benchmarks.reference import ReferenceTrainer, course_datasets

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
        ts = [threading.Thread(target=_independent_lane, args=(a.model, data.train.x, data.train.y, a.steps * 2, bs,
                                                                barrier, out, k)) for k in range(cores)]
        [t.start() for t in ts]
        [t.join() for t in ts]
        rows[f"{cores} independent threads"].append(sum(out.values()))
        with ctx.Manager() as m:
            out, barrier = m.dict(), m.Barrier(cores)
            ps = [ctx.Process(target=_bound_child, args=(a.model, a.data, a.steps * 2, bs, barrier, out, k))
                  for k in range(cores)]
            [p.start() for p in ps]
            [p.join() for p in ps]
            rows[f"{cores} independent processes"].append(sum(out.values()))
    base = statistics.median(rows["reference (course loop)"])
    print(f"{a.model}, batch {BS} ({bs} per independent trainer), medians of {a.repeats}:")
    for name, v in rows.items():
        med = statistics.median(v)
        print(f"  {name:32s} {med:8,.0f} img/s  {med / base:5.2f}× reference   {[round(x) for x in v]}")


def cmd_contention(a, data):
    """The engine's step with 2 threads, 1 thread, and the AdaptiveThreads sketch, with a deliberate busy
    neighbour process (``--neighbour spin|torch|none``): rotating order, median img/s (wall clock)."""
    import subprocess
    import sys

    names = ["2 threads", "1 thread", "adaptive (2 or 1)"]
    loops = {"2 threads": Loop(a.model, data), "1 thread": Loop(a.model, data),
             "adaptive (2 or 1)": Loop(a.model, data, adaptive_threads=True)}
    threads = {"2 threads": 2, "1 thread": 1, "adaptive (2 or 1)": 2}
    code = NEIGHBOURS[a.neighbour]
    proc = subprocess.Popen([sys.executable, "-c", code]) if code else None
    try:
        time.sleep(3 if code else 0)
        res = {n: [] for n in names}
        for n in names:
            torch.set_num_threads(threads[n])
            loops[n].run(20)
        for r in range(a.repeats):
            for n in names[r % 3:] + names[:r % 3]:
                ad = loops[n].adaptive
                torch.set_num_threads(ad.current if ad is not None else threads[n])
                secs = loops[n].run(a.steps)
                res[n].append(a.steps * BS / secs)
    finally:
        if proc is not None:
            proc.kill()
            proc.wait()
    ad = loops["adaptive (2 or 1)"].adaptive
    print(f"{a.model}, neighbour {a.neighbour!r}, {a.steps} steps × {a.repeats} rotating repeats (median img/s); "
          f"adaptive settled on {ad.choice} thread(s), switched {ad.switches}×:")
    base = statistics.median(res[names[0]])
    for n in names:
        m = statistics.median(res[n])
        print(f"  {n:<18} {m:9,.0f}  ×{m / base:5.2f}   (all: {', '.join(f'{v:,.0f}' for v in res[n])})")


def cmd_ref_phases(a, data):
    """The course loop's step, timed in parts: DataLoader batch (64 × PIL + ToTensor + Normalize + collate),
    forward+loss, zero_grad, backward, Adam step (the default, non-fused implementation)."""
    from benchmarks.reference import course_datasets, find_idx, torchvision_root

    torch.set_num_threads(a.threads)
    root = torchvision_root(a.data) if a.data and find_idx(a.data) else None
    try:
        train_ds, _ = course_datasets(root, synthetic=data)
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
            import shutil

            shutil.rmtree(root, ignore_errors=True)
    total = statistics.median([sum(v[i] for v in timers.values()) for i in range(a.steps)])
    print(f"{a.model}, reference (course loop), {a.threads} thread(s), {a.clock} clock: "
          f"{a.steps * BS / secs:,.0f} img/s by that clock, median step {total * 1e3:.2f} ms")
    for k, v in timers.items():
        print(f"  {k:<18} {statistics.median(v) * 1e3:7.3f} ms  (mean {statistics.mean(v) * 1e3:7.3f})")


OMP_SETTINGS = {
    "2 threads (default)": ({}, 2),
    "2 threads, OMP_WAIT_POLICY=PASSIVE": ({"OMP_WAIT_POLICY": "PASSIVE"}, 2),
    "2 threads, OMP_PROC_BIND=close": ({"OMP_PROC_BIND": "close", "OMP_PLACES": "cores"}, 2),
    "1 thread": ({}, 1),
}


def cmd_omp(a, data):
    """The engine's step in child processes with different OpenMP settings (read once, at torch's start-up),
    in rotating order; median img/s of each. Run it on a quiet machine and next to a busy one."""
    import os
    import subprocess
    import sys

    from benchmarks.common import ForeignLoad

    res = {k: [] for k in OMP_SETTINGS}
    loads = []
    names = list(OMP_SETTINGS)
    for r in range(a.repeats):
        for name in names[r % len(names):] + names[:r % len(names)]:
            env_add, threads = OMP_SETTINGS[name]
            env = {**os.environ, **env_add}
            cmd = [sys.executable, "-W", "ignore", "-m", "benchmarks.experiments", "variants", "--only", "engine",
                   "--repeats", "1", "--steps", str(a.steps), "--threads", str(threads), "--model", a.model,
                   "--data", a.data]
            with ForeignLoad() as fl:
                out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True).stdout
            loads.append(fl.cores)
            line = next(x for x in out.splitlines() if x.strip().startswith("engine"))
            res[name].append(float(line.split()[1].replace(",", "")))
    base = statistics.median(res[names[0]])
    print(f"{a.model}, {a.steps} steps per child, {a.repeats} rotating repeats; other processes used "
          f"{statistics.median([x for x in loads if x is not None] or [0]):.2f} cores (median):")
    for n in names:
        m = statistics.median(res[n])
        print(f"  {n:<36} {m:9,.0f} img/s  ×{m / base:5.2f}   (all: {', '.join(f'{v:,.0f}' for v in res[n])})")


def cmd_startup(a, data=None):
    """App start-up (make_app → ready, headless) in fresh processes: as is, and with the Setup tab stubbed out
    (what composing that tab on first visit would save). Rotating order, medians."""
    import subprocess
    import sys

    modes = ["full", "lazy-setup"]
    res = {m: [] for m in modes}
    widgets = {}
    for r in range(a.repeats):
        for m in modes[r % 2:] + modes[:r % 2]:
            out = subprocess.run([sys.executable, "-m", "benchmarks.startup_child", m], capture_output=True,
                                 text=True, check=True).stdout.split()
            kv = dict(x.split("=") for x in out[1:])
            res[m].append(float(kv["ready"]))
            widgets[m] = int(kv["widgets"])
    for m in modes:
        print(f"  {m:<12} make_app → ready {statistics.median(res[m]) * 1e3:6.0f} ms (median of {a.repeats}), "
              f"{widgets[m]} widgets")


def cmd_memory(a, data=None):
    """Peak RSS of a headless LeNet run (iter_training in a child, 100 steps): as is, and with train.py's
    ``_versions()`` reading torchvision's version from package metadata instead of importing torchvision."""
    import sys
    import tempfile

    from benchmarks.app_bench import run_peak_rss

    sets = ["data.name=idx", f"data.root={a.data}", "data.val_split=0", "train.epochs=1",
            "train.limit_batches=100", "train.checkpoints=false"]
    res = {"as is": [], "versions from metadata": []}
    for r in range(a.repeats):
        for name, extra in (("as is", []), ("versions from metadata", ["--versions-from-metadata"])):
            with tempfile.TemporaryDirectory() as tmp:
                argv = [sys.executable, "-m", "benchmarks.headless_child", PRESETS[a.model], "--runs-dir", tmp,
                        *extra] + [x for s in sets for x in ("--set", s)]
                rc, rss, out, err = run_peak_rss(argv, 600)
                assert rc == 0, err
                res[name].append(rss)
    for n, v in res.items():
        print(f"  {n:<24} peak RSS {statistics.median(v):6.0f} MiB (all: {', '.join(f'{x:.0f}' for x in v)})")


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m benchmarks.experiments")
    p.add_argument("what", choices=("phases", "ref-phases", "layers", "variants", "omp", "contention", "startup",
                                    "memory", "accuracy-seeds", "bound"))
    p.add_argument("--seeds", default="0,1,2", help="accuracy-seeds: comma-separated seeds")
    p.add_argument("--epochs", type=int, default=2, help="accuracy-seeds: epochs per run")
    p.add_argument("--neighbour", default="spin", choices=tuple(NEIGHBOURS), help="contention: the busy process")
    p.add_argument("--model", default="lenet", choices=tuple(PRESETS))
    p.add_argument("--threads", type=int, default=torch.get_num_threads())
    p.add_argument("--steps", type=int, default=200)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--variant", default="engine", choices=tuple(VARIANTS))
    p.add_argument("--only", help="comma-separated variants (the first is the baseline)")
    p.add_argument("--clock", default="wall", choices=tuple(CLOCKS),
                   help="phases: wall time, or this process's CPU time (robust next to busy neighbours when "
                        "--threads 1; with more threads it also counts OpenMP spinning)")
    p.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    a = p.parse_args(argv)
    if a.what == "startup":
        return cmd_startup(a)
    if a.what == "memory":
        return cmd_memory(a)
    data = load(a.data)
    {"phases": cmd_phases, "ref-phases": cmd_ref_phases, "variants": cmd_variants, "omp": cmd_omp,
     "contention": cmd_contention, "layers": cmd_layers, "accuracy-seeds": cmd_accuracy_seeds,
     "bound": cmd_bound}[a.what](a, data)


if __name__ == "__main__":
    main()
