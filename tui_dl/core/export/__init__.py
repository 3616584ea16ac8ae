"""A trained model leaves tui-dl: ``tui-dl export RUN_OR_CKPT --format state_dict|torchscript|onnx|py``.

The ``torchscript``, ``onnx`` and ``py`` forms take images in [0, 1] (8-bit pixels / 255), shaped
``[N, *input_shape]``, with the trainer's normalisation inside, and return logits: the three agree on the same
input. ``state_dict`` holds the weights with the mean/std, input shape and class names as data. Beside every
exported file, ``<file>.txt`` (:mod:`~tui_dl.core.export.card`) says what goes in and out and lists the layers.

One module per format family: :mod:`~tui_dl.core.export.torch_formats` (state_dict, torchscript),
:mod:`~tui_dl.core.export.onnx_format`, :mod:`~tui_dl.core.export.python_source`; loading a run in
:mod:`~tui_dl.core.export.trained`; the preprocessing wrapper (shared with looking inside a model) in
:mod:`~tui_dl.core.model.preprocess`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from tui_dl.core.export.trained import ExportError, Trained, load_trained
from tui_dl.core.i18n import _

__all__ = ["FORMATS", "ExportError", "ExportResult", "Trained", "default_output", "export_model", "load_trained"]

FORMATS = ("state_dict", "torchscript", "onnx", "py")
SUFFIXES = {"state_dict": ".pt", "torchscript": ".torchscript.pt", "onnx": ".onnx", "py": ".py"}


@dataclass(frozen=True)
class ExportResult:
    format: str
    files: list[Path]      # the exported file(s): the model (and, for py, its weights)
    card: Path             # the text beside it
    opset: int | None = None


def _stem(name: str) -> str:
    """A file and Python-module friendly name: ``LeNet-5`` → ``lenet_5``."""
    s = re.sub(r"[^0-9a-zA-Z]+", "_", name).strip("_").lower() or "model"
    return s if not s[0].isdigit() else f"model_{s}"


def default_output(trained: Trained, fmt: str) -> Path:
    """``<name><suffix>`` in the current folder, e.g. ``lenet_5.onnx``."""
    return Path(_stem(trained.name) + SUFFIXES[fmt])


def export_model(trained: Trained, fmt: str, output: Path | None = None) -> ExportResult:
    """Write ``trained`` in format ``fmt`` to ``output`` (default :func:`default_output`) and its card beside it.
    Raises :class:`ExportError` (the message says what to do) or OSError (the file could not be written)."""
    from tui_dl.core.export.card import card_text, input_facts

    if fmt not in FORMATS:
        raise ExportError(_("--format {fmt}: choose one of {formats}").format(fmt=fmt, formats=", ".join(FORMATS)))
    path = Path(output) if output is not None else default_output(trained, fmt)
    if path.is_dir():
        path = path / default_output(trained, fmt).name
    if not path.parent.is_dir():
        raise ExportError(_("-o {path}: the folder {folder} does not exist").format(path=path, folder=path.parent))
    opset = None
    if fmt == "onnx":
        from tui_dl.core.export.onnx_format import OPSET, export_onnx

        opset = OPSET
        facts = input_facts(trained, fmt, opset)
        files = export_onnx(trained, path, facts)
    elif fmt == "py":
        from tui_dl.core.export.python_source import export_py

        if path.suffix != ".py":
            raise ExportError(_("-o {path}: a --format py export is a .py file (its weights go beside it as "
                                ".pt)").format(path=path))
        facts = input_facts(trained, fmt)
        files = export_py(trained, path)
    else:
        from tui_dl.core.export.torch_formats import export_state_dict, export_torchscript

        facts = input_facts(trained, fmt)
        files = export_state_dict(trained, path) if fmt == "state_dict" else export_torchscript(trained, path, facts)
    from tui_dl.core.runs.atomic import atomic_write

    card = path.with_name(path.name + ".txt")
    text = card_text(trained, fmt, path.name, facts, [f.name for f in files])
    atomic_write(card, lambda f: f.write(text))
    return ExportResult(fmt, files, card, opset)
