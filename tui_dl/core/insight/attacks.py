"""Adversarial examples on a trained model: FGSM (Goodfellow et al. 2014), iterative FGSM / PGD (Madry et al.
2018), a targeted attack ("make it say 3"), accuracy against ε over the test set, and per image the smallest ε
that flips it.

Everything works on images in [0, 1] through :class:`~tui_dl.core.insight.model_io.Normalized` (the
normalisation folded into the model), so the gradient is with respect to pixels and ε is in pixel units:
denormalise → perturb → clamp to [0, 1] → renormalise. FGSM:

    x_adv = clamp(x + ε · sign(∇ₓ loss(model(x), y)), 0, 1)

and the pixels where the clamp cut the step are reported (``cut``). The loss is the run's own training loss
(``trained.objective``), taken against the **true** labels. Counting follows PyTorch's FGSM tutorial: an image
the model already gets wrong counts as a failure at every ε (so accuracy at ε = 0 is the clean accuracy, exactly).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Callable, Sequence

import torch

from tui_dl.core.i18n import _
from tui_dl.core.insight.attack_settings import CONVENTION, DEFAULT_EPS, METHODS, eps_over_std, parse_eps
from tui_dl.core.insight.model_io import BatchProgress, StopCheck, TrainedModel, stop_requested

__all__ = ["CONVENTION", "DEFAULT_EPS", "METHODS", "Perturbed", "EpsCurve", "AdversarialExample", "parse_eps",
           "eps_over_std", "input_gradient", "fgsm", "pgd", "attack", "accuracy_vs_eps", "example",
           "smallest_eps"]

Loss = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


# ----------------------------------------------------------------------------- the attacks on a batch


@dataclass
class Perturbed:
    """An attacked batch. ``sign`` is the direction each pixel was pushed (+1, −1 or 0); ``cut`` marks the pixels
    where the clamp to [0, 1] removed (part of) the step."""

    x_adv: torch.Tensor
    sign: torch.Tensor
    cut: torch.Tensor


def input_gradient(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, loss: Loss) -> torch.Tensor:
    """∂ loss / ∂x for a batch in [0, 1] (the loss summed over the batch, so each image's gradient is its own
    loss's; the model's weights get no gradient)."""
    x = x.detach().clone().requires_grad_(True)
    with torch.enable_grad():
        out = model(x)
        total = loss(out, y) * x.shape[0]
        (grad,) = torch.autograd.grad(total, x)
    return grad


def _eps_like(eps: float | torch.Tensor, x: torch.Tensor) -> float | torch.Tensor:
    if isinstance(eps, torch.Tensor):
        return eps.to(x.device, x.dtype).view(-1, *([1] * (x.dim() - 1)))
    return float(eps)


def fgsm(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, eps: float | torch.Tensor, loss: Loss, *,
         targeted: bool = False, grad: torch.Tensor | None = None) -> Perturbed:
    """One signed-gradient step of size ``eps`` (a float, or one per image), clamped to [0, 1].

    Untargeted: up the loss of the true labels ``y``. ``targeted=True``: ``y`` holds the target classes and the
    step goes down their loss. ``grad``: the input gradient when the caller already has it (it does not depend
    on ε, so a sweep over ε takes it once)."""
    if grad is None:
        grad = input_gradient(model, x, y, loss)
    sign = grad.sign()
    if targeted:
        sign = -sign
    e = _eps_like(eps, x)
    if not isinstance(e, torch.Tensor) and e == 0:
        return Perturbed(x.clone(), sign, torch.zeros_like(x, dtype=torch.bool))
    raw = x + e * sign
    x_adv = raw.clamp(0.0, 1.0)
    return Perturbed(x_adv, sign, raw != x_adv)


def pgd(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, eps: float | torch.Tensor, loss: Loss, *,
        steps: int = 10, step_size: float | None = None, random_start: bool = True, targeted: bool = False,
        generator: torch.Generator | None = None) -> Perturbed:
    """Projected gradient descent: ``steps`` signed-gradient steps of ``step_size`` (default 2.5·ε/steps, as
    Madry et al.), each projected back into the ε-box around ``x`` and into [0, 1]; ``random_start`` begins at a
    uniform point of the box. With one step, no random start and step_size = ε it is FGSM."""
    if steps < 1:
        raise ValueError(_("PGD needs at least one step"))
    e = _eps_like(eps, x)
    if not isinstance(e, torch.Tensor) and e == 0:
        return Perturbed(x.clone(), torch.zeros_like(x), torch.zeros_like(x, dtype=torch.bool))
    alpha = (2.5 * e / steps) if step_size is None else step_size
    lo, hi = x - e, x + e
    xa = x
    if random_start:
        noise = torch.rand(x.shape, generator=generator, device=x.device, dtype=x.dtype)
        xa = (x + (2 * noise - 1) * e).clamp(0.0, 1.0)
    cut = torch.zeros_like(x, dtype=torch.bool)
    for _step in range(steps):
        g = input_gradient(model, xa, y, loss).sign()
        raw = torch.max(torch.min(xa + (-alpha if targeted else alpha) * g, hi), lo)
        xa = raw.clamp(0.0, 1.0)
        cut = raw != xa
    return Perturbed(xa.detach(), (xa - x).sign(), cut)


def attack(trained: TrainedModel, x: torch.Tensor, y: torch.Tensor, eps: float | torch.Tensor, *,
           method: str = "fgsm", target: int | None = None, steps: int = 10, step_size: float | None = None,
           random_start: bool = True, generator: torch.Generator | None = None,
           grad: torch.Tensor | None = None) -> Perturbed:
    """``method`` ("fgsm" or "pgd") on a batch of the trained model, untargeted on the true labels ``y``, or
    towards class ``target`` ("make it say 3")."""
    labels = y if target is None else torch.full_like(y, int(target))
    if method == "fgsm":
        return fgsm(trained.model, x, labels, eps, trained.objective.loss, targeted=target is not None, grad=grad)
    if method == "pgd":
        return pgd(trained.model, x, labels, eps, trained.objective.loss, steps=steps, step_size=step_size,
                   random_start=random_start, targeted=target is not None, generator=generator)
    raise ValueError(_("unknown attack {method}: use one of {names}").format(method=repr(method),
                                                                                  names=", ".join(METHODS)))


def _predict(trained: TrainedModel, x: torch.Tensor) -> torch.Tensor:
    with torch.no_grad():
        return trained.objective.predict(trained.model(x))


def _check(trained: TrainedModel, method: str, target: int | None) -> None:
    if method not in METHODS:
        raise ValueError(_("unknown attack {method}: use one of {names}").format(method=repr(method),
                                                                                  names=", ".join(METHODS)))
    if target is not None and not 0 <= int(target) < len(trained.classes):
        raise ValueError(_("target {target} is not a class: the classes are 0 to {last} ({names})").format(
            target=target, last=len(trained.classes) - 1, names=", ".join(trained.classes)))


# ----------------------------------------------------------------------------- accuracy against ε


@dataclass
class EpsCurve:
    """Accuracy against ε over ``n`` test images. Accuracies are fractions; ``target_rate`` (targeted attacks
    only) is the fraction of images not of the target class that the model calls the target."""

    eps: list[float]
    accuracy: list[float]
    n: int
    method: str = "fgsm"
    steps: int = 1
    step_size: float | None = None   # PGD; None: 2.5·ε/steps at each ε
    random_start: bool = False
    target: int | None = None
    target_rate: list[float] | None = None
    std: tuple[float, ...] = ()
    seconds: float = 0.0
    #: per ε, the first few images the attack flipped (right before, wrong after): the app's examples.
    flipped: list[list[int]] = field(default_factory=list)

    @property
    def clean_accuracy(self) -> float:
        return self.accuracy[self.eps.index(0.0)] if 0.0 in self.eps else float("nan")

    def to_json(self) -> dict:
        """``{"eps": [...], "accuracy": [...], "n": N}`` first (what attack.json promises), then the settings."""
        d: dict = {"eps": list(self.eps), "accuracy": list(self.accuracy), "n": self.n, "method": self.method}
        if self.method == "pgd":
            d.update(steps=self.steps, step_size=self.step_size, random_start=self.random_start)
            if self.step_size is None:
                d["step_size_rule"] = "2.5 * eps / steps"
        if self.target is not None:
            d.update(target=self.target, target_rate=self.target_rate)
        d.update(eps_over_std=[list(eps_over_std(e, self.std)) for e in self.eps], convention=CONVENTION)
        return d


def accuracy_vs_eps(trained: TrainedModel, eps: Sequence[float] = DEFAULT_EPS, *, method: str = "fgsm",
                    steps: int = 10, step_size: float | None = None, random_start: bool = True,
                    target: int | None = None, limit: int | None = None, batch_size: int = 500, seed: int = 0,
                    examples: int = 5, progress: BatchProgress | None = None, should_stop: StopCheck = None
                    ) -> EpsCurve | None:
    """The test accuracy under attack at each ε (the first ``limit`` test images, or all). FGSM takes each
    batch's input gradient once for every ε. Returns None when ``should_stop`` fired (checked per batch)."""
    _check(trained, method, target)
    eps = [float(e) for e in eps]
    n = trained.n_test if limit is None else max(0, min(int(limit), trained.n_test))
    t0 = time.perf_counter()
    right = [0] * len(eps)
    said_target = [0] * len(eps)
    others = 0
    flipped: list[list[int]] = [[] for _ in eps]
    gen = torch.Generator(device=trained.device).manual_seed(seed) if method == "pgd" else None
    total = max(1, -(-n // batch_size))
    for b, s in enumerate(range(0, n, batch_size)):
        if stop_requested(should_stop):
            return None
        x = trained.images(slice(s, min(n, s + batch_size)))
        y = trained.labels(slice(s, min(n, s + batch_size)))
        clean_ok = _predict(trained, x) == y
        labels = y if target is None else torch.full_like(y, int(target))
        grad = input_gradient(trained.model, x, labels, trained.objective.loss) if method == "fgsm" else None
        if target is not None:
            others += int((y != target).sum())
        for k, e in enumerate(eps):
            if e == 0.0:
                pred = None
                ok = clean_ok
            else:
                adv = attack(trained, x, y, e, method=method, target=target, steps=steps, step_size=step_size,
                             random_start=random_start, generator=gen, grad=grad)
                pred = _predict(trained, adv.x_adv)
                ok = clean_ok & (pred == y)
            right[k] += int(ok.sum())
            if target is not None and pred is not None:
                said_target[k] += int(((pred == target) & (y != target)).sum())
            if len(flipped[k]) < examples:
                idx = torch.nonzero(clean_ok & ~ok).flatten()[:examples - len(flipped[k])]
                flipped[k].extend(int(i) + s for i in idx)
        if progress is not None:
            progress(b + 1, total)
    acc = [r / n if n else float("nan") for r in right]
    rate = [t / others if others else 0.0 for t in said_target] if target is not None else None
    pgd_run = method == "pgd"
    return EpsCurve(eps, acc, n, method, steps if pgd_run else 1, step_size if pgd_run else None,
                    random_start if pgd_run else False, target, rate, trained.std, time.perf_counter() - t0,
                    flipped)


# ----------------------------------------------------------------------------- one image


@dataclass
class AdversarialExample:
    """One image before and after the attack, with both predictions (the FGSM view, ``tui-dl attack --show``)."""

    index: int
    true: int
    eps: float
    method: str
    target: int | None
    original: torch.Tensor       # (C, H, W) in [0, 1], CPU
    adversarial: torch.Tensor    # (C, H, W) in [0, 1]
    sign: torch.Tensor           # (C, H, W): the direction each pixel was pushed
    cut: torch.Tensor            # (C, H, W) bool: pixels the clamp to [0, 1] cut
    before: int                  # the prediction on the original
    before_confidence: float
    after: int                   # the prediction on the adversarial image
    after_confidence: float
    probs_before: list[float]
    probs_after: list[float]
    eps_over_std: tuple[float, ...] = ()

    @property
    def fooled(self) -> bool:
        """The attack changed a right answer into a wrong one (targeted: into the target)."""
        if self.target is not None:
            return self.after == self.target and self.before != self.target
        return self.before == self.true and self.after != self.true

    @property
    def cut_pixels(self) -> int:
        return int(self.cut.sum())


def example(trained: TrainedModel, index: int, eps: float, *, method: str = "fgsm", target: int | None = None,
            steps: int = 10, step_size: float | None = None, random_start: bool = True, seed: int = 0
            ) -> AdversarialExample:
    """Attack test image ``index`` at ``eps`` and return everything its view shows."""
    trained.check_index(index)
    _check(trained, method, target)
    x, y = trained.images(index), trained.labels(index)
    gen = torch.Generator(device=trained.device).manual_seed(seed) if method == "pgd" else None
    adv = attack(trained, x, y, float(eps), method=method, target=target, steps=steps, step_size=step_size,
                 random_start=random_start, generator=gen)
    with torch.no_grad():
        out0, out1 = trained.model(x), trained.model(adv.x_adv)
    p0, p1 = trained.probabilities(out0)[0], trained.probabilities(out1)[0]
    b, a = int(trained.objective.predict(out0)[0]), int(trained.objective.predict(out1)[0])
    return AdversarialExample(int(index), int(y[0]), float(eps), method, target, x[0].cpu(), adv.x_adv[0].cpu(),
                              adv.sign[0].cpu(), adv.cut[0].cpu(), b, float(p0[b]), a, float(p1[a]),
                              [float(v) for v in p0], [float(v) for v in p1], eps_over_std(float(eps), trained.std))


def smallest_eps(trained: TrainedModel, indices: Sequence[int], *, method: str = "fgsm", hi: float = 1.0,
                 grid: int = 32, refine: int = 8, steps: int = 10, random_start: bool = False, seed: int = 0,
                 batch_size: int = 500, progress: BatchProgress | None = None, should_stop: StopCheck = None
                 ) -> list[float | None] | None:
    """Per image, the smallest ε in (0, ``hi``] that makes the model wrong: 0.0 for an image it already gets
    wrong, None when even ``hi`` does not flip it. A scan over ``grid`` evenly spaced ε finds the first one that
    flips the image, then ``refine`` bisection steps narrow it down to hi/grid/2^refine (an attack is not
    monotone in ε, so the scan comes first: a flip narrower than hi/grid can be missed). None when stopped."""
    _check(trained, method, None)
    idx = [trained.check_index(i) for i in indices]
    out: list[float | None] = []
    total = max(1, -(-len(idx) // batch_size))
    for b, s in enumerate(range(0, len(idx), batch_size)):
        if stop_requested(should_stop):
            return None
        part = idx[s:s + batch_size]
        x, y = trained.images(part), trained.labels(part)
        grad = input_gradient(trained.model, x, y, trained.objective.loss) if method == "fgsm" else None

        def wrong_at(e: torch.Tensor) -> torch.Tensor:
            gen = torch.Generator(device=trained.device).manual_seed(seed) if method == "pgd" else None
            adv = attack(trained, x, y, e, method=method, steps=steps, random_start=random_start, generator=gen,
                         grad=grad)
            return _predict(trained, adv.x_adv) != y

        m = len(part)
        found = torch.full((m,), float("nan"), device=x.device)
        already = _predict(trained, x) != y
        found[already] = 0.0
        lo = torch.zeros(m, device=x.device)
        for k in range(1, grid + 1):
            todo = torch.isnan(found)
            if not bool(todo.any()):
                break
            e = hi * k / grid
            hit = wrong_at(torch.full((m,), e, device=x.device)) & todo
            found[hit] = e
            lo[hit] = hi * (k - 1) / grid
        bracket = ~torch.isnan(found) & ~already
        upper = torch.where(bracket, found, torch.zeros_like(found))
        for _round in range(refine if bool(bracket.any()) else 0):
            mid = (lo + upper) / 2
            hit = wrong_at(torch.where(bracket, mid, torch.zeros_like(mid)))
            upper = torch.where(bracket & hit, mid, upper)
            lo = torch.where(bracket & ~hit, mid, lo)
        found = torch.where(bracket, upper, found)
        out.extend(None if math.isnan(v) else float(v) for v in found.tolist())
        if progress is not None:
            progress(b + 1, total)
    return out
