"""``summary.json``: the run's final record, built from its ``Finished`` and ``RunStarted`` events plus the
few facts no event carries (the epoch history, what early stopping watched, the engine's choices)."""

from __future__ import annotations

import platform
from typing import Any

import torch

from tui_dl import __version__
from tui_dl.core.training.best_epoch import best_checkpoint_line
from tui_dl.core.training.events import Finished, RunStarted

__all__ = ["run_summary", "versions", "inference_facts"]

_EPOCH_KEYS = ("train_loss", "train_accuracy", "val_loss", "val_accuracy")


def versions() -> dict[str, str]:
    """Python, torch, torchvision and tui-dl versions (torchvision's empty when it is not installed)."""
    # from the package metadata: importing torchvision only for its version string cost a training run
    # 160 MiB of peak memory (issue 19)
    try:
        from importlib.metadata import version

        tv = version("torchvision")
    except Exception:  # noqa: BLE001 - not installed, or no metadata
        tv = ""
    return {"python": platform.python_version(), "torch": torch.__version__, "torchvision": tv,
            "tui_dl": __version__}


def inference_facts(data, input_shape) -> dict[str, Any]:
    """What a program needs to feed the trained network new samples, as a checkpoint and ``summary.json`` carry
    it: the input shape, the class names (output ``i`` is ``classes[i]``) and the normalisation the trainer
    applied to every batch: ``(x * scale - mean[c]) / std[c]`` per channel ``c``, with ``scale`` 1/255 for
    uint8 images and 1 for float features (no mean/std: ``x * scale``). mean/std are the dataset's published
    values (MNIST, CIFAR-10, ...) or were computed from its training images (idx, image-folder, synthetic)."""
    pixels = data.train.x.dtype == torch.uint8
    return {"input_shape": [int(v) for v in input_shape], "classes": [str(c) for c in data.classes],
            "input_dtype": "uint8" if pixels else "float32", "scale": 1.0 / 255.0 if pixels else 1.0,
            "mean": [float(v) for v in data.mean], "std": [float(v) for v in data.std],
            "normalization": ("(x * scale - mean[c]) / std[c] per channel c" if data.mean else "x * scale")}


def run_summary(fin: Finished, started: RunStarted, *, history: list[dict[str, Any]], monitor: str,
                monitor_value: float | None, train_seconds: float, lanes: int, optimizer_impl: str,
                channels_last: bool, dataset_source: str, versions: dict[str, str],
                inference: dict[str, Any] | None = None, init_sha256: str | None = None,
                provenance: dict[str, Any] | None = None, strategy: dict[str, Any] | None = None) -> dict[str, Any]:
    """The ``summary.json`` record of a run that ended with ``fin`` (``started``: this session's RunStarted;
    ``history``: every epoch record; ``monitor``/``monitor_value``: the best epoch's watched value;
    ``inference``: :func:`inference_facts`; ``init_sha256``: the initial weights' hash,
    :func:`tui_dl.core.runs.provenance.state_sha256`)."""
    best = next((h for h in history if h["epoch"] == fin.best_epoch), None)
    last = history[-1] if history else {}
    return {
        "status": fin.status, "name": started.name, "run_dir": fin.run_dir,
        "final": {k: last.get(k) for k in ("epoch", *_EPOCH_KEYS, "lr")},
        "best": {"epoch": fin.best_epoch, "monitor": monitor, "value": monitor_value,
                 **({k: best.get(k) for k in _EPOCH_KEYS} if best else {})},
        "test_loss": fin.test_loss, "test_accuracy": fin.test_accuracy, "per_class_accuracy": fin.per_class_accuracy,
        "confusion": fin.confusion, "classes": fin.classes, "epochs_run": fin.epochs_run,
        "steps": fin.steps, "seconds": fin.seconds, "train_seconds": train_seconds,
        "train_images_per_second": fin.train_images_per_second,
        "device": started.device, "device_name": started.device_name, "threads": started.threads,
        "split_batch_lanes": lanes, "optimizer_impl": optimizer_impl, "channels_last": channels_last,
        "dataset": started.dataset, "dataset_source": dataset_source, "fallback_reason": started.fallback_reason,
        "train_size": started.train_size, "val_size": started.val_size, "test_size": started.test_size,
        "params": started.params, "history": history, "versions": versions,
        **({"inference": inference} if inference is not None else {}),
        "init_sha256": init_sha256,
        **({"provenance": provenance} if provenance is not None else {}),
        **({"strategy": strategy} if strategy is not None else {}),  # the CPU step chosen, with its timings
        # "best" is the epoch with the best monitor value; its val accuracy is not the highest one
        "val_accuracy_at_best": fin.val_accuracy_at_best,
        "highest_val_accuracy": {"epoch": fin.highest_val_accuracy_epoch, "value": fin.highest_val_accuracy},
        "best_checkpoint": {"path": fin.best_checkpoint or None, "epoch": fin.best_epoch, "monitor": fin.monitor,
                            "mode": fin.monitor_mode, "source": fin.monitor_source,
                            "why": best_checkpoint_line(fin, english=True)},  # files stay English
    }
