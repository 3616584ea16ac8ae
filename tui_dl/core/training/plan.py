"""The run plan: every choice the trainer makes before its first step, decided in one pure function.

:func:`plan_run` looks at the experiment, the loaded data, the device, the built network and (when resuming)
the checkpoint, and returns a frozen :class:`RunPlan`: the step strategy (plain, split lanes or full-batch GD),
CPU threads and lanes, channels-last, batch sizes and steps per epoch, the loss, evaluation batch size, the
value early stopping watches, how often the divergence check syncs, and the notices the student should see.
It changes nothing (no threads set, nothing moved to the device), so it can be tested without training.

The helpers before it decide what happens before the plan: which experiment a resumed run continues
(:func:`merge_resumed`), whether the network is valid (:func:`check_network`), the device
(:func:`pick_device`), which dataset to load (:func:`data_request`) and whether it is still the run's
(:func:`resumed_data`).
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import Any, Callable

import torch

from tui_dl.core.config.experiment import Experiment
from tui_dl.core.i18n import N_, _
from tui_dl.core.device import choose_threads, cpu_cores, load_average, resolve_device
from tui_dl.core.model.build import build_model
from tui_dl.core.model.shapes import Summary, summarize
from tui_dl.core.runs.checkpoint import experiment_from_checkpoint
from tui_dl.core.training.divergence import ACCEL_CHECK_EVERY
from tui_dl.core.training.errors import SetupError
from tui_dl.core.training.events import Notice, english
from tui_dl.core.training.losses import Objective, ObjectiveError, make_objective
from tui_dl.core.training.split import MAX_LANES, plan_lanes, splittable

__all__ = ["RunPlan", "plan_run", "merge_resumed", "check_network", "pick_device", "data_request",
           "resumed_data", "RESUME_MAY_CHANGE", "EVAL_BATCH_IMAGES", "EVAL_BATCH_FLAT"]

#: Evaluation (and full-batch GD's chunks) runs in batches this large: images, flat vectors.
EVAL_BATCH_IMAGES = 1024
EVAL_BATCH_FLAT = 8192

# train: fields a resumed run may change (the rest must match the checkpoint to continue the same run)
RESUME_MAY_CHANGE = ("epochs", "device", "threads", "log_every", "checkpoints")


@dataclasses.dataclass(frozen=True)
class RunPlan:
    device: torch.device
    step: str                       # "plain", "split" (lanes) or "full_batch" (gd)
    threads: int                    # CPU threads the run uses (all lanes together)
    torch_threads: int              # torch's intra-op threads (per lane when split)
    lanes: int                      # parts each batch is split into (1 = not split)
    split_reason: str               # why the batch is not split ("" when it could be)
    channels_last: bool
    n_train: int
    batch_size: int                 # the training batch (the whole set for gd)
    batch_sizes: tuple[int, ...]    # each step's batch in an epoch
    eval_batch_size: int
    objective: Objective            # the loss and how predictions are read
    monitor: str                    # what early stopping and best.pt watch
    monitor_mode: str               # "min" or "max"
    check_every: int                # steps between divergence checks (1 on the CPU)
    notices: tuple[Notice, ...] = ()

    @property
    def steps_per_epoch(self) -> int:
        return len(self.batch_sizes)

    @property
    def epoch_images(self) -> int:
        return sum(self.batch_sizes)


# ----------------------------------------------------------------------------- before the plan


def merge_resumed(exp: Experiment | None, ckpt: dict[str, Any], source: str) -> tuple[Experiment, list[Notice]]:
    """The experiment a resumed run continues: the checkpoint's own, with the fields a resume may change
    (:data:`RESUME_MAY_CHANGE`) taken from ``exp``; other changes are ignored with a warning, a different
    network is refused."""
    saved = experiment_from_checkpoint(ckpt, source)
    if exp is None:
        return saved, []
    if exp.network.to_dict() != saved.network.to_dict():
        own = Path(source).parent / "config.yaml"
        if exp.source and Path(exp.source).resolve() == own.resolve():  # the run folder's own config.yaml, edited
            raise SetupError(_("cannot resume {source}: the network in {own} was changed after the run started and "
                               "no longer matches the checkpoint's. To continue the run as it was, delete {own} "
                               "(--resume writes the checkpoint's own experiment back); to train the changed "
                               "network, start a new run: tui-dl --batch {own} --out NEW_FOLDER.").format(
                source=source, own=own))
        if exp.source:
            raise SetupError(_("cannot resume {source}: the network in {file} differs from the one in the "
                               "checkpoint. Resume without the file (tui-dl --batch --resume {folder}), or start a "
                               "new run from it.").format(source=source, file=exp.source,
                                                          folder=Path(source).parent))
        raise SetupError(_("cannot resume {source}: the network in the experiment file differs from the one in the "
                           "checkpoint. Resume without the file (tui-dl --batch --resume {folder}), or start a new "
                           "run from it.").format(source=source, folder=Path(source).parent))
    changes = {f: getattr(exp.train, f) for f in RESUME_MAY_CHANGE if getattr(exp.train, f) !=
               getattr(saved.train, f)}
    ignored = [k for k, v in exp.train.to_dict().items()
               if k not in RESUME_MAY_CHANGE and v != saved.train.to_dict().get(k)]
    if exp.data.to_dict() != saved.data.to_dict():
        ignored.append("data")
    notices = []
    if ignored:
        notices.append(Notice("warning", english(N_("resuming keeps the run's own settings: ignored changes to "
                                                    "{keys}"),
                                                 keys=", ".join("train." + k if k != "data" else k for k in ignored))))
    if changes:
        notices.append(Notice("info", english(N_("resumed with {settings}"),
                                              settings=", ".join(f"train.{k}={v}" for k, v in changes.items()))))
    return dataclasses.replace(saved, train=dataclasses.replace(saved.train, **changes), source=saved.source), notices


def check_network(exp: Experiment) -> Summary:
    """The network's shape summary; :class:`SetupError` with its first problem when it is not valid."""
    summary = summarize(exp.network)
    if not summary.ok:
        raise SetupError(_("the network is not valid: {problem}").format(problem=summary.problem_text))
    return summary


