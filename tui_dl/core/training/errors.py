"""The trainer's two exceptions, and how an out-of-memory error is recognised and explained."""

from __future__ import annotations

import errno

import torch

from tui_dl.core.i18n import _

__all__ = ["TrainError", "SetupError", "WriteError", "write_error", "is_oom", "oom_error"]


class TrainError(Exception):
    """Training could not go on (out of memory, disk full...); ``str(e)`` is written for the student."""

    exit_code = 1


class SetupError(TrainError):
    """The run cannot start: the network, loss, dataset, device or checkpoint do not fit (a config problem)."""

    exit_code = 2


class WriteError(TrainError):
    """A file of the run could not be written (a full disk, a quota, a read-only or failing disk): the run stops
    with the previous checkpoint kept. Exit code 2, as for any other problem of this computer's set-up."""

    exit_code = 2


#: errno values that mean "no room": the advice is to free some space.
NO_ROOM = frozenset(e for e in (errno.ENOSPC, getattr(errno, "EDQUOT", None), errno.EFBIG) if e is not None)


def write_error(what: str, e: OSError, *, resume: str | None, kept: bool = False) -> WriteError:
    """One line for a failed write of ``what`` (``"could not write PATH"``): the reason, whether the previous
    checkpoint is kept, and the command that continues (``resume``: the run folder; None when no checkpoint exists
    yet, so the run must start again)."""
    why = e.strerror or str(e) or type(e).__name__
    no_room = e.errno in NO_ROOM
    if resume is not None:
        if no_room:
            fix = _("Free some disk space, then continue with: tui-dl --batch --resume {folder}")
        else:
            fix = _("Fix that, then continue with: tui-dl --batch --resume {folder}")
        fix = fix.format(folder=resume)
    else:
        fix = _("Free some disk space, then start the run again") if no_room else _("Fix that, then start the run again")
    # TRANSLATORS: {what} is "could not write PATH", {why} the system's reason (in English), {fix} the advice.
    if kept:
        text = _("{what}: {why}. The previous checkpoint is kept. {fix}")
    else:
        text = _("{what}: {why}. {fix}")
    return WriteError(text.format(what=what, why=why, fix=fix))


def is_oom(e: BaseException) -> bool:
    """Whether ``e`` is torch (or the C allocator) running out of memory."""
    if isinstance(e, getattr(torch, "OutOfMemoryError", ())):
        return True
    text = str(e).lower()
    return "out of memory" in text or "can't allocate memory" in text or "not enough memory" in text


def oom_error(bs: int, dev: torch.device) -> TrainError:
    """The out-of-memory message: which device, and the smaller batch to try."""
    smaller = max(1, bs // 2)
    if dev.type == "cpu":
        text = _("out of memory on the CPU with batch_size {bs}: use a smaller batch (e.g. "
                 "--set train.batch_size={smaller}) or a smaller network.")
    else:
        text = _("out of memory on {device} with batch_size {bs}: use a smaller batch (e.g. "
                 "--set train.batch_size={smaller}) or a smaller network.")
    return TrainError(text.format(device=dev.type.upper(), bs=bs, smaller=smaller))
