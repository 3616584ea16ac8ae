"""The attack's settings, checked without torch: the ε list a student types, the methods, ε in the network's
units (ε/σ), and the sentence every table of results carries. The command line checks its options with these
before torch loads, and an app form can too."""

from __future__ import annotations

import math
from typing import Sequence

from tui_dl.core.i18n import N_, _

__all__ = ["DEFAULT_EPS", "METHODS", "CONVENTION", "parse_eps", "eps_over_std"]

#: The ε of the tutorial's table (pixel units, images in [0, 1]).
DEFAULT_EPS = (0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3)
METHODS = ("fgsm", "pgd")
#: What every table and view of the attack says beside its numbers: an English source (marked with N_; the JSON
#: output keeps it): show it with ``_(CONVENTION)``.
CONVENTION = N_("Images the model already gets wrong count as failures at every ε (the convention of PyTorch's "
                "FGSM tutorial); the attack uses the true labels.")


def parse_eps(text: str | Sequence[float]) -> list[float]:
    """``"0,0.05,0.1"`` (or a list of numbers) → the ε values, each a number in [0, 1]; else a ValueError whose
    message names the value at fault."""
    parts = [p.strip() for p in text.split(",")] if isinstance(text, str) else list(text)
    if isinstance(text, str) and not any(parts):
        raise ValueError(_("give at least one ε, e.g. 0,0.05,0.1"))
    if not parts:
        raise ValueError(_("give at least one ε, e.g. 0,0.05,0.1"))
    out = []
    for p in parts:
        if p == "":
            raise ValueError(_("{text} has an empty value between commas").format(text=repr(text)))
        try:
            v = float(p)
        except (TypeError, ValueError):
            raise ValueError(_("{value} is not a number (ε is in pixel units, between 0 and 1)").format(
                value=repr(p))) from None
        if not math.isfinite(v) or not 0.0 <= v <= 1.0:
            raise ValueError(_("{value} is outside [0, 1] (images are in [0, 1], so ε = 1 already allows any "
                               "image)").format(value=p))
        out.append(v)
    return out


def eps_over_std(eps: float, std: Sequence[float]) -> tuple[float, ...]:
    """ε in the units the network sees (normalised input), per channel: ε/σ. Without normalisation, ε."""
    return tuple(eps / s for s in std) if std else (eps,)
