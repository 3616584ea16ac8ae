"""The fastest CPU step for this model and batch on this machine (issue 19, ``train.strategy``).

Which step is fastest depends on the CPU, the network and the batch: a batch split into one lane per core
(:mod:`~tui_dl.core.training.split`) wins on 2-4 cores for LeNet-sized layers, one model with N intra-op
threads wins for wider layers or more cores, and channels-last helps some convolutions and slows others. So
with ``train.strategy: auto`` a CPU run times each candidate step on its own model and batch size for a fraction
of a second (a copy of the model, real batches; nothing of the run is changed: weights, optimizer, random
numbers), picks the one with the most images per second, and remembers the answer in the user cache
(:func:`tui_dl.core.paths.cache_dir`), keyed by the CPU model, core count, torch version and the model's
signature (network, batch size, optimizer, threads asked for): the next run of the same model starts at once and
makes the same choice, so the same seed keeps giving the same numbers on this machine.

``train.strategy: split`` or ``threads`` forces one. Short runs (fewer than :data:`MIN_TIMED_STEPS` steps) keep the
plan's own choice: timing would cost more than it saves. A resumed run keeps its checkpoint's threads and lanes.

Inside the app (``ui_thread=True``) the candidates are the app's own: lanes (which never spin at barriers, so
the UI thread keeps its turns) over every core, or one model with one core left to the UI thread (as
:func:`tui_dl.core.device.choose_threads` decides).

bf16: :func:`precision_candidates` is the hook where a bf16 candidate joins when ``train.precision`` is
``bf16`` and the CPU computes bf16 natively; it adds none until the steps run in bf16 (``train.precision`` is
being added separately).
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as _dt
import hashlib
import json
import platform
import statistics
import time
from pathlib import Path
from typing import Any, Callable, Sequence

import torch

from tui_dl.core.device import choose_threads, cpu_cores, set_threads
from tui_dl.core.i18n import N_
from tui_dl.core.training.events import English, Notice, english
from tui_dl.core.training.split import plan_lanes

__all__ = ["Candidate", "StrategyChoice", "STRATEGIES", "MIN_TIMED_STEPS", "candidates", "choose_strategy",
           "cache_key", "cpu_model", "cpu_has_native_bf16", "precision_candidates", "time_candidate"]

STRATEGIES = ("auto", "split", "threads")
#: runs shorter than this many steps keep the plan's default step instead of timing the candidates
MIN_TIMED_STEPS = 400
#: seconds each candidate is timed (after its warm-up steps); ~4 candidates: about half a second in all
BUDGET_S = 0.12
WARMUP_STEPS = 3
#: another step replaces the plan's own only when it is this much faster
MARGIN = 1.05
#: ... and OpenMP threads replace split lanes only when this much faster: half a second in a quiet moment cannot
#: see how they collapse next to a busy neighbour. Measured 2026-12-03 (Xeon, 2 cores, shared): threads×2 timed
#: 12,614 img/s, then trained LeNet-5 (batch 128) at 1,855-3,025 img/s once other jobs ran; split×2 trained at
#: 9,033-10,720 img/s in the same conditions (wall 82.9 s against 25.4 s for lenet5_fast's 3 epochs).
SPIN_MARGIN = 1.5
#: each candidate is timed this many times, in alternating order; its best round counts
ROUNDS = 2
MIN_STEPS, MAX_STEPS = 5, 400
CACHE_FILE = "cpu-strategy.json"
CACHE_VERSION = 1


@dataclasses.dataclass(frozen=True)
class Candidate:
    lanes: int               # 1 = one model; ≥ 2 = the batch split into that many lanes
    threads: int             # CPU threads in all
    channels_last: bool
    precision: str = "fp32"  # the bf16 hook (precision_candidates)

    @property
    def kind(self) -> str:
        return "split" if self.lanes > 1 else "threads"

    @property
    def torch_threads(self) -> int:
        return max(1, self.threads // self.lanes) if self.lanes > 1 else self.threads

    @property
    def label(self) -> str:
        n = self.lanes if self.lanes > 1 else self.threads
        return (f"{self.kind}×{n}" + (", channels-last" if self.channels_last else "")
                + ("" if self.precision == "fp32" else f", {self.precision}"))


@dataclasses.dataclass(frozen=True)
class StrategyChoice:
    chosen: Candidate
    how: str                                  # "timed", "cached", "forced", "default"
    timings: tuple[tuple[str, float], ...]    # (candidate label, img/s), as timed (also when read from cache)
    reason: str = ""
    key: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"choice": self.chosen.label, "kind": self.chosen.kind, "lanes": self.chosen.lanes,
                "threads": self.chosen.threads, "channels_last": self.chosen.channels_last,
                "precision": self.chosen.precision, "how": self.how,
                "timings_images_per_second": {k: round(v, 1) for k, v in self.timings}, "reason": self.reason,
                "cache_key": self.key}

    def describe(self) -> str:
        head = {"timed": N_("fastest step on this CPU"), "cached": N_("fastest step on this CPU (cached)"),
                "forced": N_("step set by train.strategy"), "default": N_("step")}[self.how]
        values: dict[str, Any] = {"head": english(head), "choice": self.chosen.label}
        if self.timings:
            values["timings"] = ", ".join(f"{k} {v:,.0f} img/s" for k, v in sorted(self.timings, key=lambda kv: -kv[1]))
        if self.reason:
            values["reason"] = self.reason if isinstance(self.reason, English) else english(self.reason)
        # TRANSLATORS: {head} says how the step was chosen, {choice} is its label (a code word), {timings} the
        # speeds measured, {reason} why
        text = {(False, False): N_("{head}: {choice}"), (True, False): N_("{head}: {choice} ({timings})"),
                (False, True): N_("{head}: {choice}; {reason}"),
                (True, True): N_("{head}: {choice} ({timings}); {reason}")}[(bool(self.timings), bool(self.reason))]
        return english(text, **values)


# ----------------------------------------------------------------------------- the machine


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def cpu_has_native_bf16() -> bool:
    """Whether the CPU has bf16 arithmetic instructions (x86 AVX512-BF16 or AMX-BF16, Arm BF16)."""
    try:
        with open("/proc/cpuinfo") as f:
            text = f.read()
    except OSError:
        return False
    flags = set()
    for line in text.splitlines():
        if line.startswith(("flags", "Features")):
            flags.update(line.split(":", 1)[1].split())
    return bool(flags & {"avx512_bf16", "amx_bf16", "bf16"})


# ----------------------------------------------------------------------------- the candidates


def precision_candidates(exp, base: Sequence[Candidate]) -> list[Candidate]:
    """The hook for reduced precision: the candidates to add when the experiment asks for it. ``train.precision``
    is being added separately; when it is ``bf16`` and the CPU has native bf16 (:func:`cpu_has_native_bf16`),
    this is where ``dataclasses.replace(c, precision="bf16")`` of each base candidate joins, once
    :func:`time_candidate` and the steps run a candidate's precision. Until then: none."""
    if getattr(exp.train, "precision", None) == "bf16" and cpu_has_native_bf16():
        return []  # the steps do not run bf16 yet: nothing to time
    return []