def pick_device(pref: str | None) -> torch.device:
    """``train.device`` resolved on this machine; :class:`SetupError` when the machine does not have it."""
    try:
        return resolve_device(pref)
    except ValueError as e:
        raise SetupError(str(e)) from None


def data_request(exp: Experiment, checkpoint: dict[str, Any] | None = None) -> dict[str, Any]:
    """The arguments of :func:`~tui_dl.core.data.load_dataset` for this run. A resumed run loads the dataset
    it really used (no fallback)."""
    d = exp.data
    name, fallback = d.name, d.fallback
    if checkpoint is not None and checkpoint.get("dataset", {}).get("name"):
        name, fallback = checkpoint["dataset"]["name"], None
    return {"name": name, "root": d.root, "download": d.download, "val_split": d.val_split, "fallback": fallback,
            "seed": exp.train.seed, "input_shape": exp.network.input_shape, "num_samples": d.num_samples,
            "path": d.path, "label": d.label, "subset": d.subset}


def resumed_data(data, checkpoint: dict[str, Any] | None):
    """``data`` as the resumed run sees it: a run that stood in for another dataset keeps saying so, and a
    training set of another size is refused (:class:`SetupError`)."""
    if checkpoint is None:
        return data
    saved = checkpoint.get("dataset", {})
    if saved.get("fallback_reason") and not data.fallback_reason:
        data = dataclasses.replace(data, fallback_used=True, fallback_reason=saved["fallback_reason"])
    want = saved.get("train_size")
    if want is not None and int(want) != len(data.train):
        raise SetupError(_("cannot resume: the dataset changed (the run trained on {want:,} samples, now there are "
                           "{have:,}).").format(want=want, have=len(data.train)))
    return data


# ----------------------------------------------------------------------------- the plan


def _has_conv(model: torch.nn.Module) -> bool:
    return any(isinstance(m, torch.nn.modules.conv._ConvNd) for m in model.modules())


def _network(exp: Experiment, summary: Summary) -> torch.nn.Module:
    """The network built only to look at its modules (the global RNG is left as it was)."""
    with torch.random.fork_rng(devices=[]):
        return build_model(exp.network, summary=summary)


