"""The CUDA (and determinism) switches a run sets before it builds anything: :func:`configure`.

- ``torch.cuda.set_device`` for the run's device, so kernels, NCCL and ``torch.cuda`` calls use it;
- ``cudnn.benchmark`` (the fastest convolution algorithm for the shapes seen; the batches have fixed shapes)
  unless ``train.deterministic``;
- TF32 for matmuls and convolutions (``train.tf32``; default on for Ampere, compute capability 8, and newer);
- ``train.deterministic``: ``torch.use_deterministic_algorithms(True, warn_only=True)`` (an op without a
  deterministic version warns instead of failing), the cuBLAS workspace setting, ``cudnn.deterministic``.

:func:`best_cuda_device` is the ``auto`` choice among several GPUs: the one with the most free memory.
"""

from __future__ import annotations

import os
import warnings

import torch

from tui_dl.core.i18n import N_
from tui_dl.core.training.events import english

__all__ = ["configure", "best_cuda_device", "tf32_default", "to_device", "CUBLAS_WORKSPACE"]

#: The cuBLAS workspace setting deterministic runs need (CUDA ≥ 10.2); set before cuBLAS starts.
CUBLAS_WORKSPACE = ":4096:8"


def best_cuda_device() -> torch.device:
    """The CUDA device with the most free memory (``cuda:0`` when there is one, or the query fails)."""
    n = torch.cuda.device_count()
    if n <= 1:
        return torch.device("cuda", 0)
    free = []
    for i in range(n):
        try:
            free.append((torch.cuda.mem_get_info(i)[0], -i))
        except Exception:  # noqa: BLE001 - a device that cannot answer is not chosen
            free.append((-1, -i))
    return torch.device("cuda", -max(free)[1])


def tf32_default(device: torch.device) -> bool:
    """TF32 is on by default on Ampere (compute capability 8.x) and newer."""
    try:
        return torch.cuda.get_device_capability(device)[0] >= 8
    except Exception:  # noqa: BLE001
        return False


def configure(cfg, device: torch.device) -> list[tuple[str, str]]:
    """Set the switches for a run with ``train:`` settings ``cfg`` on ``device``; returns (level, text) notices."""
    notes: list[tuple[str, str]] = []
    if cfg.deterministic:
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", CUBLAS_WORKSPACE)
        torch.use_deterministic_algorithms(True, warn_only=True)
        warnings.filterwarnings("once", message=".*does not have a deterministic implementation.*")
        torch.backends.cudnn.deterministic = True
        torch.backends.cudnn.benchmark = False
        notes.append(("info", english(N_("deterministic algorithms on (an op without a deterministic version warns "
                                          "once)"))))
    elif torch.are_deterministic_algorithms_enabled():
        # only when it is on (an earlier run in this process): the call itself imports torch's compiler
        # stack, 150 MiB of RSS and 1.5 s on a CPU run that never compiles (measured on torch 2.14)
        torch.use_deterministic_algorithms(False)
    if device.type != "cuda":
        if cfg.tf32:
            notes.append(("info", english(N_("train.tf32 applies to CUDA GPUs only: ignored on {device}"),
                                          device=device.type)))
        return notes
    torch.cuda.set_device(device)
    if not cfg.deterministic:
        torch.backends.cudnn.benchmark = True
        torch.backends.cudnn.deterministic = False
    tf32 = tf32_default(device) if cfg.tf32 is None else bool(cfg.tf32)
    torch.backends.cuda.matmul.allow_tf32 = tf32
    torch.backends.cudnn.allow_tf32 = tf32
    # TRANSLATORS: {benchmark} and {tf32} are the switches' values, "on" or "off" (kept in English)
    notes.append(("info", english(N_("CUDA: cudnn.benchmark {benchmark}, TF32 {tf32} (Ampere or newer)")
                                  if cfg.tf32 is None and tf32 else N_("CUDA: cudnn.benchmark {benchmark}, TF32 {tf32}"),
                                  benchmark="off" if cfg.deterministic else "on", tf32="on" if tf32 else "off")))
    return notes


def to_device(t: torch.Tensor, device: torch.device) -> torch.Tensor:
    """``t`` on ``device``: from the CPU to a CUDA GPU through pinned memory, without waiting for the copy
    (the stream orders it before any use); a tensor already there is returned as is."""
    if t.device == device:
        return t
    if device.type == "cuda" and t.device.type == "cpu":
        return t.pin_memory().to(device, non_blocking=True)
    return t.to(device)
