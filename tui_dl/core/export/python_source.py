"""``--format py``: one standalone Python file that needs only torch. It holds the network as a plain
``nn.Sequential`` (and the ``Residual`` block when the network has one), the input constants (shape, classes,
mean/std) and ``load_model(weights_path)``, which returns the ready module (normalisation in front, eval mode);
its weights are the ``state_dict`` export, written beside it. The file is checked before it is written: run in
a fresh namespace, it must reproduce the network's outputs."""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

import torch
from torch import nn

from tui_dl import __version__
from tui_dl.core.export.torch_formats import TOLERANCE, export_state_dict
from tui_dl.core.export.trained import ExportError, Trained, example_input
from tui_dl.core.i18n import _
from tui_dl.core.model.modules import Residual
from tui_dl.core.runs.atomic import atomic_write

_SKIP = {"self", "device", "dtype"}

_RESIDUAL = '''

class Residual(nn.Module):
    """y = body(x) + skip(x): skip is the identity, or the 1x1 convolution / linear projection ``proj``."""

    def __init__(self, body, proj=None):
        super().__init__()
        self.body = nn.Sequential(*body)
        self.proj = proj

    def forward(self, x):
        return self.body(x) + (x if self.proj is None else self.proj(x))
'''

_TEMPLATE = '''"""{name}: the trained network, exported by tui-dl {version} from {source}.

Needs only PyTorch. The weights are in {weights} (beside this file):

    from {module} import load_model
    model = load_model()            # or load_model("path/to/{weights}")
    logits = model(x)               # x: float32 [N, {shape}], {scaling}

The normalisation the network was trained with is inside the model; outputs are raw scores (logits),
output i is CLASSES[i].
"""

from pathlib import Path

import torch
from torch import nn

INPUT_SHAPE = {input_shape!r}
CLASSES = {classes!r}
MEAN = {mean!r}  # per channel, applied to values in [0, 1]: (x - MEAN[c]) / STD[c]
STD = {std!r}
WEIGHTS = Path(__file__).with_name({weights!r})
{residual}

class Normalize(nn.Module):
    """(x - MEAN[c]) / STD[c] per channel (nothing when MEAN is empty)."""

    def __init__(self):
        super().__init__()
        view = (1, len(MEAN)) + (1,) * (len(INPUT_SHAPE) - 1)
        self.enabled = bool(MEAN)
        self.register_buffer("mean", torch.tensor(MEAN or [0.0]).view(view if MEAN else (1,)), persistent=False)
        self.register_buffer("std", torch.tensor(STD or [1.0]).view(view if MEAN else (1,)), persistent=False)

    def forward(self, x):
        return (x - self.mean) / self.std if self.enabled else x


def build_network():
    """The network's layers, exactly as trained (its weights come from load_model)."""
    return nn.Sequential(
{layers}
    )


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.normalize = Normalize()
        self.net = build_network()

    def forward(self, x):
        return self.net(self.normalize(x))


def load_model(weights_path=WEIGHTS, map_location="cpu"):
    """The ready model: the trained weights loaded, in eval mode."""
    saved = torch.load(weights_path, map_location=map_location, weights_only=True)
    model = Model()
    model.net.load_state_dict(saved["model"] if "model" in saved else saved)
    return model.eval()


if __name__ == "__main__":
    model = load_model()
    x = torch.rand(2, *INPUT_SHAPE)
    print("logits for a random batch of 2:", model(x).tolist())
'''


def _value_of(m: nn.Module, name: str, param: inspect.Parameter) -> Any:
    if name == "bias" and isinstance(getattr(m, "bias", None), (torch.Tensor, type(None))):
        return getattr(m, "bias", None) is not None
    if hasattr(m, name):
        return getattr(m, name)
    return param.default