def plan_run(exp: Experiment, data, *, device: torch.device | str = "auto", model: torch.nn.Module | None = None,
             summary: Summary | None = None, checkpoint: dict[str, Any] | None = None, ui_thread: bool = False,
             cpu_load: Callable[[], float | None] = load_average, ranks: tuple[int, int] = (1, 1)) -> RunPlan:
    """Plan a run of ``exp`` on ``data`` (a :class:`~tui_dl.core.data.LoadedData`).

    device      a torch.device, or ``train.device``'s text (resolved here)
    model       the network as built for training (built here when None, to see its layers)
    summary     the network's checked summary (checked here when None)
    checkpoint  the checkpoint a resumed run continues: it keeps its thread count and lanes
    ui_thread   inside the app: leave a core to the UI thread (unless the batch is split)
    cpu_load    the machine's load, for the busy-CPU warning
    ranks       (world size, ranks on this machine) of a distributed run (issue 18)

    Raises :class:`SetupError` when the network, the loss or the data do not fit.
    """
    cfg = exp.train
    summary = summary if summary is not None else check_network(exp)
    dev = device if isinstance(device, torch.device) else pick_device(device)
    model = model if model is not None else _network(exp, summary)
    try:
        objective = make_objective(exp, summary.totals.out_shape, data.num_classes, data.name)
    except ObjectiveError as e:
        raise SetupError(str(e)) from None
    notices = [Notice("warning", text) for text in objective.notices]
    n = len(data.train)
    if n == 0:
        raise SetupError(_("the training split of {dataset} is empty").format(dataset=data.name))
    from tui_dl.core.data.augment import augment_problem

    if problem := augment_problem(getattr(exp.data, "augment", None), data.input_shape):
        raise SetupError(problem)
    gd = cfg.optimizer.name == "gd"
    cpu = dev.type == "cpu"

    # CPU threads and batch-split lanes (see tui_dl.core.training.split); the same checkpoint resumes with the
    # same choice, so its float results continue exactly
    want = cfg.threads
    if not want and checkpoint is not None and checkpoint.get("threads"):
        want = int(checkpoint["threads"])  # same thread count as before: same float results
    can_split, split_reason = splittable(model)
    if not cpu or gd:
        can_split, split_reason = False, N_("not on the CPU") if not cpu else N_("gd takes whole-set steps")
    if getattr(exp.data, "augment", None):  # one seeded draw per batch, not one per lane thread
        can_split, split_reason = False, N_("data.augment draws each batch whole")
    # -- issue 18: data parallel takes one lane per rank (and shares the cores); autocast and compile run in
    # ShardedStep (core/training/sharded_step.py), which does not split batches
    if ranks[0] > 1 or (cfg.precision or "fp32") != "fp32" or cfg.compile:
        can_split, split_reason = False, (N_("one lane per rank under data parallel") if ranks[0] > 1
                                          else N_("train.precision/train.compile run the batch whole"))
        if cpu and not want and ranks[1] > 1:
            want = max(1, cpu_cores() // ranks[1])
    # -- end issue 18
    threads = choose_threads(want, ui_thread and not can_split, summary.totals.macs * cfg.batch_size if cpu else None)
    if checkpoint is not None:
        saved = checkpoint.get("lanes")
        lanes = saved if can_split and isinstance(saved, int) and 1 <= saved <= MAX_LANES else 1
    else:
        lanes = plan_lanes(threads, min(cfg.batch_size, n), cpu_cores(), cfg.split_batch) if can_split else 1
    if cfg.split_batch and lanes == 1 and cpu:
        # TRANSLATORS: {reason} is why, e.g. "BatchNorm mixes the samples of a batch"
        notices.append(Notice("info", english(N_("split_batch is on, but this run does not split its batches: "
                                                 "{reason}"),
                                              reason=english(split_reason or N_("it uses fewer than 2 CPU threads")))))
    load = cpu_load()
    # warn when fewer cores are free than we use threads (a 2-thread step can then stall 10x at barriers)
    if cpu and lanes == 1 and threads > 1 and load is not None and cpu_cores() - load < threads - 0.5:
        notices.append(Notice("warning", english(N_("the CPU is busy (load {load} on {cores} cores): training with "
                                                    "{threads} threads slows down badly when other programs compete "
                                                    "for the cores. If steps are slow, use --set train.threads=1."),
                                                 load=f"{load:.1f}", cores=cpu_cores(), threads=threads)))

    # batches: a final batch of 1 sample breaks BatchNorm, so that one sample is dropped per epoch
    bs = min(cfg.batch_size, n)
    n_used = n - 1 if not gd and bs > 1 and n % bs == 1 else n
    if gd:
        sizes = [n]
    else:
        nb = math.ceil(n_used / bs)
        if cfg.limit_batches:
            nb = min(nb, cfg.limit_batches)
        sizes = [min(bs, n_used - b * bs) for b in range(nb)]

    # early stopping / best checkpoint
    es = cfg.early_stopping
    has_val = data.val is not None and len(data.val) > 0
    monitor = es.monitor if es else ("val_loss" if has_val else "train_loss")
    if monitor.startswith("val_") and not has_val:
        notices.append(Notice("warning", english(N_("early stopping watches {monitor}, but there is no validation "
                                                    "split (data.val_split is 0): watching train_loss instead"),
                                                 monitor=monitor)))
        monitor = "train_loss"

    return RunPlan(
        device=dev, step="full_batch" if gd else ("split" if lanes > 1 else "plain"), threads=threads,
        torch_threads=max(1, threads // lanes) if lanes > 1 else threads, lanes=lanes, split_reason=split_reason,
        channels_last=bool(_has_conv(model) and ((cpu or (dev.type == "cuda" and cfg.precision != "fp32"))
                                                 if cfg.channels_last is None else cfg.channels_last)),
        n_train=n, batch_size=n if gd else bs, batch_sizes=tuple(sizes),
        eval_batch_size=EVAL_BATCH_IMAGES if len(data.input_shape) > 1 else EVAL_BATCH_FLAT,
        objective=objective, monitor=monitor, monitor_mode="max" if monitor.endswith("accuracy") else "min",
        check_every=1 if cpu else min(ACCEL_CHECK_EVERY, cfg.log_every), notices=tuple(notices))
