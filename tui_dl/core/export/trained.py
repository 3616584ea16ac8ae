"""A trained network ready to leave tui-dl: loaded from a run folder or a checkpoint, on the CPU, in eval mode,
with what it expects (:class:`Trained`), and the one module every export wraps it in
(:class:`~tui_dl.core.model.preprocess.WithPreprocessing`, shared with looking inside a model): images in [0, 1] →
the trainer's normalisation → the network → logits.

What the model expects comes from the checkpoint's ``inference`` entry (input shape, class names, the
normalisation; see :func:`tui_dl.core.training.summary.inference_facts`), or the run folder's ``summary.json``
for a checkpoint written before checkpoints carried it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from tui_dl.core.i18n import _
from tui_dl.core.model.preprocess import Preprocess, WithPreprocessing
from tui_dl.core.runs.checkpoint import CheckpointError, load_checkpoint, model_from_checkpoint, resolve_checkpoint_path


class ExportError(Exception):
    """A model that cannot be exported or used as asked; ``str(e)`` says why and what to do."""


@dataclass
class Trained:
    """A trained network and what it expects."""

    model: nn.Sequential          # eval mode, CPU, the weights of ``checkpoint``
    spec: Any                     # its NetworkSpec
    summary: Any                  # its shape Summary (layer table)
    inference: dict[str, Any]     # input_shape, classes, input_dtype, scale, mean, std, normalization
    name: str                     # the experiment's name
    checkpoint: Path              # the file the weights came from
    epoch: int | None             # the epoch the weights are from
    loss: str                     # the loss it was trained with (how to read the outputs)
    last_layer: str               # the type of its last layer

    @property
    def input_shape(self) -> tuple[int, ...]:
        return tuple(int(v) for v in self.inference["input_shape"])

    @property
    def classes(self) -> list[str]:
        return [str(c) for c in self.inference["classes"]]

    @property
    def is_image(self) -> bool:
        return self.inference.get("input_dtype") == "uint8"

    @property
    def input_name(self) -> str:
        return "images" if self.is_image else "features"

    def wrapped(self) -> "WithPreprocessing":
        """The network with its normalisation in front (what torchscript, onnx and py export)."""
        return WithPreprocessing(self.model, self.inference.get("mean") or (), self.inference.get("std") or (),
                                 len(self.input_shape))

    def source_text(self) -> str:
        epoch = f", epoch {self.epoch}" if self.epoch is not None else ""
        return f"{self.checkpoint}{epoch}"


def _checkpoint_file(where: str | Path) -> Path:
    """A run folder → its ``best.pt`` (else ``last.pt``); a file → itself."""
    try:
        return resolve_checkpoint_path(where, prefer=("best.pt", "last.pt"))
    except CheckpointError as e:
        raise ExportError(str(e)) from None


def _inference_entry(ckpt: dict[str, Any], path: Path) -> dict[str, Any]:
    facts = ckpt.get("inference")
    if not facts:
        summary = path.parent / "summary.json"
        try:
            facts = json.loads(summary.read_text(encoding="utf-8")).get("inference")
        except (OSError, ValueError):
            facts = None
    if not facts or not facts.get("input_shape") or not facts.get("classes"):
        raise ExportError(_("{path} does not say what input the network expects (no 'inference' entry; it was "
                            "written by an older tui-dl). Continue the run for one epoch with this version "
                            "(tui-dl --batch --resume {folder} --epochs N), then export the new checkpoint.").format(
            path=path, folder=path.parent))
    return facts


def load_trained(where: str | Path) -> Trained:
    """The trained network of a run folder (its best.pt, else last.pt) or a checkpoint file.
    Raises :class:`ExportError` (or :class:`CheckpointError`) with a message naming the file."""
    from tui_dl.core.model.shapes import summarize
    from tui_dl.core.model.spec import NetworkSpec

    path = _checkpoint_file(where)
    try:
        ckpt = load_checkpoint(path, map_location="cpu")
        model, ckpt = model_from_checkpoint(ckpt, map_location="cpu", source=str(path))
    except CheckpointError as e:
        raise ExportError(str(e)) from None
    spec = NetworkSpec.from_dict(ckpt["spec"])
    facts = _inference_entry(ckpt, path)
    train = (ckpt.get("experiment") or {}).get("train") or {}
    loss = train.get("loss") or "cross_entropy"
    loss = loss.get("name", "cross_entropy") if isinstance(loss, dict) else str(loss)
    exp_name = str((ckpt.get("experiment") or {}).get("name") or path.parent.name)
    epoch = ckpt.get("epoch")
    return Trained(model=model, spec=spec, summary=summarize(spec), inference=dict(facts), name=exp_name,
                   checkpoint=path, epoch=int(epoch) if isinstance(epoch, int) else None, loss=loss,
                   last_layer=spec.layers[-1].type if spec.layers else "")


def example_input(trained: Trained, n: int = 2, seed: int = 0) -> torch.Tensor:
    """A batch shaped ``[n, *input_shape]`` in the exported models' scale ([0, 1] for images)."""
    g = torch.Generator().manual_seed(seed)
    x = torch.rand((n, *trained.input_shape), generator=g)
    return x if trained.is_image else x * 2 - 1