def module_source(m: nn.Module, indent: int) -> str:
    """The constructor call that builds a module like ``m`` (its weights aside)."""
    pad = " " * indent
    if isinstance(m, Residual):
        body = ",\n".join(module_source(c, indent + 4) for c in m.body)
        proj = "None" if m.proj is None else module_source(m.proj, 0).strip()
        return f"{pad}Residual([\n{body},\n{pad}], proj={proj})"
    cls = type(m)
    if getattr(nn, cls.__name__, None) is not cls:
        raise ExportError(_("the layer {name} is not a torch.nn module, so --format py cannot write it out; use "
                            "--format torchscript or onnx").format(name=cls.__name__))
    args = []
    for name, param in inspect.signature(cls.__init__).parameters.items():
        if name in _SKIP or param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        value = _value_of(m, name, param)
        if value is inspect.Parameter.empty:
            raise ExportError(_("--format py cannot tell {layer}'s argument {name}; use --format torchscript").format(
                layer=cls.__name__, name=name))
        if param.default is not inspect.Parameter.empty and _same(value, param.default):
            continue
        if isinstance(value, list):
            value = tuple(value)
        if not isinstance(value, (bool, int, float, str, tuple, type(None))):
            raise ExportError(_("--format py cannot write {layer}'s {name}={value}; use --format torchscript").format(
                layer=cls.__name__, name=name, value=repr(value)))
        args.append(f"{name}={value!r}")
    return f"{pad}nn.{cls.__name__}({', '.join(args)})"


def _same(a: Any, b: Any) -> bool:
    try:
        return type(a) is type(b) and bool(a == b)
    except Exception:  # noqa: BLE001
        return False


def python_source(trained: Trained, weights_name: str, module_name: str) -> str:
    """The standalone file's text (``weights_name``: the .pt file beside it)."""
    has_residual = any(isinstance(m, Residual) for m in trained.model.modules())
    layers = ",\n".join(module_source(m, 8) for m in trained.model) + ","
    inf = trained.inference
    return _TEMPLATE.format(
        name=trained.name, version=__version__, source=trained.source_text(), weights=weights_name,
        module=module_name, shape=", ".join(map(str, trained.input_shape)),
        scaling="pixel values in [0, 1]" if trained.is_image else "features as they are",
        input_shape=tuple(trained.input_shape), classes=trained.classes,
        mean=[float(v) for v in inf.get("mean") or []], std=[float(v) for v in inf.get("std") or []],
        residual=_RESIDUAL if has_residual else "", layers=layers)


def check_source(source: str, trained: Trained, weights: Path) -> float:
    """Import the file's code as a module of its own (from a temporary folder) and compare its model with the
    network; ExportError when it does not load or does not give the same outputs."""
    import importlib.util
    import tempfile

    with tempfile.TemporaryDirectory(prefix="tui-dl-export-") as tmp:
        file = Path(tmp) / "exported_model.py"
        file.write_text(source, encoding="utf-8")
        try:
            spec = importlib.util.spec_from_file_location("tui_dl_exported_model_check", file)
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            model = module.load_model(weights)
        except Exception as e:  # noqa: BLE001
            raise ExportError(_("the generated Python file does not load the network ({kind}: {error}); use "
                                "--format torchscript").format(kind=type(e).__name__, error=e)) from None
    x = example_input(trained, 3, seed=1)
    with torch.no_grad():
        diff = (model(x) - trained.wrapped()(x)).abs().max().item()
    if not diff <= TOLERANCE:
        raise ExportError(_("the generated Python file does not reproduce the network (largest difference "
                            "{diff:.3g}); use --format torchscript").format(diff=diff))
    return diff


def export_py(trained: Trained, path: Path) -> list[Path]:
    weights = path.with_suffix(".pt")
    if weights == path:
        raise ExportError(_("{path}: the Python file needs a name ending in .py (its weights go beside it, as "
                            ".pt)").format(path=path))
    source = python_source(trained, weights.name, path.stem)
    export_state_dict(trained, weights)
    check_source(source, trained, weights)
    atomic_write(path, lambda f: f.write(source))
    return [path, weights]
