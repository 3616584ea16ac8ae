"""The two PyTorch exports: ``state_dict`` (the weights with what they expect, plain data) and ``torchscript`` (the
network with its normalisation, loadable with ``torch.jit.load`` without tui-dl)."""

from __future__ import annotations

import io
import json
import warnings
from pathlib import Path
from typing import Any

import torch

from tui_dl import __version__
from tui_dl.core.export.trained import ExportError, Trained, example_input
from tui_dl.core.i18n import _
from tui_dl.core.runs.atomic import atomic_write
from tui_dl.core.runs.checkpoint import on_cpu

STATE_DICT_FORMAT = "tui-dl-state-dict"
TOLERANCE = 1e-4


def state_dict_payload(trained: Trained) -> dict[str, Any]:
    """What ``--format state_dict`` saves: plain tensors, numbers, strings and lists (``torch.load(path,
    weights_only=True)`` opens it); ``model`` holds the network's weights (keys as in its ``nn.Sequential``)."""
    inf = trained.inference
    return on_cpu({
        "format": STATE_DICT_FORMAT, "format_version": 1, "tui_dl_version": __version__,
        "name": trained.name, "model": trained.model.state_dict(),
        "input_shape": list(trained.input_shape), "classes": trained.classes,
        "input_dtype": inf.get("input_dtype", "float32"), "scale": float(inf.get("scale", 1.0)),
        "mean": [float(v) for v in inf.get("mean") or []], "std": [float(v) for v in inf.get("std") or []],
        "normalization": inf.get("normalization", ""), "loss": trained.loss, "spec": trained.spec.to_dict(),
    })


def export_state_dict(trained: Trained, path: Path) -> list[Path]:
    payload = state_dict_payload(trained)
    atomic_write(path, lambda f: torch.save(payload, f), binary=True)
    return [path]


def _script(module: torch.nn.Module, example: torch.Tensor):
    """``torch.jit.script`` (any batch size, no tracing assumptions), or a trace when scripting fails."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return torch.jit.script(module)
        except Exception:  # noqa: BLE001 - scripting refuses some modules; a trace of this feed-forward net is exact
            with torch.no_grad():
                return torch.jit.trace(module, example, check_trace=False)


def export_torchscript(trained: Trained, path: Path, facts: dict[str, Any]) -> list[Path]:
    wrapped = trained.wrapped().eval()
    example = example_input(trained, 2)
    scripted = _script(wrapped, example)
    extra = {"tui_dl.json": json.dumps(facts, indent=2)}
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.jit.save(scripted, buf, _extra_files=extra)
        # check the file as a user will load it, on a batch size the export never saw
        again = torch.jit.load(io.BytesIO(buf.getvalue()), map_location="cpu")
    x = example_input(trained, 3, seed=1)
    with torch.no_grad():
        diff = (again(x) - wrapped(x)).abs().max().item()
    if not diff <= TOLERANCE:
        raise ExportError(_("the TorchScript module does not reproduce the network (largest difference {diff:.3g}); "
                            "export --format py or state_dict instead").format(diff=diff))
    atomic_write(path, lambda f: f.write(buf.getvalue()), binary=True)
    return [path]