def candidates(plan, exp, macs_per_step: int | None, *, ui_thread: bool, has_conv: bool,
               cores: int | None = None) -> list[Candidate]:
    """The CPU steps worth timing for this run: split lanes (when the network allows it), one model with N
    threads, each with channels-last on and off (when the network has convolutions and ``train.channels_last``
    is not set), and the precision hook's."""
    cfg = exp.train
    cores = cores or cpu_cores()
    cl_options = ([plan.channels_last] if cfg.channels_last is not None or not has_conv else [True, False])
    out: list[Candidate] = []
    if not plan.split_reason and cfg.split_batch is not False:
        t = choose_threads(cfg.threads, False, macs_per_step)  # lanes do not spin: every core, even in the app
        lanes = plan_lanes(t, plan.batch_size, cores, True if t >= 2 else None)
        if lanes > 1:
            out += [Candidate(lanes, t, cl) for cl in cl_options]
    if cfg.split_batch is not True or not out:
        t = choose_threads(cfg.threads, ui_thread, macs_per_step)
        out += [Candidate(1, t, cl) for cl in cl_options]
    return out + precision_candidates(exp, out)


def _from_plan(plan) -> Candidate:
    return Candidate(plan.lanes, plan.threads, plan.channels_last)


def apply(plan, c: Candidate, notice: str | None = None):
    """``plan`` with candidate ``c``'s step."""
    notices = plan.notices + ((Notice("info", notice),) if notice else ())
    return dataclasses.replace(plan, step="split" if c.lanes > 1 else "plain", lanes=c.lanes, threads=c.threads,
                               torch_threads=c.torch_threads, channels_last=c.channels_last, notices=notices)


