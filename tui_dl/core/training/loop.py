"""The training engine: ``iter_training(exp)`` yields events while it trains.

Both front ends consume the same generator: ``--batch`` prints the events, the app's worker thread posts
them to the UI. To stop, call ``should_stop.set()`` (the run then yields an ``interrupted``
``CheckpointSaved`` and ``Finished(status="stopped")``) or ``close()`` the generator (the checkpoint is
saved silently). Either way the run stops before its next optimizer step and can be resumed exactly.

Speed (see the README, "Training headless" for the measurements): the dataset stays in memory as uint8 and is
normalised per batch; batches are index slices of a seeded ``torch.randperm`` (no DataLoader); losses and
correct counts are kept on the device and read back only when a ``StepDone`` is due; conv nets use
channels-last on CPU; optimizers use their fused kernels; ReLU → MaxPool2d pairs run pool first (bit-identical);
denormal floats are flushed to zero in the training threads; evaluation runs under ``inference_mode`` in large
batches.
"""

from __future__ import annotations

import dataclasses
import math
import os
import platform
import random
import sys
import threading
import time
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import torch

from tui_dl import __version__
from tui_dl.core.config import schema as C
from tui_dl.core.model.build import SpecError, build_model, count_parameters, pool_before_relu
from tui_dl.core.runs.checkpoint import (CheckpointError, experiment_from_checkpoint, load_checkpoint, make_checkpoint,
                                    atomic_save, resolve_checkpoint_path, rng_state, set_rng_state)
from tui_dl.core.device import choose_threads, cpu_cores, describe_device, load_average, resolve_device, set_threads
from tui_dl.core.training.events import (CheckpointSaved, Diverged, EarlyStopped, EpochDone, Finished, Notice, RunStarted,
                                StepDone, TrainEvent)
from tui_dl.core.config.experiment import Experiment
from tui_dl.core.training.losses import Objective, ObjectiveError, make_objective
from tui_dl.core.training.optim import current_lr, is_plateau, make_optimizer, make_scheduler
from tui_dl.core.runs.folder import RunWriter, new_run_dir
from tui_dl.core.model.shapes import summarize
from tui_dl.core.model.spec import NetworkSpec
from tui_dl.core.training.split import MAX_LANES, BatchSplitter, plan_lanes, splittable

__all__ = ["iter_training", "TrainError", "SetupError", "evaluate", "seed_everything", "EXPLODE_FACTOR",
           "EXPLODE_FLOOR"]

#: Divergence rule: a step's loss that is NaN/inf, or above both EXPLODE_FACTOR × the run's first step loss and
#: EXPLODE_FLOOR, ends the run as "diverged". Healthy training never goes 1000× above its starting loss; the
#: absolute floor keeps tiny starting losses (e.g. 0.001) from making 1.0 look like an explosion.
EXPLODE_FACTOR = 1e3
EXPLODE_FLOOR = 1e4
#: On an accelerator the loss check is batched: the per-step losses stay on the device and are checked with
#: one sync every this many steps (or at each StepDone, if sooner). On the CPU every step is checked (a CPU
#: tensor read costs nothing).
ACCEL_CHECK_EVERY = 8
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
EVAL_BATCH_IMAGES = 1024
EVAL_BATCH_FLAT = 8192

# train: fields a resumed run may change (the rest must match the checkpoint to continue the same run)
RESUME_MAY_CHANGE = ("epochs", "device", "threads", "log_every", "checkpoints")


class TrainError(Exception):
    """Training could not go on (out of memory, disk full...); ``str(e)`` is written for the student."""

    exit_code = 1


class SetupError(TrainError):
    """The run cannot start: the network, loss, dataset, device or checkpoint do not fit (a config problem)."""

    exit_code = 2


