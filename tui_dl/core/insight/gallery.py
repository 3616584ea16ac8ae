"""The sample gallery: the trained model's prediction for every test image, and the filters a student picks
images with (all, one true class, the mistakes, the most confident mistakes, one confusion-matrix cell).

``predictions(trained)`` runs the test set once (batched, under ``inference_mode``); ``select(preds, filter)``
returns image indices in gallery order; ``image_rows(x)`` turns an image tensor into the rows that
:mod:`tui_dl.core.pictures` draws.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import torch

from tui_dl.core.i18n import _
from tui_dl.core.insight.model_io import BatchProgress, StopCheck, TrainedModel, stop_requested

__all__ = ["Predictions", "GalleryItem", "GalleryFilter", "FILTER_KINDS", "predictions", "select", "items",
           "image_rows"]

#: The gallery's filters, in the order a menu offers them.
FILTER_KINDS = ("all", "class", "wrong", "confident-wrong", "cell")


@dataclass(frozen=True)
class GalleryItem:
    """One test image as the gallery shows it."""

    index: int          # position in the test set
    true: int
    predicted: int
    confidence: float   # the probability the model gives its prediction, 0-1
    true_name: str
    predicted_name: str

    @property
    def correct(self) -> bool:
        return self.true == self.predicted

    def caption(self) -> str:
        """``#12  true 7  said 7 (98.1%)``, or ``… said 1 (64.0%) ✗`` for a mistake."""
        mark = "" if self.correct else " ✗"
        # TRANSLATORS: a gallery image's caption: its test-set index, its true class, the model's answer
        return _("#{index}  true {true}  said {said} ({confidence:.1f}%)").format(
            index=self.index, true=self.true_name, said=self.predicted_name, confidence=100 * self.confidence) + mark


@dataclass
class Predictions:
    """The model's answer for every test image (CPU tensors)."""

    y: torch.Tensor           # int64 (N,) true labels
    pred: torch.Tensor        # int64 (N,) predicted labels
    confidence: torch.Tensor  # float32 (N,) probability of the predicted class
    probs: torch.Tensor       # float32 (N, K) class probabilities
    classes: list[str]

    @property
    def n(self) -> int:
        return int(self.y.shape[0])

    @property
    def correct(self) -> torch.Tensor:
        """bool (N,): right answers."""
        return self.pred == self.y

    @property
    def accuracy(self) -> float:
        return int(self.correct.sum()) / self.n if self.n else float("nan")

    def confusion(self) -> list[list[int]]:
        """Counts, rows = true class, columns = predicted class."""
        k = len(self.classes)
        counts = torch.bincount(self.y * k + self.pred, minlength=k * k)
        return counts.view(k, k).tolist()

    def item(self, i: int) -> GalleryItem:
        t, p = int(self.y[i]), int(self.pred[i])
        name = (lambda k: self.classes[k] if 0 <= k < len(self.classes) else str(k))
        return GalleryItem(int(i), t, p, float(self.confidence[i]), name(t), name(p))


@dataclass(frozen=True)
class GalleryFilter:
    """Which test images the gallery shows.

    ``all`` every image in test-set order; ``class`` those whose true class is ``true_class``; ``wrong`` the
    mistakes in test-set order; ``confident-wrong`` the mistakes, most confident first; ``cell`` the images of
    one confusion-matrix cell (true ``true_class``, predicted ``predicted_class``)."""

    kind: str = "all"
    true_class: int | None = None
    predicted_class: int | None = None

    def __post_init__(self):
        if self.kind not in FILTER_KINDS:
            raise ValueError(_("unknown gallery filter {kind}: use one of {kinds}").format(
                kind=repr(self.kind), kinds=", ".join(FILTER_KINDS)))
        if self.kind in ("class", "cell") and self.true_class is None:
            raise ValueError(_("the {kind} filter needs a true class").format(kind=repr(self.kind)))
        if self.kind == "cell" and self.predicted_class is None:
            raise ValueError(_("the 'cell' filter needs a predicted class"))

    @classmethod
    def of_class(cls, k: int) -> "GalleryFilter":
        return cls("class", int(k))

    @classmethod
    def wrong(cls) -> "GalleryFilter":
        return cls("wrong")

    @classmethod
    def confident_wrong(cls) -> "GalleryFilter":
        return cls("confident-wrong")

    @classmethod
    def cell(cls, true: int, predicted: int) -> "GalleryFilter":
        return cls("cell", int(true), int(predicted))

    def label(self, classes: Sequence[str]) -> str:
        """What the filter shows, in words (a title for the gallery)."""
        name = (lambda k: classes[k] if k is not None and 0 <= k < len(classes) else str(k))
        if self.kind == "class":
            return _("true class {name}").format(name=name(self.true_class))
        if self.kind == "cell":
            return _("true {true}, predicted {predicted}").format(true=name(self.true_class),
                                                                  predicted=name(self.predicted_class))
        return {"all": _("all test images"), "wrong": _("misclassified"),
                "confident-wrong": _("most confident mistakes")}[self.kind]


