"""Where training runs: pick the device, describe it, and choose the CPU thread count.

``python -m tui_dl.core.device`` prints :func:`probe` as one JSON line: the app runs it in a subprocess
(torch's import takes seconds) to show the device and the datasets before anything trains.

``resolve_device("auto")`` asks ``torch.accelerator`` (CUDA → MPS → XPU, whatever this torch build has
and the machine really offers) and falls back to the CPU. An explicit request that the machine cannot
honour raises :class:`DeviceError` with a sentence for the student, never a torch traceback.
"""

from __future__ import annotations

import json
import os

import torch

from tui_dl.core.i18n import _, ngettext


class DeviceError(ValueError):
    """The requested device does not exist on this machine; ``str(e)`` says what to use instead."""


def cpu_cores() -> int:
    """Cores this process may run on (the affinity mask, not the machine's total)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # macOS, Windows
        return max(1, os.cpu_count() or 1)


def _accelerator() -> torch.device | None:
    acc = getattr(torch, "accelerator", None)
    if acc is not None and hasattr(acc, "current_accelerator"):
        try:
            # check_available=True matters: without it a CUDA build on a GPU-less machine says "cuda".
            return acc.current_accelerator(check_available=True)
        except TypeError:  # torch 2.6: no check_available argument
            dev = acc.current_accelerator()
            return dev if dev is not None and acc.is_available() else None
    if torch.cuda.is_available():
        return torch.device("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return torch.device("mps")
    return None


def _available(kind: str) -> tuple[bool, int]:
    """(available, device count) for one backend."""
    if kind == "cuda":
        return torch.cuda.is_available(), torch.cuda.device_count()
    if kind == "mps":
        mps = getattr(torch.backends, "mps", None)
        ok = bool(mps is not None and mps.is_available())
        return ok, int(ok)
    if kind == "xpu":
        xpu = getattr(torch, "xpu", None)
        ok = bool(xpu is not None and xpu.is_available())
        return ok, (xpu.device_count() if ok else 0)
    return kind == "cpu", 1


def resolve_device(pref: str | None = "auto") -> torch.device:
    """``auto`` → the accelerator if one is usable, else the CPU; ``cpu``/``cuda``/``cuda:N``/``mps``/``xpu``
    are checked. Raises :class:`DeviceError` when the machine does not have the device."""
    text = (pref or "auto").strip().lower()
    if text == "auto":
        dev = _accelerator()
        if dev is None:
            return torch.device("cpu")
        if dev.type == "cuda" and dev.index is None:  # several GPUs: the one with the most free memory
            from tui_dl.core.training.cuda_setup import best_cuda_device

            return best_cuda_device()
        return dev
    try:
        dev = torch.device(text)
    except RuntimeError:
        raise DeviceError(_("{value} is not a device: use auto, cpu, cuda, cuda:N or mps").format(
            value=repr(pref))) from None
    if dev.type == "cpu":
        return dev
    ok, count = _available(dev.type)
    if dev.type not in ("cuda", "mps", "xpu"):
        raise DeviceError(_("device {value} is not supported here: use auto, cpu, cuda, cuda:N or mps").format(
            value=repr(pref)))
    if not ok:
        what = {"cuda": "NVIDIA GPU (CUDA)", "mps": "Apple GPU (MPS)", "xpu": "Intel GPU (XPU)"}[dev.type]
        extra = ""
        if dev.type == "cuda":
            built = getattr(torch.version, "cuda", None)
            extra = (_(" This torch was built with CUDA {version}, but no usable GPU or driver was found.").format(
                version=built) if built else _(" This torch build has no CUDA support (a CPU-only wheel)."))
        raise DeviceError(_("device {value} was requested, but this machine has no {what}.{extra} "
                            "Use --device cpu (or auto, which picks the best device available).").format(
                                value=repr(text), what=what, extra=extra))
    if dev.index is not None and dev.index >= count:
        raise DeviceError(ngettext("device {value} was requested, but this machine has {n} {kind} device ({range}).",
                                   "device {value} was requested, but this machine has {n} {kind} devices ({range}).",
                                   count).format(value=repr(text), n=count, kind=dev.type,
                                                 range="cuda:0" + (f" … cuda:{count - 1}" if count > 1 else "")))
    if dev.type == "cuda" and dev.index is None:
        dev = torch.device("cuda", torch.cuda.current_device())
    return dev


def describe_device(dev: torch.device, threads: int | None = None) -> str:
    """A short badge text: ``NVIDIA H100 80GB HBM3 (79.2 GiB)`` or ``CPU (2 cores, 2 threads)`` (``threads``:
    the CPU threads training uses, when not torch's own count, as in a split-batch run)."""
    if dev.type == "cuda":
        try:
            props = torch.cuda.get_device_properties(dev)
            return f"{props.name} ({props.total_memory / 2**30:.1f} GiB)"
        except Exception:  # noqa: BLE001 - a badge must never fail
            return "CUDA GPU"
    if dev.type == "mps":
        return "Apple GPU (MPS)"
    if dev.type == "xpu":
        try:
            return f"{torch.xpu.get_device_name(dev)} (XPU)"
        except Exception:  # noqa: BLE001
            return "Intel GPU (XPU)"
    n = cpu_cores()
    t = threads or torch.get_num_threads()
    return f"CPU ({n} core{'s' if n != 1 else ''}, {t} thread{'s' if t != 1 else ''})"


#: Below this many multiply-adds per training step a network is too small to gain from a second thread (its
#: ops are microseconds long), while every extra OpenMP thread can stall at barriers when the CPU is shared.
SMALL_WORK_MACS = 2_000_000


def choose_threads(requested: int = 0, ui_thread: bool = False, macs_per_step: int | None = None) -> int:
    """torch CPU threads for training.

    ``requested`` > 0 wins. Otherwise: 1 thread for tiny networks (``macs_per_step`` below
    :data:`SMALL_WORK_MACS`); every core for headless runs; inside the app one core is left to the UI thread
    (Textual renders in Python on the main thread), so a 2-core machine trains with 1 thread there.

    The choice depends only on the machine and the network, never on the current load, so the same
    experiment gives the same numbers run after run (float results depend on the thread count).
    """
    if requested and requested > 0:
        return int(requested)
    cores = cpu_cores()
    if macs_per_step is not None and macs_per_step < SMALL_WORK_MACS:
        return 1
    if ui_thread:
        return max(1, cores - 1)
    return cores


def load_average() -> float | None:
    """The 1-minute load average (runnable threads, averaged): above the core count, other programs compete
    for the CPU. None where the OS has no load average."""
    try:
        return os.getloadavg()[0]
    except (AttributeError, OSError):
        return None


def set_threads(n: int) -> int:
    """Set torch's intra-op thread count once (a no-op when already set); returns it."""
    if torch.get_num_threads() != n:
        torch.set_num_threads(n)
    return torch.get_num_threads()


def probe() -> dict:
    """What the app shows before training starts: ``{"device": badge text, "datasets": {name: one line}}``.

    Never raises: a device that cannot be resolved is reported in the badge text, a dataset that cannot be
    described is left out.
    """
    try:
        device = describe_device(resolve_device("auto"))
    except Exception as e:  # noqa: BLE001 - a badge must never fail
        device = f"cpu: {os.cpu_count()} cores (device check failed: {type(e).__name__})"
    datasets: dict[str, str] = {}
    try:
        from tui_dl.core.config.schema import DATASETS
        from tui_dl.core.data import describe
    except Exception:  # noqa: BLE001
        return {"device": device, "datasets": datasets}
    for name in DATASETS:
        try:
            datasets[name] = str(describe(name))
        except Exception:  # noqa: BLE001
            pass
    return {"device": device, "datasets": datasets}


if __name__ == "__main__":  # python -m tui_dl.core.device [LANG]: the app's device probe (one JSON line)
    import sys

    from tui_dl.core import i18n

    # the dataset lines in the app's language (given, else the environment's); the JSON keys stay as they are
    i18n.set_language(sys.argv[1] if len(sys.argv) > 1 else i18n.language_from_environment())
    print(json.dumps(probe()))
