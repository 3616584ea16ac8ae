"""The text file written beside every export (``<file>.txt``): where the model came from, the input it expects
(name, shape, dtype, scaling, the normalisation inside it, opset), what comes out (logits, class names), the layer
table (output shapes, parameters, mult-adds) and how to load it in plain PyTorch. ONNX viewers and
``torch.jit.load`` show none of this. Plain Python."""

from __future__ import annotations

from typing import Any

from tui_dl import __version__
from tui_dl.core.model.layers import shape_str

FORMAT_TITLES = {"state_dict": "a PyTorch state_dict (.pt)", "torchscript": "TorchScript",
                 "onnx": "ONNX", "py": "a standalone PyTorch file (.py) with its weights (.pt)"}


def input_facts(trained, fmt: str, opset: int | None = None) -> dict[str, Any]:
    """The input and output an exported model has, as data (the ONNX metadata and the TorchScript extra file
    carry it as JSON)."""
    inf = trained.inference
    mean, std = list(inf.get("mean") or []), list(inf.get("std") or [])
    out_width = trained.summary.totals.out_shape
    facts: dict[str, Any] = {
        "exported_by": f"tui-dl {__version__}", "format": fmt, "name": trained.name,
        "checkpoint": str(trained.checkpoint), "epoch": trained.epoch,
        "input": {"name": trained.input_name, "shape": ["N", *trained.input_shape], "dtype": "float32",
                  "scaling": ("pixel values in [0, 1] (8-bit pixels / 255)" if trained.is_image
                              else "features as they are, no scaling")},
        "normalization": ({"inside_the_model": fmt != "state_dict", "formula": "(x - mean[c]) / std[c]",
                           "mean": mean, "std": std} if mean else None),
        "output": {"name": "logits", "shape": ["N", *out_width], "classes": trained.classes,
                   "loss": trained.loss, "last_layer": trained.last_layer},
    }
    if opset is not None:
        facts["opset"] = opset
    return facts


def _layer_table(summary) -> list[str]:
    rows = [("#", "Layer", "Output shape", "Params", "Mult-adds"),
            ("", "Input", shape_str(summary.input_shape), "", "")]
    for r in summary.rows:
        rows.append((r.index_text, "  " * r.depth + r.label, shape_str(r.out_shape) if r.out_shape else "?",
                     f"{r.params:,}", f"{r.macs:,}"))
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    out = []
    for row in rows:
        out.append("  ".join(c.ljust(widths[i]) if i < 3 else c.rjust(widths[i]) for i, c in enumerate(row)).rstrip())
    t = summary.totals
    out.append(f"Total params: {t.params:,} (trainable {t.trainable:,}; buffers {t.buffers:,});  "
               f"mult-adds per sample: {t.macs:,}")
    return out


def _usage(fmt: str, file: str, facts: dict[str, Any]) -> list[str]:
    shape = ", ".join(str(v) for v in facts["input"]["shape"][1:])
    x = f"x = torch.rand(8, {shape})  # a batch of 8 in [0, 1]"
    if fmt == "torchscript":
        return ["import torch", f"model = torch.jit.load({file!r})", x, "logits = model(x)"]
    if fmt == "onnx":
        return ["import numpy as np, onnxruntime as ort", f"session = ort.InferenceSession({file!r})",
                f"x = np.random.rand(8, {shape}).astype(np.float32)",
                f"logits = session.run(['logits'], {{{facts['input']['name']!r}: x}})[0]"]
    if fmt == "py":
        module = file.rsplit("/", 1)[-1].removesuffix(".py")
        return [f"from {module} import load_model   # {file}, with its weights beside it", "import torch",
                "model = load_model()", x, "logits = model(x)"]
    norm = facts["normalization"]
    lines = ["import torch", f"saved = torch.load({file!r}, weights_only=True)",
             "model = ...  # the same layers as nn.Sequential (tui-dl export --format py writes them out)",
             "model.load_state_dict(saved['model']); model.eval()"]
    if norm:
        lines += ["mean = torch.tensor(saved['mean']).view(1, -1, *[1] * (len(saved['input_shape']) - 1))",
                  "std = torch.tensor(saved['std']).view(1, -1, *[1] * (len(saved['input_shape']) - 1))",
                  x, "logits = model((x - mean) / std)"]
    else:
        lines += [x, "logits = model(x)"]
    return lines


def card_text(trained, fmt: str, file: str, facts: dict[str, Any], files: list[str]) -> str:
    """The text beside an export (``file``: how the usage snippet names it; ``files``: what was written)."""
    inp, out, norm = facts["input"], facts["output"], facts["normalization"]
    opset = f" (opset {facts['opset']})" if "opset" in facts else ""
    lines = [f"{trained.name}: exported by tui-dl {__version__} as {FORMAT_TITLES[fmt]}{opset}",
             f"from      {trained.source_text()}",
             f"files     {', '.join(files)}", "", "Input"]
    lines.append(f"  name      {inp['name']}")
    lines.append(f"  shape     [{', '.join(str(v) for v in inp['shape'])}]   (N: any batch size)")
    lines.append(f"  dtype     {inp['dtype']}")
    lines.append(f"  scaling   {inp['scaling']}")
    if norm:
        where = "inside the model: give it the [0, 1] values" if norm["inside_the_model"] else \
            "NOT inside the weights: apply it yourself before the network"
        lines.append(f"  normalisation  (x - mean[c]) / std[c], {where}")
        lines.append(f"            mean {norm['mean']}, std {norm['std']}")
    else:
        lines.append("  normalisation  none")
    if "opset" in facts:
        lines.append(f"  opset     {facts['opset']} (ai.onnx), dynamic batch dimension")
    lines += ["", "Output", f"  name      {out['name']}",
              f"  shape     [{', '.join(str(v) for v in out['shape'])}]   raw scores (trained with loss "
              f"{out['loss']}; the last layer is {out['last_layer'] or '-'})"]
    classes = out["classes"]
    shown = ", ".join(f"{i}: {c}" for i, c in enumerate(classes[:50]))
    lines.append(f"  classes   {shown}{' ...' if len(classes) > 50 else ''}")
    lines += ["", "Layers (after the normalisation)"] + ["  " + row for row in _layer_table(trained.summary)]
    lines += ["", "Load it in plain PyTorch"] + ["  " + row for row in _usage(fmt, file, facts)]
    return "\n".join(lines) + "\n"
