"""The training engine: ``iter_training(exp)`` yields events while it trains.

Both front ends consume the same generator: ``--batch`` prints the events, the app's worker thread posts
them to the UI. To stop, call ``should_stop.set()`` (the run then yields an ``interrupted``
``CheckpointSaved`` and ``Finished(status="stopped")``) or ``close()`` the generator (the checkpoint is
saved silently). Either way the run stops before its next optimizer step and can be resumed exactly.

The parts: :mod:`~tui_dl.core.training.plan` decides everything before the first step (a frozen ``RunPlan``),
:func:`~tui_dl.core.training.engine.prepare` builds what the run trains with (the ``Engine``), :mod:`~tui_dl.core.training.steps` holds the step strategies,
:mod:`~tui_dl.core.training.state` the checkpointable ``TrainState``, :mod:`~tui_dl.core.training.divergence`
the divergence rule and :mod:`~tui_dl.core.training.summary` the ``summary.json`` record. This module runs
the epochs.

Speed (see the README, "Training headless" for the measurements): the dataset stays in memory as uint8 and is
normalised per batch; batches are index slices of a seeded ``torch.randperm`` (no DataLoader); losses and
correct counts are kept on the device and read back only when a ``StepDone`` is due; conv nets use
channels-last on CPU; optimizers use their fused kernels; ReLU → MaxPool2d pairs run pool first (bit-identical);
denormal floats are flushed to zero in the training threads; evaluation runs under ``inference_mode`` in large
batches.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from pathlib import Path
from typing import Any, Iterator

import torch

from tui_dl.core.config.experiment import Experiment
from tui_dl.core.data import load_dataset
from tui_dl.core.device import describe_device
from tui_dl.core.runs.checkpoint import atomic_save, load_checkpoint, resolve_checkpoint_path
from tui_dl.core.runs.folder import RunWriter, new_run_dir
from tui_dl.core.runs.lock import RunFolderBusy
from tui_dl.core.runs.provenance import finish as finish_provenance, provenance
from tui_dl.core.training.adversarial import describe as describe_adversarial
from tui_dl.core.training.best_epoch import best_fields, monitor_source
from tui_dl.core.training.divergence import EXPLODE_FACTOR, EXPLODE_FLOOR, DivergenceGuard
from tui_dl.core.training.errors import SetupError, TrainError, WriteError, is_oom, oom_error, write_error
from tui_dl.core.training.grad_stats import read_logged
from tui_dl.core.i18n import N_, _
from tui_dl.core.training.events import (CheckpointSaved, EarlyStopped, EpochDone, Finished, Notice, RunStarted,
                                         StepDone, TrainEvent, english)
from tui_dl.core.training.memory import check_fits
from tui_dl.core.training.optim import current_lr, is_plateau, replan_scheduler
from tui_dl.core.training.plan import check_network, data_request, merge_resumed, pick_device, resumed_data
from tui_dl.core.training.state import Best, EpochProgress, Parts, TrainState, history_events
from tui_dl.core.training.steps import evaluate
from tui_dl.core.training.summary import inference_facts, run_summary, versions
from tui_dl.core.training.engine import Engine, prepare, seed_everything, training_thread
# issue 18: data parallel, precision, CUDA switches
from tui_dl.core.training import distributed as ddp
from tui_dl.core.training.cuda_setup import configure as configure_cuda
from tui_dl.core.training.precision import check_precision

__all__ = ["iter_training", "prepare", "Engine", "training_thread", "TrainError", "SetupError", "evaluate",
           "seed_everything", "EXPLODE_FACTOR", "EXPLODE_FLOOR"]

_EPOCH_RECORD = ("epoch", "step", "train_loss", "train_accuracy", "val_loss", "val_accuracy", "lr", "seconds",
                 "images_per_second")


class _Trainer:
    """One :func:`iter_training` run: set up (plan, engine, state), train epoch by epoch, then test and write
    ``summary.json``; every event is logged to the run folder as it is yielded."""

    def __init__(self, exp: Experiment | None, *, run_dir, runs_dir, resume, should_stop, data, ui_thread,
                 origin=None, data_progress=None):
        self.should_stop, self.ui_thread, self.origin = should_stop, ui_thread, origin
        self.data_progress = data_progress
        self.notices: list[Notice] = []
        self.ckpt: dict[str, Any] | None = None
        self.resume_path: Path | None = None
        if resume is not None:
            self.resume_path = resolve_checkpoint_path(resume)
            self.ckpt = load_checkpoint(self.resume_path)
            exp, notices = merge_resumed(exp, self.ckpt, str(self.resume_path))
            self.notices += notices
            run_dir = run_dir or self.resume_path.parent
        if exp is None:
            raise SetupError(_("iter_training needs an experiment (or resume=RUN_DIR)"))
        self.exp, self.cfg = exp, exp.train
        self.run_dir_arg, self.runs_dir, self.data = run_dir, runs_dir, data
        self.engine: Engine | None = None
        self.dist = ddp.from_env()   # a rank of torchrun's (issue 18), or rank 0 of 1

    # -- setup ----------------------------------------------------------------------------------
    def _setup(self) -> None:
        exp, cfg, ck = self.exp, self.cfg, self.ckpt
        summary = check_network(exp)
        device = pick_device(cfg.device)
        if self.dist.enabled:
            self.dist, device = ddp.init(self.dist, device)
        self.notices += [Notice(level, text) for level, text in configure_cuda(cfg, device)]
        check_precision(cfg.precision, device)  # fp16 on the CPU: said before the dataset loads
        check_fits(summary, exp, device)  # a network too big for the free memory: refused before allocating
        if self.data is None:  # DataError propagates: its message is written for the student
            self.data = ddp.rank0_first(self.dist, lambda: load_dataset(**data_request(exp, ck),
                                                                        progress=self.data_progress))
        self.data = d = resumed_data(self.data, ck)
        self.engine = eng = prepare(exp, d, device=device, summary=summary, checkpoint=ck, ui_thread=self.ui_thread,
                                    dist=self.dist)
        self.plan = plan = eng.plan
        self.notices += plan.notices
        self.notices += [Notice(level, text) for level, text in eng.precision.notices]
        if self.dist.enabled:
            self.notices.append(Notice("info", ddp.describe(self.dist, plan.batch_size)))
        self.parts = Parts(eng.model, eng.optimizer, eng.scheduler, torch.Generator().manual_seed(cfg.seed))
        best = Best(plan.monitor, plan.monitor_mode)
        bound = {"min_loss": plan.objective.min_loss, "below_min_hint": plan.objective.below_min_hint}
        if ck is None:
            self.state = TrainState(best, DivergenceGuard(None, plan.check_every, **bound), t0=self.t0)
        else:
            self.state = TrainState.from_checkpoint(
                ck, self.parts, best=best, check_every=plan.check_every, steps_per_epoch=plan.steps_per_epoch,
                device=device, channels_last=plan.channels_last, source=str(self.resume_path), t0=self.t0, **bound)
            eng.precision.restore_from(ck)
            saved_epochs = (ck.get("experiment") or {}).get("train", {}).get("epochs", cfg.epochs)
            replanned = replan_scheduler(eng.scheduler, cfg, saved_epochs)
            if replanned:
                self.notices.append(Notice("info", replanned))
        self.sizes_t = torch.tensor(plan.batch_sizes, dtype=torch.float32, device=device)
        self.facts = {"threads": plan.threads, "lanes": plan.lanes, "spec": exp.network.to_dict(),
                      "experiment": exp.to_dict(),
                      "dataset": {"name": d.name, "train_size": len(d.train),
                                  "val_size": len(d.val) if d.val is not None else 0, "test_size": len(d.test),
                                  "classes": list(d.classes), "fallback_reason": d.fallback_reason},
                      "inference": inference_facts(d, exp.network.input_shape),
                      "init_sha256": (ck or {}).get("init_sha256") or eng.init_sha256}

    # -- checkpoints ----------------------------------------------------------------------------
    def _checkpoint(self, status: str) -> dict[str, Any]:
        ck = self.state.to_checkpoint(status, self.parts, steps_per_epoch=self.plan.steps_per_epoch,
                                      early_stopping=self.cfg.early_stopping, facts=self.facts)
        return self.engine.precision.save_into(ck)  # fp16: the gradient scaler's state

    def _save(self, name: str, ckpt: dict[str, Any]) -> Path:
        path = self.run_dir / name
        if not self.dist.is_main:  # rank 0 alone writes the checkpoints (they are the same on every rank)
            return path
        try:
            return atomic_save(ckpt, path)
        except OSError as e:
            raise self._write_failed(path, e) from None

    def _write_failed(self, path: Path, e: OSError) -> WriteError:
        """The one-line message for a failed write of ``path`` (disk full, quota, read-only...): with a checkpoint
        in the folder, it is kept and the run continues with --resume; before the first one, start again."""
        if (self.run_dir / "last.pt").is_file():
            return write_error(_("could not write {path}").format(path=path), e, resume=str(self.run_dir), kept=True)
        return write_error(_("cannot write the run folder {folder} ({file})").format(folder=self.run_dir,
                                                                                      file=path.name), e, resume=None)

    def _interrupted(self, yield_events: bool):
        """Save where we are (mid-epoch state included) as last.pt."""
        if not self.cfg.checkpoints:
            return
        path = self._save("last.pt", self._checkpoint("interrupted"))
        if not self.dist.is_main:  # rank 0 wrote it
            return
        ev = CheckpointSaved(str(path), self.state.epoch, self.state.step, "interrupted")
        if yield_events:
            yield self._emit(ev)
            return
        with contextlib.suppress(OSError):
            self.writer.log(ev)

    def _complete_new_folder(self) -> None:
        """A run resumed into a folder of its own (``--resume run/best.pt --out new``): write the checkpoint's
        history into its metrics and the checkpoint itself as its last.pt (and best.pt when it holds the best
        epoch), so the new folder is a complete run folder."""
        s, ck, d = self.state, self.ckpt, self.run_dir
        if not s.history or self.writer.epoch_rows():
            return
        es = self.cfg.early_stopping
        saved_epochs = (ck.get("experiment") or {}).get("train", {}).get("epochs", self.cfg.epochs)
        for ev in history_events(s.history, epochs=saved_epochs, monitor=s.best.monitor, mode=s.best.mode,
                                 min_delta=es.min_delta if es else 0.0):
            self.writer.log(ev)
        copied = []
        if self.cfg.checkpoints and not (d / "last.pt").exists():
            copied.append("last.pt")
            if s.best.epoch is not None and s.best.epoch == len(s.history) and s.batch == 0:
                copied.append("best.pt")
            for name in copied:  # (a checkpoint from before checkpoints carried "inference" gets it here)
                self._save(name, {**ck, "inference": ck.get("inference") or self.facts["inference"]})
        first, last = s.history[0]["epoch"], s.history[-1]["epoch"]
        values = {"source": str(self.resume_path), "first": first, "last": last, "files": " and ".join(copied)}
        if last != first:
            text = (N_("this run folder continues {source}: its history (epochs {first}-{last}) is written into "
                       "metrics.csv and metrics.jsonl, the checkpoint as {files}") if copied else
                    N_("this run folder continues {source}: its history (epochs {first}-{last}) is written into "
                       "metrics.csv and metrics.jsonl"))
        else:
            text = (N_("this run folder continues {source}: its history (epoch {first}) is written into "
                       "metrics.csv and metrics.jsonl, the checkpoint as {files}") if copied else
                    N_("this run folder continues {source}: its history (epoch {first}) is written into "
                       "metrics.csv and metrics.jsonl"))
        self.notices.append(Notice("info", english(text, **values)))

    def _restore_missing_rows(self) -> None:
        """Resuming into the run's own folder: an epoch that the checkpoint's history holds but metrics.jsonl or
        metrics.csv lacks (a run killed between its checkpoint and its metrics, by a tui-dl that wrote them in
        that order, or a file cut short) is written back from the history, so the epochs stay contiguous."""
        s = self.state
        if not s.history:
            return
        in_jsonl, in_csv = self.writer.logged_epochs()
        if not in_jsonl and not in_csv:
            return  # a new folder: _complete_new_folder writes the whole history
        es = self.cfg.early_stopping
        saved_epochs = (self.ckpt.get("experiment") or {}).get("train", {}).get("epochs", self.cfg.epochs)
        restored = []
        for ev in history_events(s.history, epochs=saved_epochs, monitor=s.best.monitor, mode=s.best.mode,
                                 min_delta=es.min_delta if es else 0.0):
            if ev.epoch not in in_jsonl or ev.epoch not in in_csv:
                self.writer.log(ev, to_jsonl=ev.epoch not in in_jsonl, to_csv=ev.epoch not in in_csv)
                restored.append(str(ev.epoch))
        if restored:
            text = (N_("the metrics lacked epochs {epochs}, which the checkpoint holds: restored from its history")
                    if len(restored) > 1 else
                    N_("the metrics lacked epoch {epochs}, which the checkpoint holds: restored from its history"))
            self.notices.append(Notice("info", english(text, epochs=", ".join(restored))))

    def _emit(self, event, durable: bool = False):
        try:
            self.writer.log(event, durable=durable)
            if self.sink is not None:
                self.sink.log(event)
        except OSError as e:
            if (self.run_dir / "last.pt").is_file():
                raise write_error(_("could not write to {path}").format(path=self.writer.jsonl_path), e,
                                  resume=str(self.run_dir),
                                  kept=True) from None
            raise self._write_failed(self.writer.jsonl_path, e) from None
        return event

    # -- the run --------------------------------------------------------------------------------
    def _new_run_dir(self) -> Path:
        """A new run's folder: ``--out``, or a new one under ``runs_dir`` (rank 0's, shared with every rank)."""
        return ddp.shared_path(self.dist, lambda: Path(self.run_dir_arg) if self.run_dir_arg
                               else new_run_dir(self.runs_dir, self.exp.name))

    def _stop_now(self) -> bool:
        return ddp.stop_now(self.dist, self.should_stop, self.engine.step,
                            due=self.state.step % self.plan.check_every == 0)

    def _evaluate(self, xy, confusion: bool = False):
        eng, plan = self.engine, self.plan
        return ddp.evaluate_ranked(self.dist, evaluate, eng.model, xy, plan.objective, eng.prep,
                                   plan.eval_batch_size, confusion=confusion, should_stop=self.should_stop,
                                   precision=eng.precision)

    def run(self) -> Iterator[TrainEvent]:
        try:
            with training_thread(self.ui_thread):
                yield from self._run_outer()
        finally:
            if self.engine is not None:
                self.engine.step.close()
            if self.dist.enabled:
                ddp.shutdown()

    def _run_outer(self) -> Iterator[TrainEvent]:
        self.t0 = time.perf_counter()
        from tui_dl.core.runs import tensorboard as tb  # train.log_to: its own module loads the package

        if (problem := tb.missing(self.cfg.log_to)) is not None:
            raise SetupError(problem)
        self.sink = None
        self._setup()
        self._session_step0 = self.state.step
        resumed = self.ckpt is not None
        try:
            if resumed:
                self.run_dir = Path(self.run_dir_arg)
                self.writer = (RunWriter(self.run_dir, resume_step=self.state.step) if self.dist.is_main
                               else ddp.NullWriter(self.run_dir))
                if not (self.run_dir / "config.yaml").exists():
                    self.writer.write_config(self.exp.to_yaml())
                self._complete_new_folder()
                self._restore_missing_rows()
            else:
                self.run_dir = self._new_run_dir()
                self.writer = RunWriter(self.run_dir) if self.dist.is_main else ddp.NullWriter(self.run_dir)
                self.writer.write_config(self.exp.to_yaml())
            self.sink = tb.make_sink(self.cfg.log_to, self.run_dir, self.exp) if self.dist.is_main else None
        except RunFolderBusy as e:
            raise SetupError(str(e)) from None
        except tb.TensorBoardMissing as e:
            self.writer.close()
            raise SetupError(str(e)) from None
        except OSError as e:  # a full disk before the first step, a read-only folder...
            if getattr(self, "writer", None) is not None:
                self.writer.close()  # (its lock too)
            where = getattr(self, "run_dir", None) or self.run_dir_arg
            what = (_("cannot write the run folder {folder}").format(folder=where) if where
                    else _("cannot write the run folder"))
            raise SetupError(str(write_error(what, e,
                                             resume=str(where) if resumed and where else None))) from None
        self.finished_status: str | None = None
        try:
            yield from self._run(resumed)
        except GeneratorExit:
            # the consumer left the loop (generator.close()): save where we are, silently
            if self.finished_status in (None, "stopped"):
                try:
                    for _event in self._interrupted(yield_events=False):
                        pass
                except TrainError:
                    pass
            raise
        except RuntimeError as e:
            if is_oom(e):
                raise oom_error(self.plan.batch_size, self.plan.device) from None
            raise
        finally:
            self.writer.close()
            if self.sink is not None:
                self.sink.close()

    def _run(self, resumed: bool):
        cfg, d, plan, eng, s = self.cfg, self.data, self.plan, self.engine, self.state
        self.started = RunStarted(
            name=self.exp.name, run_dir=str(self.run_dir), device=str(plan.device),
            device_name=describe_device(plan.device, plan.threads), dataset=d.name, train_size=len(d.train),
            val_size=len(d.val) if d.val is not None else 0, test_size=len(d.test), epochs=cfg.epochs,
            steps_per_epoch=plan.steps_per_epoch, params=eng.params, start_epoch=s.epoch,
            resumed_from=str(self.resume_path) if resumed else "", fallback_reason=d.fallback_reason,
            threads=plan.threads,
            provenance=provenance(config_text=self.exp.to_yaml(), origin=self.origin, source=self.exp.source,
                                  versions=versions(), device=str(plan.device),
                                  device_name=describe_device(plan.device, plan.threads), threads=plan.threads))
        yield self._emit(self.started)
        for n in self.notices:
            yield self._emit(n)
        # TRANSLATORS: {optimizer} is its name (Adam), {impl} how torch runs it ("foreach"...); "channels-last" is
        # a memory layout's name
        if plan.lanes > 1:
            text = (N_("optimizer {optimizer} ({impl}), channels-last, each batch split across {lanes} CPU threads")
                    if plan.channels_last else
                    N_("optimizer {optimizer} ({impl}), each batch split across {lanes} CPU threads"))
        elif plan.threads != 1:
            text = (N_("optimizer {optimizer} ({impl}), channels-last, {threads} CPU threads") if plan.channels_last
                    else N_("optimizer {optimizer} ({impl}), {threads} CPU threads"))
        else:
            text = (N_("optimizer {optimizer} ({impl}), channels-last, {threads} CPU thread") if plan.channels_last
                    else N_("optimizer {optimizer} ({impl}), {threads} CPU thread"))
        yield self._emit(Notice("info", english(text, optimizer=cfg.optimizer.name, impl=eng.opt_impl,
                                                lanes=plan.lanes, threads=plan.threads)))
        if cfg.adversarial is not None:
            yield self._emit(Notice("info", describe_adversarial(cfg.adversarial)))
        if self.exp.data.augment:
            yield self._emit(Notice("info", english(N_("data augmentation on every training batch: {augment} "
                                                       "(validation and test batches are not augmented)"),
                                                    augment=", ".join(self.exp.data.augment))))
        if not resumed and cfg.checkpoints:
            # the initial weights: a good checkpoint exists even if the first epoch diverges
            self._save("last.pt", self._checkpoint("running"))
        if resumed and (s.resumed_status == "early_stopped"
                        or (s.resumed_status == "completed" and s.epoch > cfg.epochs)):
            # TRANSLATORS: {status} is a code word (completed, early_stopped)
            yield self._emit(Notice("info", english(N_("this run had already finished ({status}): evaluating it "
                                                       "again"), status=s.resumed_status)))
            self.finished_status = s.resumed_status
        while self.finished_status is None and s.epoch <= cfg.epochs:
            yield from self._train_epoch()
        if self.finished_status is None:
            self.finished_status = "completed"
        if self.finished_status == "stopped":
            yield from self._interrupted(yield_events=True)
        yield from self._finish()

    # -- one epoch --------------------------------------------------------------------------------
    def _begin_epoch(self) -> tuple[EpochProgress, torch.Tensor | None]:
        """The epoch's progress record (the saved one when resuming mid-epoch) and its batch order."""
        s, plan, shuffle = self.state, self.plan, self.parts.shuffle
        if s.progress is not None:  # resuming mid-epoch: the same batch order as before the interruption
            shuffle.set_state(s.progress.shuffle_state.cpu())
        else:
            s.progress = EpochProgress.fresh(plan.steps_per_epoch, plan.device, shuffle.get_state())
        if not self.engine.step.shuffles:
            return s.progress, None
        perm = torch.randperm(plan.n_train, generator=shuffle)
        dev = plan.device
        if dev.type != "cpu":
            perm = perm.pin_memory().to(dev, non_blocking=True) if dev.type == "cuda" else perm.to(dev)
        return s.progress, perm

    def _train_epoch(self):
        s, plan, step, stop = self.state, self.plan, self.engine.step, self.should_stop
        nb, sizes = plan.steps_per_epoch, plan.batch_sizes
        starts = [b * plan.batch_size for b in range(nb)]
        prog, perm = self._begin_epoch()
        s.guard.start_epoch(s.batch)
        self.engine.model.train()
        t_epoch = t_log = time.perf_counter()
        images_since_log = 0
        while s.batch < nb:
            if self._stop_now():
                self.finished_status = "stopped"
                break
            b = s.batch
            idx = None if perm is None else perm[starts[b]:starts[b] + sizes[b]]
            if step.recorder is not None and ((s.step + 1) % self.cfg.log_every == 0 or b + 1 == nb):
                step.recorder.arm()  # this step will be logged: record its per-layer gradients
            prog.losses[b], prog.correct[b] = step(idx)
            if self.cfg.compile and (compiled := step.take_compile_seconds()):  # not counted as training time
                t_epoch, t_log = t_epoch + compiled, t_log + compiled
                yield self._emit(Notice("info", english(N_("torch.compile: compiling for batches of {size} took "
                                                           "{seconds} s, reported apart from the training time"),
                                                        size=sizes[b], seconds=f"{compiled:.1f}")))
            s.batch, s.step = b + 1, s.step + 1
            images_since_log += sizes[b]
            s.images_done += sizes[b]
            bad = s.guard.check(prog.losses, s.batch, last=s.batch == nb)
            if bad is not None:
                yield self._diverged(float(prog.losses[bad]), bad)
                return
            if s.step % self.cfg.log_every == 0 or s.batch == nb:
                now = time.perf_counter()
                yield self._step_done(prog, images_since_log / max(now - t_log, 1e-9), now - t_epoch)
                t_log, images_since_log = now, 0
        t_train = time.perf_counter() - t_epoch
        prog.seconds += t_train
        s.train_seconds += t_train
        if self.finished_status is None:
            yield from self._end_epoch(prog)

    def _step_done(self, prog: EpochProgress, images_per_second: float, epoch_seconds: float) -> StepDone:
        s, nb = self.state, self.plan.steps_per_epoch
        mean_loss, layers = read_logged(prog.losses[prog.last_log:s.batch].mean(), self.engine.step.recorder)
        prog.last_log = s.batch
        done_steps = max(1, s.step - self._session_step0)
        left = (self.cfg.epochs - s.epoch) * nb + (nb - s.batch)
        return self._emit(StepDone(epoch=s.epoch, step=s.step, batch=s.batch, batches=nb, loss=mean_loss,
                                   lr=current_lr(self.parts.optimizer), images_per_second=images_per_second,
                                   elapsed=s.elapsed(), eta=(s.train_seconds + epoch_seconds) / done_steps * left,
                                   layers=layers))

    def _diverged(self, loss: float, bad_batch: int):
        """The Diverged event for the epoch's step ``bad_batch`` (0-based); the run ends."""
        s = self.state
        self.finished_status = "diverged"
        return self._emit(s.guard.event(loss, epoch=s.epoch, step=s.step - (s.batch - bad_batch) + 1,
                                        lr=current_lr(self.parts.optimizer), grad_clip=self.cfg.grad_clip,
                                        loss_name=self.cfg.loss.name))

    def _end_epoch(self, prog: EpochProgress):
        cfg, s, plan, eng = self.cfg, self.state, self.plan, self.engine
        e = s.epoch
        t_eval = time.perf_counter()
        n_img = plan.epoch_images
        train_loss = (float(prog.losses[0]) if plan.step == "full_batch"
                      else float((prog.losses * self.sizes_t).sum() / n_img))
        train_acc = int(prog.correct.sum()) / n_img
        val_loss = val_acc = None
        if eng.val is not None:
            r = self._evaluate(eng.val)
            if r is None:  # stopped during validation: resume redoes the end of this epoch
                self.finished_status = "stopped"
                return
            val_loss, val_acc = r[0], r[1]
        rec = {"epoch": e, "step": s.step, "train_loss": train_loss, "train_accuracy": train_acc,
               "val_loss": val_loss, "val_accuracy": val_acc, "lr": current_lr(eng.optimizer)}
        if s.guard.epoch_diverged(train_loss):
            yield self._diverged(train_loss, plan.steps_per_epoch - 1)
            return
        es = cfg.early_stopping
        is_best = s.best.update(rec.get(s.best.monitor), e, es.min_delta if es else 0.0)
        if is_best and es is not None and es.restore_best:
            s.best_weights = {k: t.detach().clone() for k, t in eng.model.state_dict().items()}
        if eng.scheduler is not None:
            if is_plateau(eng.scheduler):
                eng.scheduler.step(val_loss if val_loss is not None else train_loss)
            else:
                eng.scheduler.step()
        seconds = prog.seconds + (time.perf_counter() - t_eval)
        rec.update(seconds=seconds, images_per_second=n_img / max(prog.seconds, 1e-9))
        s.history.append({k: rec[k] for k in _EPOCH_RECORD})
        stop_early = es is not None and s.best.bad_epochs >= es.patience
        if stop_early:
            self.finished_status = "early_stopped"
        # the epoch is done: move the position before anything can interrupt us
        s.epoch, s.batch, s.progress = e + 1, 0, None
        status = "early_stopped" if stop_early else ("completed" if e >= cfg.epochs else "running")
        # metrics first (flushed and fsynced), then the checkpoints: whatever a checkpoint says happened is in the
        # metrics, and a kill between the two only costs the epoch's row, which the resume trains again
        done = self._emit(EpochDone(epoch=e, epochs=cfg.epochs, step=s.step, train_loss=train_loss,
                                    train_accuracy=train_acc, val_loss=val_loss, val_accuracy=val_acc, lr=rec["lr"],
                                    seconds=seconds, images_per_second=rec["images_per_second"], is_best=is_best),
                          durable=True)
        saved = []
        if cfg.checkpoints:
            if self.dist.enabled:  # every rank has finished the epoch before rank 0 writes it
                ddp.barrier()
            ck = self._checkpoint(status)
            if is_best:  # best.pt before last.pt: last.pt never names a best epoch that best.pt does not hold
                saved.append(("best", self._save("best.pt", ck)))
            saved.insert(0, ("last", self._save("last.pt", ck)))
        yield done
        for reason, path in saved:
            yield self._emit(CheckpointSaved(str(path), e, s.step, reason))
        if stop_early:
            b = s.best
            yield self._emit(EarlyStopped(epoch=e, best_epoch=int(b.epoch or e), monitor=b.monitor,
                                          best_value=float(b.value if b.value is not None else float("nan")),
                                          patience=es.patience))

    # -- the end ----------------------------------------------------------------------------------
    def _finish(self):
        s, plan, eng, es = self.state, self.plan, self.engine, self.cfg.early_stopping
        status = self.finished_status
        test_loss = test_acc = None
        per_class: list[float] = []
        confusion: list[list[int]] = []
        if status in ("completed", "early_stopped"):
            if es is not None and es.restore_best and s.best_weights is not None:
                eng.model.load_state_dict(s.best_weights)
                yield self._emit(Notice("info", english(N_("restored the weights of the best epoch ({epoch}, "
                                                           "{monitor}={value}) before testing"),
                                                        epoch=s.best.epoch, monitor=s.best.monitor,
                                                        value=f"{s.best.value:.4g}")))
            if eng.test is not None:
                r = self._evaluate(eng.test, confusion=True)
                if r is None:  # stopped during the test: the run itself is saved and complete
                    status = self.finished_status = "stopped"
                else:
                    test_loss, test_acc, confusion = r[0], r[1], r[2]
                    per_class = [row[i] / sum(row) if sum(row) else float("nan") for i, row in enumerate(confusion)]
        train_seconds = s.train_seconds_prev + s.train_seconds
        ips = (s.train_images_prev + s.images_done) / train_seconds if train_seconds > 0 else 0.0
        best_pt = self.run_dir / "best.pt"
        source = monitor_source(es is not None, es.monitor if es else s.best.monitor, s.best.monitor)
        fin = Finished(status=status, run_dir=str(self.run_dir), epochs_run=len(s.history), steps=s.step,
                       seconds=s.elapsed(), train_images_per_second=ips, test_loss=test_loss, test_accuracy=test_acc,
                       per_class_accuracy=per_class, confusion=confusion or [], classes=list(self.data.classes),
                       **best_fields(s.history, best_epoch=s.best.epoch, monitor=s.best.monitor, mode=s.best.mode,
                                     source=source, best_checkpoint=str(best_pt) if best_pt.is_file() else ""))
        summary = run_summary(fin, self.started, history=s.history, monitor=s.best.monitor,
                              monitor_value=s.best.value, train_seconds=train_seconds, lanes=plan.lanes,
                              optimizer_impl=eng.opt_impl, channels_last=plan.channels_last,
                              dataset_source=self.data.source, versions=versions(),
                              inference=self.facts["inference"], init_sha256=self.facts["init_sha256"],
                              provenance=finish_provenance(self.started.provenance), strategy=eng.strategy)
        try:
            self.writer.write_summary(summary)
        except OSError as e:
            raise self._write_failed(self.run_dir / "summary.json", e) from None
        yield self._emit(fin)


