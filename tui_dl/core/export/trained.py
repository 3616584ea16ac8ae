"""A trained network ready to leave tui-dl: loaded from a run folder or a checkpoint, on the CPU, in eval mode,
with what it expects (:class:`Trained`), and the one module every export wraps it in
(:class:`WithPreprocessing`): images in [0, 1] → the trainer's normalisation → the network → logits.

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

from tui_dl.core.runs.checkpoint import CheckpointError, load_checkpoint, model_from_checkpoint, runs_inside


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


class Preprocess(nn.Module):
    """``(x - mean[c]) / std[c]`` per channel, for input already in [0, 1] (pixels / 255): the trainer's
    normalisation. Identity when there is no mean/std (features used as they are)."""

    def __init__(self, mean, std, sample_dims: int):
        super().__init__()
        view = (1, len(mean)) + (1,) * max(0, sample_dims - 1)
        self.enabled = bool(mean)
        m = torch.tensor([float(v) for v in mean] or [0.0], dtype=torch.float32)
        s = torch.tensor([float(v) for v in std] or [1.0], dtype=torch.float32)
        self.register_buffer("scale", (1.0 / s).view(view if mean else (1,)), persistent=False)
        self.register_buffer("shift", (m / s).view(view if mean else (1,)), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.enabled:
            return x
        return x * self.scale - self.shift


class WithPreprocessing(nn.Module):
    """``net(preprocess(x))``: images in [0, 1] (or features as they are) in, logits out."""

    def __init__(self, net: nn.Module, mean, std, sample_dims: int):
        super().__init__()
        self.preprocess = Preprocess(mean, std, sample_dims)
        self.net = net

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(self.preprocess(x))


def _checkpoint_file(where: str | Path) -> Path:
    """A run folder → its ``best.pt`` (else ``last.pt``); a file → itself."""
    from tui_dl.core.paths import PathProblem, expand_user

    try:
        p = expand_user(where)
    except PathProblem as e:
        raise ExportError(str(e)) from None
    if p.is_dir():
        for name in ("best.pt", "last.pt"):
            if (p / name).is_file():
                return p / name
        inside = runs_inside(p)
        hint = (f" It holds {'sweeps' if (inside[0] / 'sweep.json').is_file() else 'run folders'}: give one, "
                f"e.g. {inside[-1]}" if inside else "")
        raise ExportError(f"{where} has no best.pt or last.pt: it is not a tui-dl run folder, or its run stopped "
                          f"before the first checkpoint was written.{hint}")
    if not p.exists():
        raise ExportError(f"{where}: no such run folder or checkpoint (give a run folder such as "
                          f"runs/lenet-5-20250101-120000, or a .pt file in one)")
    return p


def _inference_entry(ckpt: dict[str, Any], path: Path) -> dict[str, Any]:
    facts = ckpt.get("inference")
    if not facts:
        summary = path.parent / "summary.json"
        try:
            facts = json.loads(summary.read_text(encoding="utf-8")).get("inference")
        except (OSError, ValueError):
            facts = None
    if not facts or not facts.get("input_shape") or not facts.get("classes"):
        raise ExportError(f"{path} does not say what input the network expects (no 'inference' entry; it was "
                          f"written by an older tui-dl). Continue the run for one epoch with this version "
                          f"(tui-dl --batch --resume {path.parent} --epochs N), then export the new checkpoint.")
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