def seed_everything(seed: int) -> None:
    """Seed torch (every device), numpy and Python's ``random``."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def _is_oom(e: BaseException) -> bool:
    if isinstance(e, getattr(torch, "OutOfMemoryError", ())):
        return True
    text = str(e).lower()
    return "out of memory" in text or "can't allocate memory" in text or "not enough memory" in text


def _oom_error(bs: int, dev: torch.device) -> TrainError:
    return TrainError(f"out of memory on {dev.type.upper() if dev.type != 'cpu' else 'the CPU'} with batch_size "
                      f"{bs}: use a smaller batch (e.g. --set train.batch_size={max(1, bs // 2)}) or a smaller network.")


# ----------------------------------------------------------------------------- batches


class _Batcher:
    """Turns slices of the in-memory dataset into network input on the training device."""

    def __init__(self, mean, std, channels_last: bool):
        self.mean, self.std = tuple(mean), tuple(std)
        self.channels_last = channels_last

    def __call__(self, xb: torch.Tensor) -> torch.Tensor:
        from tui_dl.core.data import normalize_batch

        out = normalize_batch(xb, self.mean, self.std)
        if self.channels_last and out.dim() == 4:
            out = out.contiguous(memory_format=torch.channels_last)
        return out


@torch.inference_mode()
def evaluate(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, objective: Objective, prep,
             batch_size: int, confusion: bool = False, should_stop: threading.Event | None = None
             ) -> tuple[float, float, list[list[int]] | None] | None:
    """Mean loss, accuracy (fraction) and optionally the confusion matrix (rows = true class, columns =
    predicted). Returns None when ``should_stop`` was set part-way."""
    was_training = model.training
    model.eval()
    dev = x.device
    k = objective.num_classes
    loss_sum = torch.zeros((), dtype=torch.float64, device=dev)
    correct = torch.zeros((), dtype=torch.int64, device=dev)
    conf = torch.zeros(k * k, dtype=torch.int64, device=dev) if confusion else None
    n = int(y.shape[0])
    try:
        for s in range(0, n, batch_size):
            if should_stop is not None and should_stop.is_set():
                return None
            xb = prep(x[s:s + batch_size])
            yb = y[s:s + batch_size]
            out = model(xb)
            loss_sum += objective.loss(out, yb).double() * yb.shape[0]
            pred = objective.predict(out)
            correct += (pred == yb).sum()
            if conf is not None:
                conf += torch.bincount(yb * k + pred, minlength=k * k)
    finally:
        model.train(was_training)
    if n == 0:
        return float("nan"), float("nan"), [[0] * k for _ in range(k)] if confusion else None
    cm = conf.view(k, k).tolist() if conf is not None else None
    return float(loss_sum) / n, int(correct) / n, cm


def _has_conv(model: torch.nn.Module) -> bool:
    return any(isinstance(m, torch.nn.modules.conv._ConvNd) for m in model.modules())


def _versions() -> dict[str, str]:
    try:
        import torchvision  # noqa: F401 - only its version string

        tv = torchvision.__version__
    except Exception:  # noqa: BLE001
        tv = ""
    return {"python": platform.python_version(), "torch": torch.__version__, "torchvision": tv,
            "tui_dl": __version__}


# ----------------------------------------------------------------------------- the engine


@dataclasses.dataclass
class _Best:
    monitor: str
    mode: str  # "min" or "max"
    value: float | None = None
    epoch: int | None = None
    bad_epochs: int = 0

    def improves(self, v: float | None, min_delta: float = 0.0) -> bool:
        if v is None or not math.isfinite(v):
            return False
        if self.value is None:
            return True
        return v < self.value - min_delta if self.mode == "min" else v > self.value + min_delta


def _monitor_value(monitor: str, rec: dict[str, Any]) -> float | None:
    return rec.get(monitor)


class _Trainer:
    def __init__(self, exp: Experiment | None, *, run_dir, runs_dir, resume, should_stop, data, ui_thread):
        self.should_stop = should_stop
        self.ui_thread = ui_thread
        self.notices: list[Notice] = []
        self.ckpt: dict[str, Any] | None = None
        self.resume_path: Path | None = None
        if resume is not None:
            self.resume_path = resolve_checkpoint_path(resume)
            self.ckpt = load_checkpoint(self.resume_path)
            exp = self._merge_resumed(exp, self.ckpt)
            run_dir = run_dir or self.resume_path.parent
        if exp is None:
            raise SetupError("iter_training needs an experiment (or resume=RUN_DIR)")
        self.exp = exp
        self.cfg: C.TrainConfig = exp.train
        self.run_dir_arg = run_dir
        self.runs_dir = runs_dir
        self.data = data
        self.splitter: BatchSplitter | None = None
        self.lanes = 1

    # -- resume ---------------------------------------------------------------------------------
    def _merge_resumed(self, exp: Experiment | None, ckpt: dict[str, Any]) -> Experiment:
        saved = experiment_from_checkpoint(ckpt, str(self.resume_path))
        if exp is None:
            return saved
        if exp.network.to_dict() != saved.network.to_dict():
            raise SetupError(f"cannot resume {self.resume_path}: the network in the experiment file differs from the "
                             f"one in the checkpoint. Resume without the file (tui-dl --batch --resume RUN_DIR), or "
                             f"start a new run.")
        changes = {f: getattr(exp.train, f) for f in RESUME_MAY_CHANGE if getattr(exp.train, f) !=
                   getattr(saved.train, f)}
        ignored = [k for k, v in exp.train.to_dict().items()
                   if k not in RESUME_MAY_CHANGE and v != saved.train.to_dict().get(k)]
        if exp.data.to_dict() != saved.data.to_dict():
            ignored.append("data")
        if ignored:
            self.notices.append(Notice("warning", f"resuming keeps the run's own settings: ignored changes to "
                                                  f"{', '.join('train.' + k if k != 'data' else k for k in ignored)}"))
        if changes:
            self.notices.append(Notice("info", "resumed with " + ", ".join(f"train.{k}={v}" for k, v in changes.items())))
        return dataclasses.replace(saved, train=dataclasses.replace(saved.train, **changes), source=saved.source)

    # -- setup ----------------------------------------------------------------------------------
    def _setup(self) -> None:
        exp, cfg = self.exp, self.cfg
        summary = summarize(exp.network)
        if not summary.ok:
            raise SetupError(f"the network is not valid: {summary.problem_text}")
        try:
            self.device = resolve_device(cfg.device)
        except ValueError as e:
            raise SetupError(str(e)) from None
        # data
        if self.data is None:  # DataError propagates: its message is written for the student
            from tui_dl.core.data import load_dataset

            d = exp.data
            name, fallback = d.name, d.fallback
            if self.ckpt is not None and self.ckpt.get("dataset", {}).get("name"):
                name, fallback = self.ckpt["dataset"]["name"], None  # the data the run really used
            self.data = load_dataset(name, root=d.root, download=d.download, val_split=d.val_split,
                                     fallback=fallback, seed=cfg.seed, input_shape=exp.network.input_shape,
                                     num_samples=d.num_samples)
        if self.ckpt is not None and self.ckpt.get("dataset", {}).get("fallback_reason") and \
                not self.data.fallback_reason:  # the run stood in for another dataset: keep saying so
            self.data = dataclasses.replace(self.data, fallback_used=True,
                                            fallback_reason=self.ckpt["dataset"]["fallback_reason"])
        data = self.data
        if self.ckpt is not None:
            want = self.ckpt.get("dataset", {}).get("train_size")
            if want is not None and int(want) != len(data.train):
                raise SetupError(f"cannot resume: the dataset changed (the run trained on {want:,} samples, "
                                 f"now there are {len(data.train):,}).")

        # model (seeded: the same seed gives the same initial weights)
        seed_everything(cfg.seed)
        try:
            model = build_model(exp.network, summary=summary)
        except SpecError as e:
            raise SetupError(f"the network is not valid: {e}") from None
        if POOL_BEFORE_RELU:
            pool_before_relu(model)
        try:
            self.objective = make_objective(exp, summary.totals.out_shape, data.num_classes, data.name)
        except ObjectiveError as e:
            raise SetupError(str(e)) from None
        for text in self.objective.notices:
            self.notices.append(Notice("warning", text))
        self.params = count_parameters(model)[0]
        conv = _has_conv(model)
        cl = cfg.channels_last
        self.channels_last = bool(conv and (self.device.type == "cpu" if cl is None else cl))
        try:
            model = model.to(self.device)
            if self.channels_last:
                model = model.to(memory_format=torch.channels_last)
        except RuntimeError as e:
            if _is_oom(e):
                raise _oom_error(cfg.batch_size, self.device) from None
            raise
        self.model = model
        self.optimizer, self.opt_impl = make_optimizer(model, cfg, self.device)
        self.scheduler = make_scheduler(self.optimizer, cfg)
        self.prep = _Batcher(data.mean, data.std, self.channels_last)
        self.eval_bs = EVAL_BATCH_IMAGES if len(data.input_shape) > 1 else EVAL_BATCH_FLAT

        # tensors on the device, once (uint8 images stay uint8: 4× less memory and transfer)
        dev = self.device
        try:
            self.train_x, self.train_y = data.train.x.to(dev), data.train.y.to(dev)
            self.val = (data.val.x.to(dev), data.val.y.to(dev)) if data.val is not None and len(data.val) else None
            self.test = (data.test.x.to(dev), data.test.y.to(dev)) if len(data.test) else None
        except RuntimeError as e:
            if _is_oom(e):
                raise TrainError(f"the dataset does not fit in {dev.type} memory; use --device cpu") from None
            raise
        n = len(data.train)
        if n == 0:
            raise SetupError(f"the training split of {data.name} is empty")
        self.n_train = n
        self.gd = cfg.optimizer.name == "gd"
        self._choose_threads(model, summary.totals.macs * cfg.batch_size)
        bs = min(cfg.batch_size, n)
        if not self.gd and bs > 1 and n % bs == 1:
            n_used = n - 1  # a final batch of 1 sample breaks BatchNorm; drop that one sample per epoch
        else:
            n_used = n
        self.bs = n if self.gd else bs
        self.n_used = n_used
        nb = 1 if self.gd else math.ceil(n_used / bs)
        if cfg.limit_batches and not self.gd:
            nb = min(nb, cfg.limit_batches)
        self.nb = nb
        sizes = [min(self.bs, n_used - b * self.bs) for b in range(nb)] if not self.gd else [n]
        self.batch_sizes = sizes
        self.epoch_images = sum(sizes)
        self.sizes_t = torch.tensor(sizes, dtype=torch.float32, device=dev)

        # early stopping / best checkpoint
        es = cfg.early_stopping
        monitor = es.monitor if es else ("val_loss" if self.val is not None else "train_loss")
        if monitor.startswith("val_") and self.val is None:
            self.notices.append(Notice("warning", f"early stopping watches {monitor}, but there is no validation split "
                                                  f"(data.val_split is 0): watching train_loss instead"))
            monitor = "train_loss"
        self.best = _Best(monitor, "max" if monitor.endswith("accuracy") else "min")
        self.best_state: dict[str, torch.Tensor] | None = None
        self.shuffle = torch.Generator().manual_seed(cfg.seed)

        # state that a checkpoint carries
        self.epoch = 1          # the epoch being trained (1-based)
        self.batch = 0          # next batch within it
        self.step = 0           # global optimizer steps done
        self.ref_loss: float | None = None
        self.history: list[dict[str, Any]] = []
        self.status = "running"
        self.elapsed_prev = 0.0     # seconds of earlier sessions (resume)
        self.train_images_prev = 0
        self.train_seconds_prev = 0.0
        self.epoch_state: dict[str, Any] | None = None
        if self.ckpt is not None:
            self._restore(self.ckpt)
        if self.lanes > 1:
            x, y, prep = self.train_x, self.train_y, self.prep
            self.splitter = BatchSplitter(self.model, self.lanes, lambda idx: (prep(x.index_select(0, idx)),
                                                                               y.index_select(0, idx)),
                                          self.objective.loss, self.objective.correct,
                                          flush_denormal=FLUSH_DENORMAL)

    def _choose_threads(self, model: torch.nn.Module, macs_per_step: int) -> None:
        """CPU threads and batch-split lanes (see :mod:`tui_dl.core.training.split`); the same checkpoint resumes with the
        same choice, so its float results continue exactly."""
        cfg = self.cfg
        want = cfg.threads
        ck = self.ckpt
        if not want and ck is not None and ck.get("threads"):
            want = int(ck["threads"])  # same thread count as before: same float results
        cpu = self.device.type == "cpu"
        can_split, self.split_reason = splittable(model)
        if not cpu or self.gd:
            can_split, self.split_reason = False, "not on the CPU" if not cpu else "gd takes whole-set steps"
        total = choose_threads(want, self.ui_thread and not can_split, macs_per_step if cpu else None)
        if ck is not None:
            saved = ck.get("lanes")
            lanes = saved if can_split and isinstance(saved, int) and 1 <= saved <= MAX_LANES else 1
        else:
            lanes = plan_lanes(total, min(cfg.batch_size, self.n_train), cpu_cores(), cfg.split_batch) \
                if can_split else 1
        if lanes > 1:
            set_threads(max(1, total // lanes))
            self.threads = total
        else:
            self.threads = set_threads(total)
        self.lanes = lanes
        if cfg.split_batch and lanes == 1 and cpu:
            self.notices.append(Notice("info", f"split_batch is on, but this run does not split its batches: "
                                               f"{self.split_reason or 'it uses fewer than 2 CPU threads'}"))
        load = load_average()
        # warn when fewer cores are free than we use threads (a 2-thread step can then stall 10x at barriers)
        if cpu and lanes == 1 and self.threads > 1 and load is not None and cpu_cores() - load < self.threads - 0.5:
            self.notices.append(Notice("warning", f"the CPU is busy (load {load:.1f} on {cpu_cores()} cores): training "
                                                  f"with {self.threads} threads slows down badly when other programs "
                                                  f"compete for the cores. If steps are slow, use "
                                                  f"--set train.threads=1."))

    def _restore(self, ck: dict[str, Any]) -> None:
        try:
            self.model.load_state_dict(ck["model"])
        except RuntimeError as e:
            raise CheckpointError(f"{self.resume_path}: the weights do not fit the network: "
                                  f"{str(e).splitlines()[0]}") from None
        try:
            self._restore_state(ck)
        except (KeyError, TypeError, ValueError, IndexError, AttributeError, RuntimeError) as e:
            # load_checkpoint checked the entries exist; one of them holds something else (a damaged or
            # hand-edited file): say so instead of a traceback from deep inside torch
            raise CheckpointError(f"{self.resume_path} is damaged: its training state cannot be restored "
                                  f"({type(e).__name__}: {str(e).splitlines()[0] if str(e) else 'bad value'}). "
                                  f"Start a new run, or resume from another checkpoint of the run "
                                  f"(best.pt).") from None

    def _restore_state(self, ck: dict[str, Any]) -> None:
        dev = self.device
        if self.channels_last:
            self.model.to(memory_format=torch.channels_last)
        if ck.get("optimizer") is not None:
            self.optimizer.load_state_dict(ck["optimizer"])
        if self.scheduler is not None and ck.get("scheduler") is not None:
            self.scheduler.load_state_dict(ck["scheduler"])
        pos = ck["position"]
        self.epoch, self.batch, self.step = int(pos["epoch"]), int(pos["batch"]), int(ck["step"])
        self.shuffle.set_state(ck["shuffle_state"].cpu())
        self.ref_loss = ck.get("ref_loss")
        self.history = list(ck.get("history") or [])
        b = ck.get("best") or {}
        if b.get("monitor") == self.best.monitor:
            self.best.value, self.best.epoch, self.best.bad_epochs = b.get("value"), b.get("epoch"), int(
                b.get("bad_epochs", 0))
        if ck.get("best_model") is not None:
            self.best_state = {k: v.to(dev) for k, v in ck["best_model"].items()}
        self.elapsed_prev = float(ck.get("elapsed", 0.0))
        self.train_images_prev = int(ck.get("train_images", 0))
        self.train_seconds_prev = float(ck.get("train_seconds", 0.0))
        st = ck.get("epoch_state")
        if st is not None and self.batch > 0:
            if int(st["nb"]) != self.nb:
                raise SetupError(f"cannot resume mid-epoch: the run had {st['nb']} steps per epoch, this one "
                                 f"{self.nb} (did batch_size or limit_batches change?)")
            self.epoch_state = {"losses": st["losses"].to(dev), "correct": st["correct"].to(dev),
                                "last_log": int(st["last_log"]), "seconds": float(st["seconds"]),
                                "shuffle_state": ck["shuffle_state"]}
        self.resumed_status = ck.get("status", "running")
        set_rng_state(ck["rng"])

    # -- checkpoints ----------------------------------------------------------------------------
    def _checkpoint(self, status: str, epoch_state: dict[str, Any] | None, shuffle_state: torch.Tensor,
                    with_best: bool = True) -> dict[str, Any]:
        es = self.cfg.early_stopping
        keep_best = with_best and es is not None and es.restore_best and self.best_state is not None
        d = self.data
        return make_checkpoint(
            model={k: v.detach().cpu() for k, v in self.model.state_dict().items()},
            optimizer=self.optimizer.state_dict(),
            scheduler=self.scheduler.state_dict() if self.scheduler is not None else None,
            rng=rng_state(),
            shuffle_state=shuffle_state,
            position={"epoch": self.epoch, "batch": self.batch},
            epoch_state=None if epoch_state is None else {
                "losses": epoch_state["losses"].cpu(), "correct": epoch_state["correct"].cpu(),
                "last_log": epoch_state["last_log"], "seconds": epoch_state["seconds"], "nb": self.nb},
            epoch=self.epoch - 1 if self.batch == 0 else self.epoch,
            epochs_completed=len(self.history),
            step=self.step,
            status=status,
            ref_loss=self.ref_loss,
            history=self.history,
            best={"monitor": self.best.monitor, "value": self.best.value, "epoch": self.best.epoch,
                  "bad_epochs": self.best.bad_epochs},
            early_stopping=None if es is None else {"best": self.best.value, "best_epoch": self.best.epoch,
                                                    "bad_epochs": self.best.bad_epochs, "patience": es.patience,
                                                    "monitor": self.best.monitor},
            best_model=({k: v.detach().cpu() for k, v in self.best_state.items()} if keep_best else None),
            elapsed=self.elapsed_prev + (time.perf_counter() - self.t0),
            train_images=self.train_images_prev + self.images_done,
            train_seconds=self.train_seconds_prev + self.train_seconds,
            threads=self.threads,
            lanes=self.lanes,
            spec=self.exp.network.to_dict(),
            experiment=self.exp.to_dict(),
            dataset={"name": d.name, "train_size": len(d.train), "val_size": len(d.val) if d.val is not None else 0,
                     "test_size": len(d.test), "classes": list(d.classes), "fallback_reason": d.fallback_reason},
        )

    def _save(self, name: str, ckpt: dict[str, Any]) -> Path:
        path = self.run_dir / name
        try:
            return atomic_save(ckpt, path)
        except OSError as e:
            raise TrainError(f"could not write {path}: {e.strerror or e}. The previous checkpoint is kept. Free some "
                             f"disk space, then continue with: tui-dl --batch --resume {self.run_dir}") from None

    # -- the run --------------------------------------------------------------------------------
    def run(self) -> Iterator[TrainEvent]:
        old_switch = sys.getswitchinterval()
        if self.ui_thread and old_switch > UI_SWITCH_INTERVAL:
            sys.setswitchinterval(UI_SWITCH_INTERVAL)
        ftz = FLUSH_DENORMAL and torch.set_flush_denormal(True)  # this thread only; False where unsupported
        try:
            yield from self._run_outer()
        finally:
            if ftz:
                torch.set_flush_denormal(False)
            if self.splitter is not None:
                self.splitter.close()
            if sys.getswitchinterval() != old_switch:
                sys.setswitchinterval(old_switch)

    def _run_outer(self) -> Iterator[TrainEvent]:
        self.t0 = time.perf_counter()
        self.images_done = 0
        self.train_seconds = 0.0
        self._setup()
        self._session_step0 = self.step
        cfg = self.cfg
        resumed = self.ckpt is not None
        try:
            if resumed:
                self.run_dir = Path(self.run_dir_arg)
                self.writer = RunWriter(self.run_dir, resume_step=self.step)
                if not (self.run_dir / "config.yaml").exists():
                    self.writer.write_config(self.exp.to_yaml())
            else:
                self.run_dir = Path(self.run_dir_arg) if self.run_dir_arg else new_run_dir(self.runs_dir, self.exp.name)
                self.writer = RunWriter(self.run_dir)
                self.writer.write_config(self.exp.to_yaml())
        except OSError as e:
            raise SetupError(f"cannot write the run folder: {e}") from None
        self.finished_status: str | None = None
        self.pending: dict[str, Any] | None = None   # the in-progress epoch (for an interruption checkpoint)
        try:
            yield from self._run(resumed)
        except GeneratorExit:
            # the consumer left the loop (generator.close()): save where we are, silently
            if self.finished_status in (None, "stopped"):
                try:
                    for _ in self._interrupted(yield_events=False):
                        pass
                except TrainError:
                    pass
            raise
        except RuntimeError as e:
            if _is_oom(e):
                raise _oom_error(self.bs, self.device) from None
            raise
        finally:
            self.writer.close()

    def _run(self, resumed: bool):
        cfg, d = self.cfg, self.data
        yield self._emit(RunStarted(
            name=self.exp.name, run_dir=str(self.run_dir), device=str(self.device),
            device_name=describe_device(self.device, self.threads), dataset=d.name, train_size=len(d.train),
            val_size=len(d.val) if d.val is not None else 0, test_size=len(d.test), epochs=cfg.epochs,
            steps_per_epoch=self.nb, params=self.params, start_epoch=self.epoch,
            resumed_from=str(self.resume_path) if resumed else "", fallback_reason=d.fallback_reason,
            threads=self.threads))
        for n in self.notices:
            yield self._emit(n)
        yield self._emit(Notice("info", f"optimizer {cfg.optimizer.name} ({self.opt_impl})"
                                        + (", channels-last" if self.channels_last else "")
                                        + (f", each batch split across {self.lanes} CPU threads" if self.lanes > 1 else
                                           f", {self.threads} CPU thread" + ("s" if self.threads != 1 else ""))))
        if not resumed and cfg.checkpoints:
            # the initial weights: a good checkpoint exists even if the first epoch diverges
            self._save("last.pt", self._checkpoint("running", None, self.shuffle.get_state()))
        if resumed and (self.resumed_status == "early_stopped"
                        or (self.resumed_status == "completed" and self.epoch > cfg.epochs)):
            yield self._emit(Notice("info", f"this run had already finished ({self.resumed_status}): "
                                            f"evaluating it again"))
            self.finished_status = self.resumed_status
        while self.finished_status is None and self.epoch <= cfg.epochs:
            yield from self._train_epoch()
        if self.finished_status is None:
            self.finished_status = "completed"
        if self.finished_status == "stopped":
            yield from self._interrupted(yield_events=True)
        yield from self._finish()

    def _emit(self, event):
        try:
            self.writer.log(event)
        except OSError as e:
            raise TrainError(f"could not write to {self.writer.jsonl_path}: {e.strerror or e}. Free some disk space, "
                             f"then continue with: tui-dl --batch --resume {self.run_dir}") from None
        return event

    def _interrupted(self, yield_events: bool):
        """Save where we are (mid-epoch state included) as last.pt."""
        if not self.cfg.checkpoints:
            return
        st = self.pending
        if st is not None:  # inside an epoch: its batch order comes from the generator state before the draw
            ck = self._checkpoint("interrupted", st if self.batch > 0 else None, st["shuffle_state"])
        else:
            ck = self._checkpoint("interrupted", None, self.shuffle.get_state())
        path = self._save("last.pt", ck)
        ev = CheckpointSaved(str(path), self.epoch, self.step, "interrupted")
        if yield_events:
            yield self._emit(ev)
        else:
            try:
                self.writer.log(ev)
            except OSError:
                pass

    # -- one epoch --------------------------------------------------------------------------------
    def _train_epoch(self):
        cfg, dev, model, opt, obj = self.cfg, self.device, self.model, self.optimizer, self.objective
        nb, bs, e = self.nb, self.bs, self.epoch
        if self.epoch_state is not None:  # resuming mid-epoch
            st = self.epoch_state
            self.epoch_state = None
            shuffle_state = st["shuffle_state"]
            self.shuffle.set_state(shuffle_state.cpu())
        else:
            shuffle_state = self.shuffle.get_state()
            st = {"losses": torch.zeros(nb, dtype=torch.float32, device=dev),
                  "correct": torch.zeros(nb, dtype=torch.int64, device=dev), "last_log": 0, "seconds": 0.0}
        st["shuffle_state"] = shuffle_state
        perm = None if self.gd else torch.randperm(self.n_train, generator=self.shuffle)
        if perm is not None and dev.type != "cpu":
            perm = perm.pin_memory().to(dev, non_blocking=True) if dev.type == "cuda" else perm.to(dev)
        self.pending = st
        losses, correct = st["losses"], st["correct"]
        x, y = self.train_x, self.train_y
        prep, lossf = self.prep, obj.loss
        params = [p for p in model.parameters() if p.requires_grad]
        clip = cfg.grad_clip
        log_every = cfg.log_every
        check_every = 1 if dev.type == "cpu" else min(ACCEL_CHECK_EVERY, log_every)
        stop = self.should_stop
        splitter = self.splitter
        model.train()
        t_epoch = time.perf_counter()
        t_log = t_epoch
        imgs_since_log = 0
        last_check = self.batch
        thr = None if self.ref_loss is None else max(EXPLODE_FACTOR * self.ref_loss, EXPLODE_FLOOR)
        starts = [b * bs for b in range(nb + 1)]
        sizes = self.batch_sizes
        b = self.batch
        while b < nb:
            if stop is not None and stop.is_set():
                self.finished_status = "stopped"
                st["seconds"] += time.perf_counter() - t_epoch
                self.train_seconds += time.perf_counter() - t_epoch
                return
            if self.gd:
                loss_det, n_correct = self._gd_step(params)
            elif splitter is not None:
                loss_det, n_correct = splitter.step(perm[starts[b]:starts[b] + sizes[b]])
                if clip:
                    torch.nn.utils.clip_grad_norm_(params, clip)
                opt.step()
            else:
                idx = perm[starts[b]:starts[b] + sizes[b]]
                xb = prep(x.index_select(0, idx))
                yb = y.index_select(0, idx)
                out = model(xb)
                loss = lossf(out, yb)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                if clip:
                    torch.nn.utils.clip_grad_norm_(params, clip)
                opt.step()
                loss_det = loss.detach()
                n_correct = obj.correct(out.detach(), yb)
            losses[b] = loss_det
            correct[b] = n_correct
            b += 1
            self.batch = b
            self.step += 1
            imgs_since_log += sizes[b - 1]
            self.images_done += sizes[b - 1]
            # divergence: first loss of the run sets the scale; later ones are checked against it
            if thr is None:
                first = float(loss_det)
                self.ref_loss = first
                thr = max(EXPLODE_FACTOR * abs(first), EXPLODE_FLOOR) if math.isfinite(first) else -math.inf
            if b - last_check >= check_every or b == nb:
                window = losses[last_check:b]
                if check_every == 1:
                    v = float(window[0])
                    bad_at = None if v <= thr else last_check
                else:
                    bad = ~(window <= thr)
                    bad_at = last_check + int(bad.nonzero()[0, 0]) if bool(bad.any()) else None
                last_check = b
                if bad_at is not None:
                    yield from self._diverged(float(losses[bad_at]), bad_at, e)
                    return
            if self.step % log_every == 0 or b == nb:
                lo = st["last_log"]
                mean_loss = float(losses[lo:b].mean())
                st["last_log"] = b
                now = time.perf_counter()
                ips = imgs_since_log / max(now - t_log, 1e-9)
                t_log, imgs_since_log = now, 0
                done_s = self.train_seconds + (now - t_epoch)
                done_steps = max(1, self.step - self._session_step0)
                left = (cfg.epochs - e) * nb + (nb - b)
                yield self._emit(StepDone(epoch=e, step=self.step, batch=b, batches=nb, loss=mean_loss,
                                          lr=current_lr(opt), images_per_second=ips,
                                          elapsed=self.elapsed_prev + now - self.t0,
                                          eta=done_s / done_steps * left))
        t_train = time.perf_counter() - t_epoch
        st["seconds"] += t_train
        self.train_seconds += t_train
        yield from self._end_epoch(st)

    def _gd_step(self, params):
        """Full-batch gradient descent: the mean-loss gradient over the whole training set, summed over
        memory-sized chunks (each chunk's mean loss weighted by its share), then one optimizer step."""
        x, y, model, obj = self.train_x, self.train_y, self.model, self.objective
        n = self.n_train
        chunk = self.eval_bs
        self.optimizer.zero_grad(set_to_none=True)
        total = torch.zeros((), dtype=torch.float32, device=self.device)
        correct = torch.zeros((), dtype=torch.int64, device=self.device)
        for s in range(0, n, chunk):
            xb = self.prep(x[s:s + chunk])
            yb = y[s:s + chunk]
            out = model(xb)
            loss = obj.loss(out, yb) * (yb.shape[0] / n)
            loss.backward()
            total += loss.detach()
            correct += obj.correct(out.detach(), yb)
        if self.cfg.grad_clip:
            torch.nn.utils.clip_grad_norm_(params, self.cfg.grad_clip)
        self.optimizer.step()
        return total, correct

    def _diverged(self, loss: float, bad_batch: int, epoch: int):
        self.finished_status = "diverged"
        reason = "nan" if math.isnan(loss) else ("inf" if math.isinf(loss) else "exploded")
        lr = current_lr(self.optimizer)
        what = {"nan": "the loss became NaN (not a number)", "inf": "the loss became infinite",
                "exploded": f"the loss exploded to {loss:.3g} (it started at {self.ref_loss:.3g})"}[reason]
        at = self.step - (self.batch - bad_batch) + 1
        advice = (f"learning rate too high: try lr={lr / 10:g}"
                  + ("" if self.cfg.grad_clip else " (or set train.grad_clip, e.g. 1.0)")
                  + f". {what[0].upper() + what[1:]} at step {at}; the last good checkpoint is kept.")
        yield self._emit(Diverged(epoch=epoch, step=at, loss=loss,
                                  first_loss=float(self.ref_loss if self.ref_loss is not None else loss),
                                  reason=reason, advice=advice))

    def _end_epoch(self, st):
        cfg, e, nb = self.cfg, self.epoch, self.nb
        t_eval = time.perf_counter()
        n_img = self.epoch_images
        train_loss = float((st["losses"] * self.sizes_t).sum() / n_img) if not self.gd else float(st["losses"][0])
        train_acc = int(st["correct"].sum()) / n_img
        val_loss = val_acc = None
        if self.val is not None:
            r = evaluate(self.model, self.val[0], self.val[1], self.objective, self.prep, self.eval_bs,
                         should_stop=self.should_stop)
            if r is None:  # stopped during validation: resume redoes the end of this epoch
                self.finished_status = "stopped"
                return
            val_loss, val_acc = r[0], r[1]
        rec = {"epoch": e, "step": self.step, "train_loss": train_loss, "train_accuracy": train_acc,
               "val_loss": val_loss, "val_accuracy": val_acc, "lr": current_lr(self.optimizer)}
        if not math.isfinite(train_loss):
            yield from self._diverged(train_loss, nb - 1, e)
            return
        es = cfg.early_stopping
        v = _monitor_value(self.best.monitor, rec)
        is_best = self.best.improves(v, es.min_delta if es else 0.0)
        if is_best:
            self.best.value, self.best.epoch, self.best.bad_epochs = v, e, 0
            if es is not None and es.restore_best:
                self.best_state = {k: t.detach().clone() for k, t in self.model.state_dict().items()}
        else:
            self.best.bad_epochs += 1
        if self.scheduler is not None:
            if is_plateau(self.scheduler):
                self.scheduler.step(val_loss if val_loss is not None else train_loss)
            else:
                self.scheduler.step()
        seconds = st["seconds"] + (time.perf_counter() - t_eval)
        rec.update(seconds=seconds, images_per_second=n_img / max(st["seconds"], 1e-9))
        self.history.append({k: rec[k] for k in ("epoch", "step", "train_loss", "train_accuracy", "val_loss",
                                                 "val_accuracy", "lr")})
        stop_early = es is not None and self.best.bad_epochs >= es.patience
        if stop_early:
            self.finished_status = "early_stopped"
        # the epoch is done: move the position before anything can interrupt us
        self.epoch, self.batch = e + 1, 0
        self.pending = None
        status = "early_stopped" if stop_early else ("completed" if e >= cfg.epochs else "running")
        saved = []
        if cfg.checkpoints:
            ck = self._checkpoint(status, None, self.shuffle.get_state())
            saved.append(("last", self._save("last.pt", ck)))
            if is_best:
                saved.append(("best", self._save("best.pt", ck)))
        yield self._emit(EpochDone(epoch=e, epochs=cfg.epochs, step=self.step, train_loss=train_loss,
                                   train_accuracy=train_acc, val_loss=val_loss, val_accuracy=val_acc, lr=rec["lr"],
                                   seconds=seconds, images_per_second=rec["images_per_second"], is_best=is_best))
        for reason, path in saved:
            yield self._emit(CheckpointSaved(str(path), e, self.step, reason))
        if stop_early:
            yield self._emit(EarlyStopped(epoch=e, best_epoch=int(self.best.epoch or e), monitor=self.best.monitor,
                                          best_value=float(self.best.value if self.best.value is not None else
                                                           float("nan")), patience=es.patience))

    # -- the end ----------------------------------------------------------------------------------
    def _finish(self):
        status = self.finished_status
        es = self.cfg.early_stopping
        test_loss = test_acc = None
        per_class: list[float] = []
        confusion: list[list[int]] = []
        if status in ("completed", "early_stopped"):
            if es is not None and es.restore_best and self.best_state is not None:
                self.model.load_state_dict(self.best_state)
                yield self._emit(Notice("info", f"restored the weights of the best epoch ({self.best.epoch}, "
                                                f"{self.best.monitor}={self.best.value:.4g}) before testing"))
            if self.test is not None:
                r = evaluate(self.model, self.test[0], self.test[1], self.objective, self.prep, self.eval_bs,
                             confusion=True, should_stop=self.should_stop)
                if r is None:  # stopped during the test: the run itself is saved and complete
                    status = self.finished_status = "stopped"
                else:
                    test_loss, test_acc, confusion = r[0], r[1], r[2]
                    per_class = [row[i] / sum(row) if sum(row) else float("nan") for i, row in enumerate(confusion)]
        seconds = self.elapsed_prev + (time.perf_counter() - self.t0)
        tr_s = self.train_seconds_prev + self.train_seconds
        ips = (self.train_images_prev + self.images_done) / tr_s if tr_s > 0 else 0.0
        best = self.best
        best_rec = next((h for h in self.history if h["epoch"] == best.epoch), None)
        fin = Finished(status=status, run_dir=str(self.run_dir), epochs_run=len(self.history), steps=self.step,
                       seconds=seconds, train_images_per_second=ips, best_epoch=best.epoch,
                       best_val_loss=best_rec["val_loss"] if best_rec else None,
                       best_val_accuracy=best_rec["val_accuracy"] if best_rec else None,
                       test_loss=test_loss, test_accuracy=test_acc, per_class_accuracy=per_class,
                       confusion=confusion or [], classes=list(self.data.classes))
        last = self.history[-1] if self.history else {}
        d = self.data
        summary = {
            "status": status, "name": self.exp.name, "run_dir": str(self.run_dir),
            "final": {k: last.get(k) for k in ("epoch", "train_loss", "train_accuracy", "val_loss", "val_accuracy",
                                                "lr")},
            "best": {"epoch": best.epoch, "monitor": best.monitor, "value": best.value,
                     **({k: best_rec.get(k) for k in ("train_loss", "train_accuracy", "val_loss", "val_accuracy")}
                        if best_rec else {})},
            "test_loss": test_loss, "test_accuracy": test_acc, "per_class_accuracy": per_class,
            "confusion": confusion, "classes": list(d.classes), "epochs_run": len(self.history),
            "steps": self.step, "seconds": seconds, "train_seconds": tr_s, "train_images_per_second": ips,
            "device": str(self.device), "device_name": describe_device(self.device, self.threads), "threads": self.threads,
            "split_batch_lanes": self.lanes, "optimizer_impl": self.opt_impl, "channels_last": self.channels_last,
            "dataset": d.name, "dataset_source": d.source, "fallback_reason": d.fallback_reason,
            "train_size": len(d.train), "val_size": len(d.val) if d.val is not None else 0,
            "test_size": len(d.test), "params": self.params, "history": self.history, "versions": _versions(),
        }
        try:
            self.writer.write_summary(summary)
        except OSError as e:
            raise TrainError(f"could not write {self.run_dir / 'summary.json'}: {e.strerror or e}") from None
        yield self._emit(fin)


def iter_training(exp: Experiment | None, *, run_dir: str | os.PathLike | None = None,
                  runs_dir: str | os.PathLike = "runs", resume: str | os.PathLike | None = None,
                  should_stop: threading.Event | None = None, data=None, ui_thread: bool = False
                  ) -> Iterator[TrainEvent]:
    """Train ``exp`` and yield its events (see :mod:`tui_dl.core.training.events`).

    run_dir      write the run here (default: a new ``runs_dir/<name>-<timestamp>/``)
    resume       a run folder or checkpoint file to continue (its own folder is reused); ``exp`` may be None
    should_stop  set it from any thread to stop before the next step: an "interrupted" checkpoint is written,
                 then ``Finished(status="stopped")``
    data         an already loaded :class:`~tui_dl.core.data.LoadedData` (else ``exp.data`` is loaded)
    ui_thread    True inside the app: leave a core free for the UI thread when choosing torch threads

    Raises :class:`SetupError` (bad network/loss/device/checkpoint), ``DataError`` (dataset), or
    :class:`TrainError` (out of memory, disk full) on the first ``next()`` or later.
    """
    trainer = _Trainer(exp, run_dir=run_dir, runs_dir=runs_dir, resume=resume, should_stop=should_stop, data=data,
                       ui_thread=ui_thread)
    yield from trainer.run()