# ----------------------------------------------------------------------------- timing


def time_candidate(c: Candidate, plan, exp, model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor,
                   mean, std, *, budget_s: float = BUDGET_S, timer: Callable[[], float] = time.perf_counter,
                   flush_denormal: bool = False) -> float:
    """Images per second of candidate ``c``'s step on a copy of ``model`` and its own optimizer (real batches of
    the run's size from ``x``, ``y``): the median step time after :data:`WARMUP_STEPS` warm-up steps, over
    ``budget_s`` seconds (at least :data:`MIN_STEPS` steps). The run's model, optimizer and random numbers are
    left as they were; torch's thread count is ``c``'s afterwards."""
    from tui_dl.core.training.optim import make_optimizer
    from tui_dl.core.training.steps import Batcher, make_step

    bs = plan.batch_size
    with torch.random.fork_rng(devices=[]):
        m = copy.deepcopy(model)
        if c.channels_last:
            m = m.to(memory_format=torch.channels_last)
        opt, _ = make_optimizer(m, exp.train, torch.device("cpu"))
        set_threads(c.torch_threads)
        step = make_step(apply(plan, c), m, opt, Batcher(mean, std, c.channels_last), x, y, exp.train.grad_clip,
                         flush_denormal=flush_denormal)
        g = torch.Generator().manual_seed(0)
        n = int(y.shape[0])
        ftz = flush_denormal and torch.set_flush_denormal(True)
        try:
            for _ in range(WARMUP_STEPS):
                step(torch.randint(0, n, (bs,), generator=g))
            times: list[float] = []
            end = timer() + budget_s
            while len(times) < MIN_STEPS or (timer() < end and len(times) < MAX_STEPS):
                idx = torch.randint(0, n, (bs,), generator=g)
                t0 = timer()
                step(idx)
                times.append(timer() - t0)
        finally:
            step.close()
            if ftz:
                torch.set_flush_denormal(False)
    med = statistics.median(times)
    return bs / med if med > 0 else float("inf")


# ----------------------------------------------------------------------------- the cache


def cache_key(exp, cands: Sequence[Candidate], cores: int | None = None) -> str:
    """What the fastest step depends on: CPU model, core count, torch version, the model's signature (network,
    batch size, optimizer, gradient clipping) and the candidates (threads asked for, inside the app or not)."""
    cfg = exp.train
    sig = {"cpu": cpu_model(), "cores": cores or cpu_cores(), "torch": torch.__version__,
           "network": exp.network.to_dict(), "batch_size": cfg.batch_size, "optimizer": cfg.optimizer.name,
           "grad_clip": bool(cfg.grad_clip), "candidates": [c.label for c in cands], "v": CACHE_VERSION}
    return hashlib.sha256(json.dumps(sig, sort_keys=True, default=str).encode()).hexdigest()[:24]


def _cache_path() -> Path:
    from tui_dl.core.paths import cache_dir

    return cache_dir() / CACHE_FILE


def _read_cache(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text())
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def _write_cache(path: Path, key: str, entry: dict[str, Any]) -> None:
    """Add one entry; a cache that cannot be written is skipped (never a failed run)."""
    from tui_dl.core.runs.atomic import atomic_write

    data = _read_cache(path)
    data[key] = entry
    if len(data) > 200:  # keep the newest 200
        data = dict(sorted(data.items(), key=lambda kv: str(kv[1].get("date", "")))[-200:])
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, lambda f: f.write(json.dumps(data, indent=1, sort_keys=True)))
    except OSError:
        pass


# ----------------------------------------------------------------------------- the choice


