"""``--format onnx``: an ONNX model (opset :data:`OPSET`, dynamic batch dimension) of the network with its
normalisation, checked with ``onnx.checker`` and, when onnxruntime is installed, run against the network
(outputs equal within :data:`TOLERANCE`). ``onnx`` is the optional extra ``tui-dl[onnx]``."""

from __future__ import annotations

import importlib.util
import io
import json
import warnings
from pathlib import Path
from typing import Any

import torch

from tui_dl.core.export.trained import ExportError, Trained, example_input
from tui_dl.core.i18n import N_, _
from tui_dl.core.runs.atomic import atomic_write

OPSET = 17
TOLERANCE = 1e-4
#: An English source (marked with N_): raised as ``_(MISSING)``.
MISSING = N_("--format onnx needs the onnx package, which is not installed. Install the extra: "
             "pip install 'tui-dl[onnx]' (or pip install onnx onnxruntime)")


def onnx_available() -> bool:
    return importlib.util.find_spec("onnx") is not None


def onnxruntime_available() -> bool:
    return importlib.util.find_spec("onnxruntime") is not None


def _torch_export(module: torch.nn.Module, example: torch.Tensor, input_name: str) -> bytes:
    buf = io.BytesIO()
    kwargs: dict[str, Any] = dict(input_names=[input_name], output_names=["logits"], opset_version=OPSET,
                                  dynamic_axes={input_name: {0: "batch"}, "logits": {0: "batch"}})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:  # the TorchScript-based exporter: needs only onnx, and keeps the names and the dynamic batch as asked
            torch.onnx.export(module, (example,), buf, dynamo=False, **kwargs)
        except TypeError:  # a torch without the dynamo switch (its exporter is this one)
            buf = io.BytesIO()
            torch.onnx.export(module, (example,), buf, **kwargs)
    return buf.getvalue()


def export_onnx(trained: Trained, path: Path, facts: dict[str, Any]) -> list[Path]:
    if not onnx_available():
        raise ExportError(_(MISSING))
    import onnx

    wrapped = trained.wrapped().eval()
    example = example_input(trained, 2)
    try:
        raw = _torch_export(wrapped, example, trained.input_name)
    except Exception as e:  # noqa: BLE001 - the exporter fails in many ways; say which, in one line
        first = str(e).strip().splitlines()[0] if str(e).strip() else ""
        raise ExportError(_("torch could not export the network to ONNX ({kind}: {error})").format(
            kind=type(e).__name__, error=first)) from None
    model = onnx.load_model_from_string(raw)
    model.doc_string = (f"{trained.name}, exported by {facts['exported_by']} from {trained.source_text()}. Input "
                        f"{facts['input']['name']} [N, {', '.join(map(str, trained.input_shape))}]: "
                        f"{facts['input']['scaling']}; the normalisation is inside. Output: logits.")
    meta = {"tui_dl": json.dumps(facts), "classes": json.dumps(trained.classes),
            "input_shape": json.dumps(list(trained.input_shape)), "opset": str(OPSET)}
    for k, v in meta.items():
        entry = model.metadata_props.add()
        entry.key, entry.value = k, v
    onnx.checker.check_model(model)
    data = model.SerializeToString()
    if onnxruntime_available():
        check_with_onnxruntime(data, trained, wrapped)
    atomic_write(path, lambda f: f.write(data), binary=True)
    return [path]


def check_with_onnxruntime(data: bytes, trained: Trained, wrapped: torch.nn.Module) -> float:
    """Run the ONNX model on a batch size the export never saw; ExportError when it differs from the network."""
    import onnxruntime as ort

    session = ort.InferenceSession(data, providers=["CPUExecutionProvider"])
    x = example_input(trained, 5, seed=1)
    got = session.run(["logits"], {trained.input_name: x.numpy()})[0]
    with torch.no_grad():
        want = wrapped(x).numpy()
    diff = float(abs(got - want).max())
    if not diff <= TOLERANCE:
        raise ExportError(_("the ONNX model does not reproduce the network in onnxruntime (largest difference "
                            "{diff:.3g}); export --format torchscript or py instead").format(diff=diff))
    return diff
