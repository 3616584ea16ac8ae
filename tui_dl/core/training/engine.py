"""What a run trains with: :func:`prepare` builds the :class:`Engine` (the seeded network, its
:class:`~tui_dl.core.training.plan.RunPlan`, the CPU step strategy, the data on the device, the optimizer,
scheduler and step) that :func:`~tui_dl.core.training.loop.iter_training` runs epoch by epoch, and
:func:`training_thread` sets the training thread's flags. The benchmarks time this engine's ``step``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import random
import sys
from typing import TYPE_CHECKING, Any, Iterator

import numpy as np
import torch

from tui_dl.core.i18n import _
from tui_dl.core.config.experiment import Experiment
from tui_dl.core.data.augment import with_augment
from tui_dl.core.device import set_threads
from tui_dl.core.model.build import SpecError, build_model, count_parameters, pool_before_relu
from tui_dl.core.model.shapes import Summary
from tui_dl.core.runs.provenance import state_sha256
from tui_dl.core.training.adversarial import make_perturber
from tui_dl.core.training.errors import SetupError, TrainError, is_oom, oom_error
from tui_dl.core.training.grad_stats import GradRecorder
from tui_dl.core.training.strategy import choose_strategy
from tui_dl.core.training.optim import make_optimizer, make_scheduler
from tui_dl.core.training.plan import RunPlan, check_network, plan_run
from tui_dl.core.training.steps import Batcher, Step, make_step
# issue 18: data parallel, precision, CUDA switches
from tui_dl.core.training import distributed as ddp
from tui_dl.core.training.cuda_setup import to_device
from tui_dl.core.training.precision import Precision, check_precision
from tui_dl.core.training.sharded_step import make_sharded_step, needs_sharded_step

if TYPE_CHECKING:
    from tui_dl.core.data import LoadedData

__all__ = ["prepare", "Engine", "training_thread", "seed_everything", "UI_SWITCH_INTERVAL", "FLUSH_DENORMAL",
           "POOL_BEFORE_RELU"]

#: With ui_thread=True the GIL switch interval is lowered to this while training (restored afterwards). Each
#: torch op releases and re-takes the GIL; with Python's default 5 ms interval a busy UI thread makes every
#: re-take wait up to 5 ms. Measured (2 cores, a Python thread kept 100% busy beside a 1-thread LeNet run):
#: 793 img/s at 5 ms, 1,510 img/s at 1 ms (the README, "Training headless").
UI_SWITCH_INTERVAL = 0.001
#: Flush denormal floats to zero while training on the CPU (each training thread sets it for itself; the flag is
#: cleared again when the run ends). Adam's second moments of tiny gradients drift into the denormal range
#: (< 1.2e-38), where every x86 float operation takes a slow microcode path: measured, LeNet-5's fused Adam step
#: took 1.08 ms with denormals and 0.19 ms without. Values that small change no update that matters.
FLUSH_DENORMAL = True
#: Train with every ReLU → MaxPool2d pair reordered to MaxPool2d → ReLU (the same results bit for bit; see
#: :func:`tui_dl.core.model.build.pool_before_relu`).
POOL_BEFORE_RELU = True

def seed_everything(seed: int) -> None:
    """Seed torch (every device), numpy and Python's ``random``."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


@contextlib.contextmanager
def training_thread(ui_thread: bool = False) -> Iterator[None]:
    """The calling thread's settings while it trains: denormals flushed to zero (:data:`FLUSH_DENORMAL`) and,
    with ``ui_thread``, the GIL switch interval lowered (:data:`UI_SWITCH_INTERVAL`). Restored on exit."""
    old_switch = sys.getswitchinterval()
    if ui_thread and old_switch > UI_SWITCH_INTERVAL:
        sys.setswitchinterval(UI_SWITCH_INTERVAL)
    ftz = FLUSH_DENORMAL and torch.set_flush_denormal(True)  # this thread only; False where unsupported
    try:
        yield
    finally:
        if ftz:
            torch.set_flush_denormal(False)
        if sys.getswitchinterval() != old_switch:
            sys.setswitchinterval(old_switch)


@dataclasses.dataclass
class Engine:
    """What a run trains with, as :func:`prepare` sets it up: ``step(idx)`` is one optimizer step on the
    training rows ``idx`` (see :mod:`~tui_dl.core.training.steps`)."""

    plan: RunPlan
    model: torch.nn.Module
    optimizer: torch.optim.Optimizer
    opt_impl: str                   # "fused" or "default"
    scheduler: Any
    prep: Batcher
    train: tuple[torch.Tensor, torch.Tensor]
    val: tuple[torch.Tensor, torch.Tensor] | None
    test: tuple[torch.Tensor, torch.Tensor] | None
    step: Step
    params: int
    init_sha256: str = ""           # the SHA-256 of the seeded initial weights (core/runs/provenance.py)
    #: per-layer gradient statistics of the logged steps (the step's ``recorder``; None: not recorded)
    recorder: GradRecorder | None = None
    precision: Precision | None = None   # train.precision (autocast, the fp16 scaler)
    #: which CPU step trains and why (core/training/strategy.py), as summary.json records it
    strategy: dict[str, Any] | None = None


