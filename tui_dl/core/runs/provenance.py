"""Where a run came from: the record ``summary.json`` and the run's first event carry, so a TA or an engineer can
tell how any result was made and whether two runs were made the same way.

``provenance(...)`` gathers, at the start of a run: the command line (``argv``), the ``--set`` overrides, the
experiment file, a SHA-256 of the resolved config (the ``config.yaml`` text the run writes, every default filled
in, so two runs with equal hashes trained the same experiment), the start time (UTC, ISO 8601), the host name and
process id, the versions (tui-dl, torch, Python), the device and the CPU thread count. :func:`finish` adds the
end time. The hash of the initial weights, :func:`state_sha256`, is written beside it as ``init_sha256`` by the trainer:
two runs with equal ``init_sha256`` started from the same weights, bit for bit (a comparison sweep's runs do).

Plain Python at import (no torch; :func:`state_sha256` imports it to read the tensors' bytes): the caller passes
the versions it already knows.
"""

from __future__ import annotations

import hashlib
import os
import platform
import socket
import sys
import time
from typing import Any, Mapping, Sequence

__all__ = ["provenance", "finish", "config_sha256", "utc_now", "Origin", "state_sha256"]

#: What the front end knows about how the run was asked for: ``argv``, ``overrides`` (the ``--set`` items) and
#: ``source`` (the experiment file); any key may be missing.
Origin = dict


def utc_now() -> str:
    """The time now in UTC, ISO 8601 to the millisecond (``2026-12-03T12:28:15.123Z``)."""
    t = time.time()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + f".{int(t * 1000) % 1000:03d}Z"


def config_sha256(config_text: str) -> str:
    """SHA-256 (hex) of the resolved config's YAML text, as ``config.yaml`` holds it."""
    return hashlib.sha256(config_text.encode("utf-8")).hexdigest()


def provenance(*, config_text: str, origin: Origin | None = None, source: str | None = None,
               versions: dict[str, str] | None = None, device: str = "", device_name: str = "",
               threads: int = 0) -> dict[str, Any]:
    """The provenance record of a run starting now. ``origin`` comes from the front end (``tui-dl --batch``
    passes its argv, overrides and file); without it ``sys.argv`` stands in and ``source`` names the file."""
    origin = dict(origin or {})
    argv: Sequence[str] = origin.get("argv") if origin.get("argv") is not None else sys.argv
    return {
        "argv": [str(a) for a in argv],
        "overrides": [str(o) for o in origin.get("overrides") or ()],
        "source": str(origin.get("source") or source or ""),
        "config_sha256": config_sha256(config_text),
        "started_at": utc_now(),
        "ended_at": None,
        "hostname": socket.gethostname(),
        "pid": os.getpid(),
        "versions": dict(versions or {"python": platform.python_version()}),
        "device": device,
        "device_name": device_name,
        "threads": int(threads),
    }


def finish(record: dict[str, Any] | None) -> dict[str, Any]:
    """``record`` with its end time set to now (a new dict)."""
    return {**(record or {}), "ended_at": utc_now()}


def state_sha256(state: Mapping[str, Any]) -> str:
    """The SHA-256 (hex) of a ``state_dict``: for each entry in sorted key order, its name, dtype, shape and the
    raw bytes of its values (on the CPU, contiguous; the memory format, e.g. channels-last, does not count).
    Parameters and buffers both count; entries that are not tensors (a BatchNorm's int counter is a tensor) are
    hashed by their ``repr``."""
    import torch

    h = hashlib.sha256()
    for key in sorted(state):
        t = state[key]
        h.update(key.encode("utf-8") + b"\0")
        if not isinstance(t, torch.Tensor):
            h.update(b"repr:" + repr(t).encode("utf-8") + b"\0")
            continue
        t = t.detach().to("cpu").contiguous()
        h.update(f"{t.dtype}|{tuple(t.shape)}".encode() + b"\0")
        h.update(t.reshape(-1).view(torch.uint8).numpy().tobytes() if t.numel() else b"")
    return h.hexdigest()
