"""The trainer's two exceptions, and how an out-of-memory error is recognised and explained."""

from __future__ import annotations

import torch

__all__ = ["TrainError", "SetupError", "is_oom", "oom_error"]


class TrainError(Exception):
    """Training could not go on (out of memory, disk full...); ``str(e)`` is written for the student."""

    exit_code = 1


class SetupError(TrainError):
    """The run cannot start: the network, loss, dataset, device or checkpoint do not fit (a config problem)."""

    exit_code = 2


def is_oom(e: BaseException) -> bool:
    """Whether ``e`` is torch (or the C allocator) running out of memory."""
    if isinstance(e, getattr(torch, "OutOfMemoryError", ())):
        return True
    text = str(e).lower()
    return "out of memory" in text or "can't allocate memory" in text or "not enough memory" in text


def oom_error(bs: int, dev: torch.device) -> TrainError:
    """The out-of-memory message: which device, and the smaller batch to try."""
    return TrainError(f"out of memory on {dev.type.upper() if dev.type != 'cpu' else 'the CPU'} with batch_size "
                      f"{bs}: use a smaller batch (e.g. --set train.batch_size={max(1, bs // 2)}) or a smaller network.")