def prepare(exp: Experiment, data: LoadedData, *, device: torch.device | str = "auto", summary: Summary | None = None,
            checkpoint: dict[str, Any] | None = None, ui_thread: bool = False,
            dist: ddp.DistInfo | None = None) -> Engine:
    """Build everything a run of ``exp`` trains with, as :func:`iter_training` does: the seeded network (ReLU →
    pool reordered), its :class:`~tui_dl.core.training.plan.RunPlan`, torch's thread count, the model and the
    data on the device, the optimizer, scheduler and step strategy. The benchmarks time this engine's
    ``step`` (inside :func:`training_thread`); call ``step.close()`` when done. ``dist``: this process's rank
    in a distributed run (:mod:`~tui_dl.core.training.distributed`)."""
    cfg = exp.train
    summary = summary if summary is not None else check_network(exp)
    seed_everything(cfg.seed)  # the same seed gives the same initial weights
    try:
        model = build_model(exp.network, summary=summary)
    except SpecError as e:
        raise SetupError(_("the network is not valid: {problem}").format(problem=e)) from None
    init_sha256 = state_sha256(model.state_dict())  # depends on the seed and the network only
    if POOL_BEFORE_RELU:
        pool_before_relu(model)
    plan = plan_run(exp, data, device=device, model=model, summary=summary, checkpoint=checkpoint,
                    ui_thread=ui_thread, ranks=(dist.world, dist.local_world) if dist else (1, 1))
    strategy = None
    if (dist is None or not dist.enabled) and cfg.precision == "fp32":
        # issue 19: the fastest CPU step for this model and batch (timed once, then cached; train.strategy).
        # Not under data parallel (one lane per rank) or autocast (the candidates are timed in fp32).
        plan, strategy = choose_strategy(plan, exp, model, data.train.x, data.train.y, data.mean, data.std,
                                         macs_per_step=summary.totals.macs * cfg.batch_size, ui_thread=ui_thread,
                                         resumed=checkpoint is not None, flush_denormal=FLUSH_DENORMAL)
    dev = plan.device
    set_threads(plan.torch_threads)
    try:
        model = model.to(dev)
        if plan.channels_last:
            model = model.to(memory_format=torch.channels_last)
    except RuntimeError as e:
        if is_oom(e):
            raise oom_error(cfg.batch_size, dev) from None
        raise
    optimizer, impl = make_optimizer(model, cfg, dev)
    scheduler = make_scheduler(optimizer, cfg, steps_per_epoch=plan.steps_per_epoch)
    prep = Batcher(data.mean, data.std, plan.channels_last)
    try:  # the tensors go to the device once (uint8 images stay uint8: 4× less memory and transfer)
        train = to_device(data.train.x, dev), to_device(data.train.y, dev)
        val = ((to_device(data.val.x, dev), to_device(data.val.y, dev)) if data.val is not None and len(data.val)
               else None)
        test = (to_device(data.test.x, dev), to_device(data.test.y, dev)) if len(data.test) else None
    except RuntimeError as e:
        if is_oom(e):
            raise TrainError(_("the dataset does not fit in {device} memory; use --device cpu").format(
                device=dev.type)) from None
        raise
    try:  # data.augment: the training batches only (evaluation uses prep)
        train_prep = with_augment(prep, exp.data.augment, cfg.seed, dev, data.input_shape,
                                  start=int(checkpoint.get("step", 0)) if checkpoint else 0)
    except ValueError as e:
        raise SetupError(str(e)) from None
    perturb = make_perturber(cfg.adversarial, model, plan.objective.loss, data.mean, data.std, seed=cfg.seed,
                             split=plan.step == "split")
    precision = check_precision(cfg.precision, dev)
    if needs_sharded_step(cfg, dist or ddp.DistInfo()):  # issue 18: autocast, compile, data parallel
        step = make_sharded_step(plan, model, optimizer, train_prep, *train, cfg, precision=precision,
                                 dist=dist or ddp.DistInfo(), perturb=perturb)
    else:
        step = make_step(plan, model, optimizer, train_prep, *train, cfg.grad_clip, flush_denormal=FLUSH_DENORMAL,
                         perturb=perturb)
    recorder = GradRecorder(exp.network, model)
    step.recorder = None if recorder.empty else recorder
    return Engine(plan, model, optimizer, impl, scheduler, prep, train, val, test, step, count_parameters(model)[0],
                  init_sha256, step.recorder, precision, strategy=strategy.to_dict() if strategy else None)