def iter_training(exp: Experiment | None, *, run_dir: str | os.PathLike | None = None,
                  runs_dir: str | os.PathLike = "runs", resume: str | os.PathLike | None = None,
                  should_stop: threading.Event | None = None, data=None, ui_thread: bool = False,
                  origin: dict | None = None, data_progress=None) -> Iterator[TrainEvent]:
    """Train ``exp`` and yield its events (see :mod:`tui_dl.core.training.events`).

    run_dir      write the run here (default: a new ``runs_dir/<name>-<timestamp>/``)
    resume       a run folder or checkpoint file to continue (its own folder is reused); ``exp`` may be None
    should_stop  set it from any thread to stop before the next step: an "interrupted" checkpoint is written,
                 then ``Finished(status="stopped")``
    data         an already loaded :class:`~tui_dl.core.data.LoadedData` (else ``exp.data`` is loaded)
    ui_thread    True inside the app: leave a core free for the UI thread when choosing torch threads
    origin       how the run was asked for (``argv``, ``overrides``, ``source``), for its provenance record
    data_progress  ``progress(message, fraction)`` while the dataset loads (downloads: percent, MB, speed)

    Raises :class:`SetupError` (bad network/loss/device/checkpoint), ``DataError`` (dataset), or
    :class:`TrainError` (out of memory, disk full) on the first ``next()`` or later.
    """
    trainer = _Trainer(exp, run_dir=run_dir, runs_dir=runs_dir, resume=resume, should_stop=should_stop, data=data,
                       ui_thread=ui_thread, origin=origin, data_progress=data_progress)
    yield from trainer.run()
