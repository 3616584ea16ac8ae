"""Where a run's numbers came from: ``init_sha256``, the SHA-256 of the network's initial weights.

Two runs whose ``init_sha256`` (in ``summary.json``) are equal started from the same weights, bit for bit: a
comparison sweep (``tui-dl --batch FILE --sweep ...``) shows it, so its curves differ only by what was swept.
Plain Python at import (torch is needed only to read the tensors' bytes, and is imported inside).
"""

from __future__ import annotations

import hashlib
from typing import Any, Mapping

__all__ = ["state_sha256"]


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
