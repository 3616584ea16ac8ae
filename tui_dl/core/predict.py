"""A trained network on new samples: image files read and resized the way the image-folder dataset reads them
(grey ``L`` or ``RGB`` by the input's channels, bilinear to its height and width), or one image of an IDX file;
then the trainer's normalisation, the network, and the top-k classes with their probabilities.

How an output becomes a probability follows the loss the network was trained with: softmax of the logits for
cross_entropy and focal (the values themselves after a final Softmax, exp after LogSoftmax), the sigmoid for a
one-output bce/focal net (probability of class 1; a final Sigmoid is already one), and for mse/mae the raw
scores (``kind: "score"``, not probabilities).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import torch

from tui_dl.core.export.trained import ExportError, Trained
from tui_dl.core.i18n import _

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff", ".pgm", ".ppm")


class PredictError(ExportError):
    """An input that cannot be fed to the network; ``str(e)`` names the file and what to do."""


@dataclass(frozen=True)
class Prediction:
    source: str                          # the file (and index, for IDX)
    top: list[tuple[int, str, float]]    # (class index, class name, probability or score), best first
    kind: str                            # "probability" or "score"

    def to_json(self) -> dict:
        return {"input": self.source, "kind": self.kind,
                "top": [{"index": i, "class": c, self.kind: v} for i, c, v in self.top]}


def _image_geometry(trained: Trained) -> tuple[str, tuple[int, int]]:
    shape = trained.input_shape
    if not trained.is_image or len(shape) != 3 or shape[0] not in (1, 3):
        text = (_("this network takes {shape} features per sample, not images, so it cannot classify an image file")
                if len(shape) == 1 else
                _("this network takes {shape} values per sample, not images, so it cannot classify an image file"))
        raise PredictError(text.format(shape=list(shape)))
    return ("L" if shape[0] == 1 else "RGB"), (shape[2], shape[1])


def read_image(path: str | Path, trained: Trained, invert: bool = False) -> torch.Tensor:
    """One image file as a uint8 tensor shaped like the network's input (``[C, H, W]``)."""
    import numpy as np
    from PIL import Image

    from tui_dl.core.data import DataError
    from tui_dl.core.data.image_folder import _decode_image

    p = Path(path)
    if not p.is_file():
        raise PredictError(_("{path}: no such image file").format(path=path))
    mode, size = _image_geometry(trained)
    try:
        arr = _decode_image(Image, p, mode, size)
    except DataError as e:
        raise PredictError(str(e).replace(" Delete or replace the file.", "")) from None
    x = torch.from_numpy(np.array(arr, dtype=np.uint8, copy=True))
    x = x.unsqueeze(0) if mode == "L" else x.permute(2, 0, 1)
    return (255 - x if invert else x).contiguous()


def read_idx_image(path: str | Path, index: int, trained: Trained, invert: bool = False) -> torch.Tensor:
    """Image ``index`` (from 0) of an IDX images file (gzipped or not), shaped like the network's input."""
    from tui_dl.core.data import DataError
    from tui_dl.core.data.idx import _read_idx

    _image_geometry(trained)
    try:
        images = _read_idx(Path(path), "images")
    except DataError as e:
        raise PredictError(str(e)) from None
    n = images.shape[0]
    if not 0 <= index < n:
        raise PredictError(_("--index {index}: {path} holds {n:,} images (0 to {last:,})").format(
            index=index, path=path, n=n, last=n - 1))
    c, h, w = trained.input_shape
    if c != 1 or images.shape[1:] != (h, w):
        raise PredictError(_("{path} holds {h0}×{w0} grey images, but the network takes {c}×{h}×{w}").format(
            path=path, h0=images.shape[1], w0=images.shape[2], c=c, h=h, w=w))
    x = torch.from_numpy(images[index].copy()).unsqueeze(0)
    return 255 - x if invert else x


def scores(trained: Trained, out: torch.Tensor) -> tuple[torch.Tensor, str]:
    """Per-class probabilities (or scores) for a batch of network outputs, and which they are."""
    last, loss = trained.last_layer, trained.loss
    if out.shape[1] == 1:
        z = out[:, 0]
        if last == "Sigmoid":
            p1 = z.clamp(0, 1)
        elif loss in ("bce", "focal"):
            p1 = torch.sigmoid(z)
        else:  # mse/mae on one output: the output is the score of class 1 (threshold 0.5)
            return torch.stack([1 - z, z], 1), "score"
        return torch.stack([1 - p1, p1], 1), "probability"
    if last == "Softmax":
        return out, "probability"
    if last == "LogSoftmax":
        return out.exp(), "probability"
    if loss in ("cross_entropy", "focal", "nll"):
        return torch.softmax(out, 1), "probability"
    if loss == "bce":
        return (out if last == "Sigmoid" else torch.sigmoid(out)), "probability"
    return out, "score"


def predict(trained: Trained, images: torch.Tensor, sources: list[str], top: int = 3) -> list[Prediction]:
    """The top-``top`` classes for a uint8 batch ``[N, *input_shape]`` (normalised as the trainer did)."""
    from tui_dl.core.data import normalize_batch

    inf = trained.inference
    x = normalize_batch(images, inf.get("mean") or (), inf.get("std") or ())
    with torch.no_grad():
        out = trained.model(x)
    values, kind = scores(trained, out)
    k = max(1, min(top, values.shape[1]))
    best = values.topk(k, dim=1)
    classes = trained.classes
    result = []
    for row, source in enumerate(sources):
        picks = []
        for v, i in zip(best.values[row].tolist(), best.indices[row].tolist()):
            name = classes[i] if i < len(classes) else str(i)
            picks.append((int(i), name, float(v) if math.isfinite(v) else float("nan")))
        result.append(Prediction(source, picks, kind))
    return result
