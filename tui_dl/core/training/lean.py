"""Keep the GPU compiler out of a CPU-only process (issue 19: peak memory).

Every ``torch.optim`` step imports ``torch._dynamo`` (torch's compiler front end; ``_use_grad`` in
``torch/optim/optimizer.py`` imports it unconditionally), and on a CUDA build of torch that import pulls in
``triton``, the GPU kernel compiler: 76 MiB of memory on a machine that has no GPU to compile for (measured with
``/proc/self/status`` on torch 2.14, Xeon, 2 cores: ``import torch`` 507 MiB, ``+ import triton`` 582 MiB).

:func:`skip_gpu_compiler` marks ``triton`` as not installed (``sys.modules["triton"] = None``, what torch's own
CPU wheels look like) when no CUDA device is usable and nothing has imported triton yet; torch then answers
``has_triton() == False`` and works as without it (``train.compile: true`` on the CPU uses inductor's C++
backend, which needs no triton), and a machine with a GPU is left alone. ``TUI_DL_KEEP_TRITON=1`` turns this off.

What else the import costs (sympy, dynamo itself, ~75 MiB) cannot be avoided without replacing torch's
optimizer step; it is counted in ``python -m benchmarks --only memory``.
"""

from __future__ import annotations

import os
import sys

__all__ = ["skip_gpu_compiler"]


def skip_gpu_compiler() -> bool:
    """Mark triton as absent when it cannot be used (no CUDA device) and is not loaded yet; True when marked
    now or before."""
    if sys.modules.get("triton", 0) is None:
        return True
    if "triton" in sys.modules or os.environ.get("TUI_DL_KEEP_TRITON", "").strip() in ("1", "true", "yes"):
        return False
    import torch

    if torch.cuda.is_available():
        return False
    sys.modules["triton"] = None  # type: ignore[assignment] - "not installed", as importlib reads it
    return True