def predictions(trained: TrainedModel, *, batch_size: int = 1000, progress: BatchProgress | None = None,
                should_stop: StopCheck = None) -> Predictions | None:
    """The model's prediction for every test image; None when ``should_stop`` fired part-way."""
    n = trained.n_test
    total = max(1, -(-n // batch_size))
    preds, confs, probs = [], [], []
    with torch.inference_mode():
        for b, s in enumerate(range(0, n, batch_size)):
            if stop_requested(should_stop):
                return None
            out = trained.model(trained.images(slice(s, s + batch_size)))
            p = trained.probabilities(out)
            pred = trained.objective.predict(out)
            preds.append(pred.cpu())
            confs.append(p.gather(1, pred.view(-1, 1)).squeeze(1).cpu())
            probs.append(p.cpu())
            if progress is not None:
                progress(b + 1, total)
    k = len(trained.classes)
    empty = torch.zeros(0, dtype=torch.long)
    return Predictions(trained.test.y.cpu().clone(), torch.cat(preds) if preds else empty,
                       torch.cat(confs) if confs else torch.zeros(0),
                       torch.cat(probs) if probs else torch.zeros(0, k), trained.classes)


def select(preds: Predictions, flt: GalleryFilter, limit: int | None = None) -> list[int]:
    """Indices of the test images ``flt`` shows, in gallery order (at most ``limit``)."""
    if flt.kind == "all":
        idx = torch.arange(preds.n)
    elif flt.kind == "class":
        idx = torch.nonzero(preds.y == flt.true_class).flatten()
    elif flt.kind == "wrong":
        idx = torch.nonzero(~preds.correct).flatten()
    elif flt.kind == "confident-wrong":
        wrong = torch.nonzero(~preds.correct).flatten()
        # most confident first; ties keep test-set order (a stable sort)
        order = torch.sort(preds.confidence[wrong], descending=True, stable=True).indices
        idx = wrong[order]
    else:
        idx = torch.nonzero((preds.y == flt.true_class) & (preds.pred == flt.predicted_class)).flatten()
    if limit is not None:
        idx = idx[:max(0, int(limit))]
    return [int(i) for i in idx]


def items(preds: Predictions, flt: GalleryFilter, limit: int | None = None) -> list[GalleryItem]:
    """The gallery's entries for ``flt`` (see :func:`select`)."""
    return [preds.item(i) for i in select(preds, flt, limit)]


def image_rows(x: torch.Tensor) -> list[list]:
    """An image tensor (C, H, W), uint8 or float in [0, 1], as rows of pixels for :mod:`tui_dl.core.pictures`:
    grey levels (ints) for one channel, ``(r, g, b)`` tuples for three."""
    t = x.detach().cpu()
    if t.dim() == 4 and t.shape[0] == 1:
        t = t[0]
    if t.dim() == 2:
        t = t.unsqueeze(0)
    if t.dtype != torch.uint8:
        t = (t.float().clamp(0, 1) * 255).round().to(torch.uint8)
    c = t.shape[0]
    if c == 1:
        return t[0].tolist()
    if c == 3:
        return [[tuple(px) for px in row] for row in t.permute(1, 2, 0).tolist()]
    return t[0].tolist()  # other channel counts: the first channel in grey
