"""TensorBoard logs from the run's own events: ``train.log_to: [tensorboard]`` (or ``--batch --tensorboard``).

:class:`TensorBoardSink` receives every event the trainer logs (the same records ``metrics.jsonl`` holds) and
writes ``RUN/tb/`` with torch's ``SummaryWriter``, so ``tensorboard --logdir runs`` shows every run:

- per step: ``step/loss``, ``step/lr``, ``step/images_per_second``, and gradient norms when the step event carries
  them (``grad_norm``, or per-layer statistics in ``layers``: each numeric value as ``grad/<layer>/<stat>``);
- per epoch: ``epoch/train_loss``, ``epoch/train_accuracy``, ``epoch/val_loss``, ``epoch/val_accuracy``,
  ``epoch/lr``, ``epoch/images_per_second``;
- at the end: ``test/accuracy``, ``test/loss``, the confusion matrix as an image (``test/confusion``, rows = true
  class, brighter = more of that row) and the hyper-parameters with the results (the HPARAMS tab).

The optional extra ``tui-dl[tensorboard]`` provides the package; without it :func:`make_sink` raises
:class:`TensorBoardMissing` with the command that installs it, before the run starts.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from tui_dl.core.i18n import _

__all__ = ["TensorBoardSink", "TensorBoardMissing", "make_sink", "missing", "confusion_image", "hparams_of"]

INSTALL = "pip install 'tui-dl[tensorboard]'  (or: pip install tensorboard)"


class TensorBoardMissing(Exception):
    """``train.log_to`` names tensorboard but the package is not installed; ``str(e)`` says how to get it."""


def _finite(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def confusion_image(confusion: list[list[int]], cell: int = 12):
    """The confusion matrix as an RGB uint8 array ``(H, W, 3)``: one ``cell``×``cell`` square per entry, its
    brightness the entry's share of its row (the true class), the diagonal in green, errors in red."""
    import numpy as np

    m = np.asarray(confusion, dtype=np.float64)
    k = m.shape[0]
    rows = m.sum(1, keepdims=True)
    share = np.divide(m, rows, out=np.zeros_like(m), where=rows > 0)
    img = np.zeros((k, k, 3), dtype=np.float64)
    eye = np.eye(k, dtype=bool)
    img[..., 1] = np.where(eye, share, 0.0)
    img[..., 0] = np.where(eye, 0.0, np.sqrt(share))  # small mistakes stay visible
    img = np.repeat(np.repeat((img * 255).round().astype(np.uint8), cell, 0), cell, 1)
    return img


def hparams_of(exp) -> dict[str, Any]:
    """The experiment's settings as TensorBoard's HPARAMS tab takes them (numbers, text, booleans)."""
    t, d = exp.train, exp.data
    out: dict[str, Any] = {"dataset": d.name, "epochs": t.epochs, "batch_size": t.batch_size, "seed": t.seed,
                           "optimizer": t.optimizer.name, "loss": t.loss.name, "weight_decay": t.weight_decay,
                           "scheduler": t.scheduler.name if t.scheduler else "none",
                           "layers": len(exp.network.layers)}
    for k, v in t.optimizer.params.items():
        if isinstance(v, (int, float, str, bool)):
            out[f"optimizer.{k}"] = v
    return out


def _layer_stats(layers: Any) -> list[tuple[str, float]]:
    """``(tag, value)`` of per-layer numbers in a step event's ``layers`` field: a list of ``{"name": ..., stat:
    value}`` or a mapping ``name -> {stat: value}`` / ``name -> value``; anything else is ignored."""
    out: list[tuple[str, float]] = []
    if isinstance(layers, dict):
        items = list(layers.items())
    elif isinstance(layers, (list, tuple)):
        items = [(str(x.get("name", i)) if isinstance(x, dict) else str(i), x) for i, x in enumerate(layers)]
    else:
        return out
    for name, stats in items:
        if _finite(stats):
            out.append((f"grad/{name}", float(stats)))
        elif isinstance(stats, dict):
            out += [(f"grad/{name}/{k}", float(v)) for k, v in stats.items() if k != "name" and _finite(v)]
    return out


class TensorBoardSink:
    """Writes a run's events into ``run_dir/tb``; :meth:`log` takes each event, :meth:`close` flushes."""

    def __init__(self, run_dir: str | Path, exp=None):
        try:
            from torch.utils.tensorboard import SummaryWriter
        except ImportError as e:  # torch says "TensorBoard logging requires TensorBoard ..."
            raise TensorBoardMissing(_("train.log_to: tensorboard needs the tensorboard package, which is not "
                                       "installed here ({error}). Install it with {install}, or remove tensorboard "
                                       "from train.log_to.").format(error=e, install=INSTALL)) from None
        self.dir = Path(run_dir) / "tb"
        self.writer = SummaryWriter(log_dir=str(self.dir))
        self.exp = exp
        self.best: dict[str, float] = {}

    def log(self, ev) -> None:
        kind = getattr(ev, "kind", "")
        w = self.writer
        if kind == "step":
            for tag, v in (("step/loss", ev.loss), ("step/lr", ev.lr), ("step/images_per_second",
                                                                        ev.images_per_second)):
                if _finite(v):
                    w.add_scalar(tag, v, ev.step)
            gn = getattr(ev, "grad_norm", None)
            if _finite(gn):
                w.add_scalar("grad/norm", gn, ev.step)
            for tag, v in _layer_stats(getattr(ev, "layers", None)):
                w.add_scalar(tag, v, ev.step)
        elif kind == "epoch":
            for name in ("train_loss", "train_accuracy", "val_loss", "val_accuracy", "lr", "images_per_second"):
                v = getattr(ev, name)
                if _finite(v):
                    w.add_scalar(f"epoch/{name}", v, ev.epoch)
            if ev.is_best and _finite(ev.val_accuracy):
                self.best["best_val_accuracy"] = float(ev.val_accuracy)
        elif kind == "finished":
            if _finite(ev.test_accuracy):
                w.add_scalar("test/accuracy", ev.test_accuracy, ev.epochs_run)
            if _finite(ev.test_loss):
                w.add_scalar("test/loss", ev.test_loss, ev.epochs_run)
            if ev.confusion:
                w.add_image("test/confusion", confusion_image(ev.confusion), ev.epochs_run, dataformats="HWC")
            if self.exp is not None:
                metrics = {"hparam/test_accuracy": ev.test_accuracy if _finite(ev.test_accuracy) else float("nan"),
                           "hparam/best_val_accuracy": self.best.get("best_val_accuracy", float("nan"))}
                w.add_hparams(hparams_of(self.exp), metrics, run_name=".")
        w.flush() if kind in ("epoch", "finished") else None

    def close(self) -> None:
        self.writer.close()


def missing(log_to) -> str | None:
    """The message when ``train.log_to`` names tensorboard and it is not installed (checked before a run starts)."""
    if not log_to or "tensorboard" not in log_to:
        return None
    import importlib.util

    if importlib.util.find_spec("tensorboard") is None:
        return (f"train.log_to: tensorboard needs the tensorboard package, which is not installed here. Install it "
                f"with {INSTALL}, or remove tensorboard from train.log_to (or drop --tensorboard).")
    return None


def make_sink(log_to, run_dir, exp=None) -> TensorBoardSink | None:
    """The sink ``train.log_to`` asks for (None when it names none)."""
    if not log_to or "tensorboard" not in log_to:
        return None
    return TensorBoardSink(run_dir, exp)
