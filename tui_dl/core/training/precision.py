"""``train.precision``: fp32, bf16 or fp16 training through autocast.

:func:`make_precision` turns the setting and the device into a :class:`Precision`: ``autocast()`` is the context
the forward pass and the loss run in, ``scaler`` the ``GradScaler`` that fp16 needs (its small exponent range
underflows small gradients unless the loss is scaled up first). The weights, gradients and optimizer state stay
fp32 in every mode (mixed precision), so checkpoints are the same whatever the precision.

bf16 on the CPU is fast only where the CPU has native bf16 instructions (AVX512-BF16 or AMX-BF16, Intel Cooper
Lake / Sapphire Rapids and newer, AMD Zen 4 and newer); elsewhere oneDNN emulates it, usually slower than fp32,
and the run says so (:func:`cpu_bf16_native`). fp16 needs a CUDA GPU.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
from typing import Any, Callable, ContextManager

import torch

from tui_dl.core.i18n import N_, _
from tui_dl.core.training.events import english

__all__ = ["Precision", "make_precision", "check_precision", "cpu_bf16_native", "PrecisionError", "CPU_BF16_FLAGS"]

#: /proc/cpuinfo flags that mean native bf16 arithmetic on x86 CPUs.
CPU_BF16_FLAGS = ("avx512_bf16", "amx_bf16")


class PrecisionError(ValueError):
    """``train.precision`` cannot run on this device; ``str(e)`` says what to use instead."""


@functools.lru_cache(maxsize=1)
def cpu_bf16_native() -> tuple[bool, str]:
    """(native, how it was found): whether this CPU computes bf16 natively. Asks torch first
    (``torch.backends.mkldnn`` / ``torch.cpu`` where they expose it), then ``/proc/cpuinfo``'s flags."""
    for probe in ("_is_avx512_bf16_supported", "_is_amx_tile_supported"):
        fn = getattr(torch.cpu, probe, None) or getattr(torch._C._cpu, probe, None)
        if fn is not None:
            try:
                if fn():
                    return True, f"torch ({probe.strip('_')})"
            except Exception:  # noqa: BLE001 - a probe must never fail the run
                pass
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as f:
            flags: set[str] = set()
            for line in f:
                if line.startswith("flags"):
                    flags.update(line.split(":", 1)[1].split())
                    break
    except OSError:
        return False, "unknown (no /proc/cpuinfo)"
    found = [f for f in CPU_BF16_FLAGS if f in flags]
    return (True, "cpu flags " + ", ".join(found)) if found else (False, "cpu flags lack avx512_bf16/amx_bf16")


@dataclasses.dataclass
class Precision:
    """How one run's steps compute: ``name`` (fp32/bf16/fp16), ``dtype`` (the autocast dtype, None for fp32),
    the device type, the fp16 ``scaler`` (None otherwise) and the ``notices`` the run shows."""

    name: str
    device_type: str
    dtype: torch.dtype | None = None
    scaler: Any = None
    notices: tuple[tuple[str, str], ...] = ()

    @property
    def mixed(self) -> bool:
        return self.dtype is not None

    def autocast(self) -> ContextManager:
        """The forward pass's context: ``torch.autocast`` in bf16/fp16, nothing in fp32."""
        if self.dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(self.device_type, dtype=self.dtype)

    def save_into(self, checkpoint: dict[str, Any]) -> dict[str, Any]:
        """``checkpoint`` with the fp16 scaler's state (``grad_scaler``), so a resumed run keeps its scale."""
        if self.scaler is not None:
            checkpoint["grad_scaler"] = self.scaler.state_dict()
        return checkpoint

    def restore_from(self, checkpoint: dict[str, Any]) -> None:
        state = checkpoint.get("grad_scaler")
        if self.scaler is not None and isinstance(state, dict) and state:
            self.scaler.load_state_dict(state)

    def backward(self, loss: torch.Tensor) -> None:
        (self.scaler.scale(loss) if self.scaler is not None else loss).backward()

    def step(self, optimizer: torch.optim.Optimizer, params, grad_clip: float | None,
             opt_step: Callable[[], None]) -> None:
        """Clip (after unscaling) and step: through the scaler in fp16, which skips a step whose gradients
        overflowed and lowers its scale."""
        if self.scaler is None:
            if grad_clip:
                torch.nn.utils.clip_grad_norm_(params, grad_clip)
            opt_step()
            return
        self.scaler.unscale_(optimizer)
        if grad_clip:
            torch.nn.utils.clip_grad_norm_(params, grad_clip)
        # GradScaler.step calls optimizer.step() unless an inf/nan was found; opt_step wraps it for grad stats
        original = optimizer.step

        def through_recorder(*_args, **_kwargs):
            optimizer.step = original  # type: ignore[method-assign]
            opt_step()

        try:
            optimizer.step = through_recorder  # type: ignore[method-assign]
            self.scaler.step(optimizer)
        finally:
            optimizer.step = original  # type: ignore[method-assign]
        self.scaler.update()


def make_precision(name: str, device: torch.device) -> Precision:
    """The :class:`Precision` of ``train.precision`` on ``device``; :class:`PrecisionError` when the device
    cannot run it (fp16 off CUDA)."""
    dev = torch.device(device)
    name = (name or "fp32").lower()
    if name == "fp32":
        return Precision("fp32", dev.type)
    if name == "fp16":
        if dev.type != "cuda":
            raise PrecisionError(_("train.precision: fp16 needs a CUDA GPU (this run is on {device}); on the CPU "
                                   "use bf16 (fast where the CPU has native bf16) or fp32").format(device=dev.type))
        return Precision("fp16", "cuda", torch.float16, torch.amp.GradScaler("cuda"),
                         (("info", english(N_("precision fp16: autocast with a gradient scaler (weights stay fp32)"))),))
    if name != "bf16":
        raise PrecisionError(_("train.precision: {name!r} is not one of fp32, bf16, fp16").format(name=name))
    if dev.type == "cuda":
        notes: list[tuple[str, str]] = [("info", english(N_("precision bf16: autocast (weights stay fp32)")))]
        if not torch.cuda.is_bf16_supported():
            notes.append(("warning", english(N_("precision bf16: this GPU has no native bf16 (Ampere or newer has "
                                                "it): it is emulated and slow; use fp16 or fp32"))))
        return Precision("bf16", "cuda", torch.bfloat16, None, tuple(notes))
    if dev.type == "cpu":
        native, how = cpu_bf16_native()
        if native:
            note = ("info", english(N_("precision bf16: autocast on a CPU with native bf16 ({how}; weights stay "
                                       "fp32)"), how=how))
        else:
            note = ("warning", english(N_("precision bf16: this CPU has no native bf16 ({how}): it is emulated and "
                                          "usually slower than fp32; use train.precision: fp32 here"), how=how))
        return Precision("bf16", "cpu", torch.bfloat16, None, (note,))
    return Precision("bf16", dev.type, torch.bfloat16, None,
                     (("info", english(N_("precision bf16: autocast on {device} (weights stay fp32)"), device=dev.type)),))


def check_precision(name: str, device: torch.device) -> Precision:
    """:func:`make_precision`, its refusal as the trainer's :class:`~tui_dl.core.training.errors.SetupError`."""
    from tui_dl.core.training.errors import SetupError

    try:
        return make_precision(name, device)
    except PrecisionError as e:
        raise SetupError(str(e)) from None
