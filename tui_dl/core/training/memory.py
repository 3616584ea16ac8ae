"""Will the network fit? The training-memory estimate of the spec (weights, gradients, optimizer state and a
batch's activations: :func:`~tui_dl.core.model.shapes.training_memory_estimate`, plain Python) against the memory
free on the device, before anything is allocated. A network of 10⁹ parameters, or a batch whose activations
need more than the machine has, is refused with its size and what to change (a :class:`SetupError`, exit 2),
instead of reaching torch's allocator and dying with its traceback or taking the machine into swap.

The estimate is rough (activations are counted twice: kept for backward, plus their gradients), so only an
estimate beyond all the free memory is refused; a run that is merely tight still starts, and a real
out-of-memory error is still explained (:func:`~tui_dl.core.training.errors.oom_error`).
"""

from __future__ import annotations

import math
import os

from tui_dl.core.model.shapes import Summary, human_bytes, training_memory_estimate
from tui_dl.core.training.errors import SetupError

__all__ = ["available_memory", "check_fits", "memory_problem"]


def _meminfo_available(path: str = "/proc/meminfo") -> int | None:
    try:
        with open(path, encoding="ascii", errors="replace") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def available_memory(device) -> tuple[int, str] | None:
    """Bytes free for a run on ``device`` (a torch.device or its type name) and how to name that memory; None
    where it cannot be known (MPS, or an OS that does not say)."""
    kind = getattr(device, "type", str(device))
    if kind == "cuda":
        try:
            import torch

            free, _total = torch.cuda.mem_get_info(device)
            return int(free), "GPU memory"
        except Exception:  # noqa: BLE001 - no CUDA context: no answer, the run goes on
            return None
    if kind != "cpu":
        return None
    free = _meminfo_available()
    if free is None:
        try:
            free = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        except (AttributeError, OSError, ValueError):
            return None
    return free, "memory"


def memory_problem(summary: Summary, batch_size: int, optimizer: str, free: int, where: str = "memory",
                   device_name: str = "this computer") -> str | None:
    """The message when training needs more than ``free`` bytes, else None."""
    est = training_memory_estimate(summary, batch_size, optimizer)
    if est["total"] <= free:
        return None
    fixed = est["weights"] + est["gradients"] + est["optimizer"]
    per_sample = (est["activations"] + est["inputs"]) / max(batch_size, 1)
    params = summary.totals.params
    parts = [f"{params:,} parameters: {human_bytes(est['weights'])} of weights, {human_bytes(est['gradients'])} "
             f"of gradients" + (f", {human_bytes(est['optimizer'])} of {optimizer} state" if est["optimizer"] else "")]
    parts.append(f"{human_bytes(est['activations'] + est['inputs'])} of activations for a batch of {batch_size}")
    if fixed >= free:
        fix = ("make the network smaller: fewer or narrower layers (tui-dl summary FILE shows the parameters of "
               "each layer; a Linear after a large Flatten is the usual cause)")
    else:
        fits = max(1, 2 ** int(math.log2(max(1, (free - fixed) // max(per_sample, 1)))))
        fix = (f"use a smaller batch (e.g. --set train.batch_size={fits}) or make the widest layers narrower"
               if fits < batch_size else "make the widest layers narrower")
    return (f"the network is too big for {device_name}: training it needs about {human_bytes(est['total'])} "
            f"({'; '.join(parts)}), but only {human_bytes(free)} of {where} is free. To train it, {fix}.")


def check_fits(summary: Summary, exp, device) -> None:
    """Raise :class:`SetupError` when training ``exp``'s network on ``device`` cannot fit (see the module doc)."""
    got = available_memory(device)
    if got is None:
        return
    free, where = got
    kind = getattr(device, "type", str(device))
    problem = memory_problem(summary, exp.train.batch_size, exp.train.optimizer.name, free, where,
                             "this computer" if kind == "cpu" else f"this {kind.upper()} device")
    if problem:
        raise SetupError(problem)
