"""Reading accuracy-against-ε curves side by side, without torch: the gradient-masking check and the sentences
``tui-dl attack RUN1 RUN2 --method fgsm,pgd`` prints under its table.

A model trained on FGSM examples can learn to make FGSM's one linear step useless (its loss surface curves
sharply near the data, so the signed gradient at x points nowhere useful) without becoming robust: an
iterative attack (PGD) that re-reads the gradient at every step still breaks it (Tramèr et al. 2018, "Ensemble
Adversarial Training"; Athalye et al. 2018, "Obfuscated Gradients"). The sign: at the same ε, FGSM accuracy far
above PGD accuracy while FGSM leaves the model at least half its clean accuracy. A truly robust model loses a little to PGD (Madry et al.'s MNIST challenge at ε = 0.3:
FGSM 96.36%, PGD 92.52%); a masked one loses most of it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

from tui_dl.core.i18n import N_, _

__all__ = ["MASKING_GAP", "LOOKS_ROBUST", "split_at_training_eps", "beyond_training_line", "MaskingFinding", "gradient_masking", "masking_line", "MADRY_REFERENCE"]

#: FGSM accuracy at least this much (a fraction: 20 points) above PGD accuracy at the same ε reads as masking...
MASKING_GAP = 0.20
#: ...when the model also "looks robust to FGSM": it keeps at least this share of its clean accuracy under FGSM.
#: (A plain model loses most of it to both attacks; PGD is stronger there too, but nothing is masked.)
LOOKS_ROBUST = 0.5
#: Madry et al.'s MNIST challenge leaderboard, their PGD-trained model at ε = 0.3 (white-box): an English source
#: (marked with N_; the JSON output keeps it): show it with ``_(MADRY_REFERENCE)``.
MADRY_REFERENCE = N_("Madry et al.'s MNIST challenge, PGD-trained model at ε = 0.3: FGSM 96.36%, PGD 92.52%")


@dataclass(frozen=True)
class MaskingFinding:
    eps: float
    fgsm: float     # accuracy under FGSM (fraction)
    pgd: float      # accuracy under PGD

    @property
    def gap(self) -> float:
        return self.fgsm - self.pgd


def gradient_masking(eps: Sequence[float], fgsm: Sequence[float], pgd: Sequence[float],
                     gap: float = MASKING_GAP) -> list[MaskingFinding]:
    """The ε > 0 at which FGSM accuracy is at least ``gap`` above PGD accuracy (both lists follow ``eps``) while
    the model keeps at least :data:`LOOKS_ROBUST` of its clean accuracy (the value at ε = 0, when listed) under
    FGSM."""
    if not len(eps) == len(fgsm) == len(pgd):
        raise ValueError(_("eps, fgsm and pgd must have one value per ε"))
    clean = next((f for e, f in zip(eps, fgsm) if e == 0), None)
    out = []
    for e, f, p in zip(eps, fgsm, pgd):
        looks_robust = clean is None or f >= LOOKS_ROBUST * clean
        if e > 0 and math.isfinite(f) and math.isfinite(p) and f - p >= gap - 1e-9 and looks_robust:
            out.append(MaskingFinding(float(e), float(f), float(p)))
    return out


def masking_line(name: str, findings: Sequence[MaskingFinding]) -> str:
    """One sentence about a run: masked (with the worst ε) or not."""
    if not findings:
        return ""
    worst = max(findings, key=lambda m: m.gap)
    at = ", ".join(f"{m.eps:g}" for m in findings)
    return _("{name} looks robust to FGSM but PGD breaks it: gradient masking (at ε = {eps:g} FGSM {fgsm:.2f}% vs "
             "PGD {pgd:.2f}%; FGSM ≥ {gap:.0f} points above PGD at ε = {at}). Trust the PGD column.").format(
        name=name, eps=worst.eps, fgsm=100 * worst.fgsm, pgd=100 * worst.pgd, gap=100 * MASKING_GAP, at=at)


def split_at_training_eps(findings: Sequence[MaskingFinding], train_eps: float | None
                          ) -> tuple[list[MaskingFinding], list[MaskingFinding]]:
    """(within, beyond): the findings at ε up to the ε the run was adversarially trained for (all of them when it
    was not), and those beyond it. Beyond its training ε a robust model is expected to fall to PGD faster than to
    FGSM: that is the edge of what it learnt, not masking."""
    if train_eps is None:
        return list(findings), []
    return ([m for m in findings if m.eps <= train_eps + 1e-9], [m for m in findings if m.eps > train_eps + 1e-9])


def beyond_training_line(name: str, train_eps: float, beyond: Sequence[MaskingFinding]) -> str:
    if not beyond:
        return ""
    at = ", ".join(f"{m.eps:g}" for m in beyond)
    return _("{name} was trained against ε = {eps:g}: FGSM is ≥ {gap:.0f} points above PGD only beyond it (ε = "
             "{at}), outside the ε it learnt to resist; not counted as gradient masking.").format(
        name=name, eps=train_eps, gap=100 * MASKING_GAP, at=at)
