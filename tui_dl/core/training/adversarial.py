"""Adversarial training (``train.adversarial``): each batch is a mix of clean and adversarial examples.

The first ``fraction`` of every (shuffled) batch is replaced by its attacked version, made against the model as
it is at that step: FGSM (Goodfellow et al. 2014, one signed-gradient step of ε) or PGD (Madry et al. 2018,
``steps`` projected steps of 2.5·ε/steps from a random start in the ε-box). The loss is then the batch's usual
mean loss, so with ``fraction: 0.5`` it is Goodfellow's ½·J(x) + ½·J(x_adv) in expectation.

ε is in pixel units, as ``tui-dl attack`` measures it: the step batches are already normalised, so the attack
denormalises them (``x = x̂·σ + μ``), perturbs and clamps to [0, 1] with the attack maths of
:mod:`tui_dl.core.insight.attacks` (the gradient taken through the normalisation, so it is with respect to
pixels), and normalises the result again.

PGD's random start draws from a generator seeded from the run's seed and the batch's first indices, so a run
is reproducible, a resumed run draws what it would have drawn, and the split-batch lanes (one thread each) draw
without sharing a generator. The attack runs with the model in eval mode on one lane (BatchNorm's running
statistics see only the training forward pass, Dropout drops nothing while attacking); the split-batch step only
runs nets without BatchNorm and Dropout, so there its lanes leave the mode alone.
"""

from __future__ import annotations

from typing import Callable, Sequence

import torch

from tui_dl.core.i18n import N_, _
from tui_dl.core.insight.attacks import fgsm, pgd
from tui_dl.core.training.events import english

__all__ = ["Perturber", "make_perturber", "describe"]

Loss = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def describe(adv) -> str:
    """One line for the run's log: what ``train.adversarial`` (a :class:`~tui_dl.core.config.schema.Adversarial`)
    does to each batch."""
    share = "half" if adv.fraction == 0.5 else ("all" if adv.fraction == 1 else "share")
    values = {"eps": f"{adv.eps:g}", "steps": adv.steps, "share": f"{100 * adv.fraction:g}%"}
    if adv.method == "fgsm":
        text = {"half": N_("adversarial training: half of each batch replaced by its FGSM version at ε = {eps} "
                           "(pixel units); the train loss and accuracy are those of the mixed batch, validation is "
                           "clean"),
                "all": N_("adversarial training: all of each batch replaced by its FGSM version at ε = {eps} "
                          "(pixel units); the train loss and accuracy are those of the mixed batch, validation is "
                          "clean"),
                "share": N_("adversarial training: {share} of each batch replaced by its FGSM version at ε = {eps} "
                            "(pixel units); the train loss and accuracy are those of the mixed batch, validation is "
                            "clean")}[share]
    else:
        text = {"half": N_("adversarial training: half of each batch replaced by its PGD ({steps} steps of "
                           "2.5·ε/{steps}, random start) version at ε = {eps} (pixel units); the train loss and "
                           "accuracy are those of the mixed batch, validation is clean"),
                "all": N_("adversarial training: all of each batch replaced by its PGD ({steps} steps of "
                          "2.5·ε/{steps}, random start) version at ε = {eps} (pixel units); the train loss and "
                          "accuracy are those of the mixed batch, validation is clean"),
                "share": N_("adversarial training: {share} of each batch replaced by its PGD ({steps} steps of "
                            "2.5·ε/{steps}, random start) version at ε = {eps} (pixel units); the train loss and "
                            "accuracy are those of the mixed batch, validation is clean")}[share]
    return english(text, **values)


