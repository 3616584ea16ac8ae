"""Loss functions and the matching accuracy rule, chosen from the experiment and the network's output.

Every loss returns the *mean* over the batch. ``Objective`` bundles the loss, how predictions are read
(argmax for K outputs, a threshold for one output) and the notices a student should see (e.g. a Softmax
layer in front of cross-entropy).

Output conventions
    K > 1 outputs    class scores (logits); K must equal the number of classes.
    1 output         binary classification: a logit (threshold 0), or a probability when the network ends
                     with Sigmoid or the loss is mse/mae (threshold 0.5).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import torch
import torch.nn.functional as F

from tui_dl.core.config import schema as C
from tui_dl.core.i18n import N_, _
from tui_dl.core.training.events import english


class ObjectiveError(ValueError):
    """The loss, the network's output and the dataset do not fit together; ``str(e)`` says how to fix it."""


@dataclass
class Objective:
    loss_name: str
    outputs: int                      # K, the network's output width
    num_classes: int
    loss: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
    threshold: float | None = None    # 1-output nets: predicted class = output > threshold
    notices: list[str] = field(default_factory=list)
    #: the lowest value the loss can take (0 for every loss here): a loss below it means the network's output is
    #: not what the loss expects, and the run is stopped (see :mod:`tui_dl.core.training.divergence`)
    min_loss: float | None = 0.0
    #: why the loss can fall below ``min_loss`` in this set-up and what to change ("" when it should not)
    below_min_hint: str = ""

    def predict(self, out: torch.Tensor) -> torch.Tensor:
        """Predicted class indices (int64) for a batch of network outputs."""
        if self.outputs == 1:
            return (out.reshape(-1) > self.threshold).long()
        return out.argmax(1)

    def correct(self, out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Number of right predictions, as a 0-dim int64 tensor on the device (no sync)."""
        return (self.predict(out) == y).sum()


def _last_layer_type(spec) -> str:
    return spec.layers[-1].type if spec.layers else ""


def _one_hot(y: torch.Tensor, k: int) -> torch.Tensor:
    return F.one_hot(y, k).to(torch.float32)


def _focal_multiclass(gamma: float, alpha: float | None, from_probs: bool):
    def loss(out, y):
        logp = torch.log(out.clamp_min(1e-12)) if from_probs else F.log_softmax(out, 1)
        logp_t = logp.gather(1, y[:, None]).squeeze(1)
        ce = -logp_t
        w = (1 - logp_t.exp()).pow(gamma)
        val = w * ce
        if alpha is not None:
            val = alpha * val
        return val.mean()
    return loss


def _focal_binary(gamma: float, alpha: float | None, from_probs: bool):
    """Sigmoid focal loss (Lin et al. 2017; torchvision.ops.sigmoid_focal_loss) on 1 or K outputs."""
    def loss(out, t):
        if from_probs:
            p = out.clamp(1e-7, 1 - 1e-7)
            ce = F.binary_cross_entropy(p, t, reduction="none")
        else:
            p = torch.sigmoid(out)
            ce = F.binary_cross_entropy_with_logits(out, t, reduction="none")
        p_t = p * t + (1 - p) * (1 - t)
        val = ce * (1 - p_t).pow(gamma)
        if alpha is not None:
            val = (alpha * t + (1 - alpha) * (1 - t)) * val
        return val.mean()
    return loss


def make_objective(exp, outputs_shape: tuple[int, ...] | None, num_classes: int, dataset: str) -> Objective:
    """Pick the loss for ``exp.train.loss`` given the network's output shape; raise :class:`ObjectiveError`
    when they cannot work together (wrong output width, cross-entropy on one output, ...)."""
    name = exp.train.loss.name
    params = exp.train.loss.resolved(C.LOSSES)
    last = _last_layer_type(exp.network)
    notices: list[str] = []
    if not outputs_shape or len(outputs_shape) != 1:
        shown = "×".join(str(s) for s in outputs_shape or ())
        if shown:
            raise ObjectiveError(_("the network's output is {shape} per sample, but a classifier must end with one "
                                   "score per class: add Flatten and a Linear with out_features={classes}").format(
                shape=shown, classes=num_classes))
        raise ObjectiveError(_("the network's output is empty per sample, but a classifier must end with one score "
                               "per class: add Flatten and a Linear with out_features={classes}").format(
            classes=num_classes))
    k = int(outputs_shape[0])
    if k == 1 and num_classes != 2:
        raise ObjectiveError(_("the network ends with 1 output but {dataset} has {classes} classes: set the last "
                               "Linear's out_features to {classes}").format(dataset=dataset, classes=num_classes))
    if k != 1 and k != num_classes:
        raise ObjectiveError(_("the network ends with {k} outputs but {dataset} has {classes} classes: set the "
                               "last Linear's out_features to {classes}").format(k=k, dataset=dataset,
                                                                                 classes=num_classes))
    if k == 1 and name in ("cross_entropy", "nll"):
        raise ObjectiveError(_("{name} needs one output per class (2 for a yes/no problem), but the network ends "
                               "with 1 output: use loss: bce for a single output, or set the last Linear's "
                               "out_features to 2").format(name=name))
    probs = last == "Sigmoid"
    if name == "cross_entropy":
        ls = float(params["label_smoothing"])
        if last == "Softmax":
            notices.append(english(N_("the network ends with Softmax, but cross_entropy applies log-softmax itself: "
                                      "it still trains, but more slowly (the gradients shrink). Remove the final "
                                      "Softmax, or use LogSoftmax with loss: nll.")))
        elif last in ("Sigmoid", "LogSoftmax"):
            notices.append(english(N_("the network ends with {last}, but cross_entropy expects raw scores (logits) "
                                      "and applies log-softmax itself. Remove the final {last}."), last=last))

        def loss(out, y, _ls=ls):
            return F.cross_entropy(out, y, label_smoothing=_ls)
        return Objective(name, k, num_classes, loss, None, notices)
    if name == "nll":
        hint = ""
        if last != "LogSoftmax":
            if last:
                notices.append(english(N_("loss nll expects log-probabilities, so the network should end with "
                                          "LogSoftmax (it ends with {last}). Add a LogSoftmax layer, or use loss: "
                                          "cross_entropy."), last=last))
                hint = english(N_("nll expects log-probabilities (which are never above 0), but the network ends "
                                  "with {last}, not LogSoftmax, so the loss can fall without limit. Add a LogSoftmax "
                                  "layer at the end, or use loss: cross_entropy (it applies log-softmax itself)"),
                               last=last)
            else:
                notices.append(english(N_("loss nll expects log-probabilities, so the network should end with "
                                          "LogSoftmax (it ends with nothing). Add a LogSoftmax layer, or use loss: "
                                          "cross_entropy.")))
                hint = english(N_("nll expects log-probabilities (which are never above 0), but the network ends "
                                  "with nothing, not LogSoftmax, so the loss can fall without limit. Add a "
                                  "LogSoftmax layer at the end, or use loss: cross_entropy (it applies log-softmax "
                                  "itself)"))
        return Objective(name, k, num_classes, lambda out, y: F.nll_loss(out, y), None, notices, below_min_hint=hint)
    if name in ("mse", "mae"):
        fn = F.mse_loss if name == "mse" else F.l1_loss
        if k == 1:
            def loss(out, y, _fn=fn):
                return _fn(out.reshape(-1), y.to(out.dtype))
            return Objective(name, k, num_classes, loss, 0.5, notices)

        def loss(out, y, _fn=fn, _k=k):
            return _fn(out, _one_hot(y, _k).to(out.dtype))
        return Objective(name, k, num_classes, loss, None, notices)
    if name == "bce":
        if last == "Softmax":
            notices.append(english(N_("the network ends with Softmax before bce: the outputs are forced to sum to 1, "
                                      "which fights the per-output targets. Remove the Softmax.")))
        if k == 1:
            if probs:
                def loss(out, y):
                    return F.binary_cross_entropy(out.reshape(-1).clamp(1e-7, 1 - 1e-7), y.to(out.dtype))
                return Objective(name, k, num_classes, loss, 0.5, notices)

            def loss(out, y):
                return F.binary_cross_entropy_with_logits(out.reshape(-1), y.to(out.dtype))
            return Objective(name, k, num_classes, loss, 0.0, notices)
        if probs:
            def loss(out, y, _k=k):
                return F.binary_cross_entropy(out.clamp(1e-7, 1 - 1e-7), _one_hot(y, _k))
        else:
            def loss(out, y, _k=k):
                return F.binary_cross_entropy_with_logits(out, _one_hot(y, _k))
        return Objective(name, k, num_classes, loss, None, notices)
    if name == "focal":
        gamma = float(params["gamma"])
        alpha = params["alpha"]
        alpha = None if alpha is None else float(alpha)
        if k == 1:
            inner = _focal_binary(gamma, alpha, probs)

            def loss(out, y, _inner=inner):
                return _inner(out.reshape(-1), y.to(out.dtype))
            return Objective(name, k, num_classes, loss, 0.5 if probs else 0.0, notices)
        if last == "Sigmoid":
            notices.append(english(N_("the network ends with Sigmoid, but multi-class focal loss applies softmax to "
                                      "raw scores. Remove the final Sigmoid.")))
        from_probs = last == "Softmax"
        return Objective(name, k, num_classes, _focal_multiclass(gamma, alpha, from_probs), None, notices)
    raise ObjectiveError(_("unknown loss {name!r}: use one of {choices}").format(name=name,
                                                                                  choices=", ".join(C.LOSSES)))