def choose_strategy(plan, exp, model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, mean, std, *,
                    macs_per_step: int | None, ui_thread: bool = False, resumed: bool = False,
                    measure: Callable[[Candidate], float] | None = None, use_cache: bool = True,
                    cache_path: Path | None = None, flush_denormal: bool = False):
    """``(plan with the chosen step, StrategyChoice)``. ``measure(candidate) -> img/s`` replaces the timing
    (tests); ``cache_path`` the cache file (default: the user cache)."""
    from torch.nn.modules.conv import _ConvNd

    cfg = exp.train
    want = getattr(cfg, "strategy", "auto") or "auto"
    if plan.device.type != "cpu" or plan.step == "full_batch":
        return plan, StrategyChoice(_from_plan(plan), "default", (), english(N_("not a CPU mini-batch run")))
    if resumed:
        return plan, StrategyChoice(_from_plan(plan), "default", (),
                                    english(N_("a resumed run keeps its threads and lanes")))
    has_conv = any(isinstance(m, _ConvNd) for m in model.modules())
    cands = candidates(plan, exp, macs_per_step, ui_thread=ui_thread, has_conv=has_conv)
    if want in ("split", "threads"):
        pick = [c for c in cands if c.kind == want and c.channels_last == plan.channels_last]
        if not pick:
            cannot = english(plan.split_reason or N_("it has fewer than 2 CPU threads"))
            why = (english(N_("train.strategy is split, but this run cannot split its batches: {reason}"),
                           reason=cannot) if want == "split"
                   else english(N_("train.strategy is {strategy}"), strategy=want))
            ch = StrategyChoice(_from_plan(plan), "forced", (), why)
            return apply(plan, ch.chosen, ch.describe()), ch
        ch = StrategyChoice(pick[0], "forced", ())
        return apply(plan, ch.chosen, ch.describe()), ch
    total = plan.steps_per_epoch * max(1, cfg.epochs)
    if len(cands) < 2 or total < MIN_TIMED_STEPS:
        reason = (english(N_("one candidate")) if len(cands) < 2 else
                  english(N_("a short run ({steps} steps) is not worth timing"), steps=f"{total:,}"))
        return plan, StrategyChoice(_from_plan(plan), "default", (), reason)
    key = cache_key(exp, cands)
    path = cache_path or _cache_path()
    by_label = {c.label: c for c in cands}
    if use_cache:
        hit = _read_cache(path).get(key)
        if isinstance(hit, dict) and hit.get("choice") in by_label:
            timings = tuple((str(k), float(v)) for k, v in (hit.get("timings") or {}).items())
            ch = StrategyChoice(by_label[hit["choice"]], "cached", timings, key=key)
            return apply(plan, ch.chosen, ch.describe()), ch
    if measure is None:
        def measure(c: Candidate) -> float:
            return time_candidate(c, plan, exp, model, x, y, mean, std, budget_s=BUDGET_S / ROUNDS,
                                  flush_denormal=flush_denormal)
    before = torch.get_num_threads()
    best_ips = [0.0] * len(cands)
    try:  # rounds in alternating order (A B C D, D C B A): a moment of load elsewhere hits no one candidate alone
        for r in range(ROUNDS):
            for i in (range(len(cands)) if r % 2 == 0 else reversed(range(len(cands)))):
                best_ips[i] = max(best_ips[i], float(measure(cands[i])))
    finally:
        set_threads(before)
    timings = tuple((c.label, v) for c, v in zip(cands, best_ips))
    # the plan's own step unless another is clearly faster (MARGIN): OpenMP threads spin at barriers and slow
    # down badly next to a busy neighbour, lanes do not, so a near-tie keeps the plan's (lanes on 2-4 cores)
    own = next((i for i, c in enumerate(cands) if c == _from_plan(plan)), 0)
    def needed(i: int) -> float:
        spins = cands[i].lanes == 1 and cands[i].torch_threads > 1 and cands[own].lanes > 1
        return (SPIN_MARGIN if spins else MARGIN) * timings[own][1]

    eligible = [i for i in range(len(cands)) if i == own or timings[i][1] >= needed(i)]
    best = max(eligible, key=lambda i: timings[i][1])
    ch = StrategyChoice(cands[best], "timed", timings, key=key)
    if use_cache:
        _write_cache(path, key, {"choice": ch.chosen.label, "timings": dict(timings), "cpu": cpu_model(),
                                 "cores": cpu_cores(), "torch": torch.__version__, "name": exp.name,
                                 "date": _dt.datetime.now().astimezone().isoformat(timespec="seconds")})
    return apply(plan, ch.chosen, ch.describe()), ch