class Perturber:
    """``perturb(xb, yb, idx) -> xb'``: the normalised batch ``xb`` with its first ``fraction`` rows replaced by
    their adversarial versions (ε in pixel units, clamped to [0, 1]), normalised again. ``idx``: the batch's
    training-set indices (only PGD's random start uses them)."""

    def __init__(self, model: torch.nn.Module, loss: Loss, mean: Sequence[float], std: Sequence[float], *,
                 eps: float, fraction: float, method: str = "fgsm", steps: int = 7, seed: int = 0,
                 eval_mode: bool = True):
        if method not in ("fgsm", "pgd"):
            raise ValueError(_("unknown adversarial method {method!r}: use fgsm or pgd").format(method=method))
        self.model, self.loss = model, loss
        self.mean, self.std = tuple(float(v) for v in mean), tuple(float(v) for v in std)
        self.eps, self.fraction, self.method, self.steps = float(eps), float(fraction), method, int(steps)
        self.seed, self.eval_mode = int(seed), eval_mode

    # -- normalisation ---------------------------------------------------------------------------
    def _affine(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor] | None:
        c = len(self.mean)
        if not c:
            return None
        shape = (1, c) + (1,) * (x.dim() - 2) if c > 1 else (1,) * x.dim()
        return (torch.tensor(self.mean, dtype=x.dtype, device=x.device).view(shape),
                torch.tensor(self.std, dtype=x.dtype, device=x.device).view(shape))

    def to_pixels(self, xb: torch.Tensor) -> torch.Tensor:
        """Normalised network input → images in [0, 1] (``x̂·σ + μ``)."""
        a = self._affine(xb)
        return xb if a is None else xb * a[1] + a[0]

    def from_pixels(self, x: torch.Tensor) -> torch.Tensor:
        """Images in [0, 1] → network input (``(x − μ)/σ``), as the trainer's Batcher normalises."""
        a = self._affine(x)
        return x if a is None else (x - a[0]) / a[1]

    # -- the attack -----------------------------------------------------------------------------
    def count(self, n: int) -> int:
        """How many of a batch of ``n`` are replaced (at least one of a non-empty batch)."""
        return 0 if n == 0 else min(n, max(1, int(self.fraction * n + 0.5)))

    def _generator(self, x: torch.Tensor, idx: torch.Tensor | None) -> torch.Generator:
        key = tuple(int(v) for v in idx[:8].tolist()) if idx is not None else ()
        g = torch.Generator(device=x.device)
        g.manual_seed((self.seed * 1_000_003 + hash(key)) % (2**63 - 1))
        return g

    def attack(self, xb: torch.Tensor, yb: torch.Tensor, idx: torch.Tensor | None = None) -> torch.Tensor:
        """The adversarial version of the whole normalised batch ``xb`` (normalised)."""
        pixels = self.to_pixels(xb).detach()
        net = self.model

        def on_pixels(x: torch.Tensor) -> torch.Tensor:
            return net(self.from_pixels(x))

        was_training = net.training
        if self.eval_mode and was_training:
            net.eval()
        try:
            if self.method == "fgsm":
                adv = fgsm(on_pixels, pixels, yb, self.eps, self.loss).x_adv
            else:
                adv = pgd(on_pixels, pixels, yb, self.eps, self.loss, steps=self.steps, random_start=True,
                          generator=self._generator(pixels, idx)).x_adv
        finally:
            if self.eval_mode and was_training:
                net.train()
        return self.from_pixels(adv.detach())

    def __call__(self, xb: torch.Tensor, yb: torch.Tensor, idx: torch.Tensor | None = None) -> torch.Tensor:
        k = self.count(int(xb.shape[0]))
        if k == 0 or self.eps == 0:
            return xb
        out = xb.clone()
        out[:k] = self.attack(xb[:k], yb[:k], None if idx is None else idx[:k])
        return out


def make_perturber(adv, model: torch.nn.Module, loss: Loss, mean: Sequence[float], std: Sequence[float], *,
                   seed: int, split: bool) -> Perturber | None:
    """The step's perturbation for ``train.adversarial`` (None when it is off). ``split``: the step runs in lanes
    (then the model's train/eval mode is left alone: those nets have no BatchNorm or Dropout)."""
    if adv is None:
        return None
    return Perturber(model, loss, mean, std, eps=adv.eps, fraction=adv.fraction, method=adv.method,
                     steps=adv.steps, seed=seed, eval_mode=not split)
