"""The optimizers lab: GD, SGD (the gradient plus Gaussian noise), momentum, AdaGrad, RMSProp and Adam racing on a
2-D surface from the same start, each update rule shown with its numbers at any step.

``variant="torch"`` runs torch's own optimizers (``torch.optim.SGD``, ``Adagrad``, ``RMSprop``, ``Adam``) on a
2-element float64 parameter whose gradient is set from the surface's formula: what the student sees is what
training uses. Where torch's rule is not the textbook's, ``variant="textbook"`` runs the course's (plain Python)
and ``"both"`` races the two (the textbook ones as ``momentum_textbook``...):

- momentum: torch keeps v ← β·v + g (the d2l.ai form); the course writes v ← β·v + (1 − β)·g, an average, so
  the same η takes steps 1/(1 − β) times shorter.
- AdaGrad, RMSProp, Adam: torch adds ε outside the square root, g/(√s + ε), with ε = 1e-10 (AdaGrad) or 1e-8;
  the textbook (the course, d2l.ai) puts it inside, g/√(s + ε), here with ε = 1e-6 (d2l.ai's value).

GD and SGD are the same rule in both. Torch is imported when a race runs, never at import.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from tui_dl.core.i18n import N_, _, ljust, ngettext, rjust, text_width
from tui_dl.core.labs.surfaces import Point, Surface, resolve_surface
from tui_dl.core.labs.values import LabError, num

OPTIMIZERS = ("gd", "sgd", "momentum", "adagrad", "rmsprop", "adam")
DIFFERS = ("momentum", "adagrad", "rmsprop", "adam")  # where torch's rule is not the textbook's
VARIANTS = ("torch", "textbook", "both")
TEXTBOOK_EPS = 1e-6
TORCH_EPS = {"adagrad": 1e-10, "rmsprop": 1e-8, "adam": 1e-8}
DIVERGED = 1e6  # |x| or |y| beyond this (or a non-finite loss) ends the path

#: The update rules, as formulas; the two with words are English sources (marked with N_): :attr:`Path.rule`
#: shows them with ``_()``.
RULES = {
    ("gd", "torch"): "θ ← θ − η·g",
    ("sgd", "torch"): N_("θ ← θ − η·(g + noise),  noise ~ N(0, σ²) per coordinate"),
    ("momentum", "torch"): "v ← β·v + g;  θ ← θ − η·v   (torch.optim.SGD(momentum=β))",
    ("momentum", "textbook"): N_("v ← β·v + (1 − β)·g;  θ ← θ − η·v   (the course's form)"),
    ("adagrad", "torch"): "s ← s + g²;  θ ← θ − η·g/(√s + ε), ε = 1e-10   (torch.optim.Adagrad)",
    ("adagrad", "textbook"): "s ← s + g²;  θ ← θ − η·g/√(s + ε), ε = 1e-6",
    ("rmsprop", "torch"): "s ← γ·s + (1 − γ)·g²;  θ ← θ − η·g/(√s + ε), ε = 1e-8   (torch.optim.RMSprop(alpha=γ))",
    ("rmsprop", "textbook"): "s ← γ·s + (1 − γ)·g²;  θ ← θ − η·g/√(s + ε), ε = 1e-6",
    ("adam", "torch"): "m ← β₁·m + (1 − β₁)·g;  v ← β₂·v + (1 − β₂)·g²;  m̂ = m/(1 − β₁ᵗ);  v̂ = v/(1 − β₂ᵗ);  "
                       "θ ← θ − η·m̂/(√v̂ + ε), ε = 1e-8   (torch.optim.Adam)",
    ("adam", "textbook"): "m ← β₁·m + (1 − β₁)·g;  v ← β₂·v + (1 − β₂)·g²;  m̂ = m/(1 − β₁ᵗ);  v̂ = v/(1 − β₂ᵗ);  "
                          "θ ← θ − η·m̂/√(v̂ + ε), ε = 1e-6",
}
#: English sources (marked with N_): show them with ``_(text)``.
DIFFERENCES = (
    N_("momentum: torch keeps v ← β·v + g; the course averages, v ← β·v + (1 − β)·g, so with the same η its steps "
       "are (1 − β) times as long (--variant textbook shows the course's form)"),
    N_("AdaGrad/RMSProp/Adam: torch adds ε outside the square root, g/(√s + ε); the textbook puts it inside, "
       "g/√(s + ε) (ε = 1e-6, d2l.ai's value); it only matters while s is tiny"),
)


@dataclass(frozen=True)
class Step:
    """Step k (1-based): the gradient used (noise included), the position before and after, and the optimizer's
    state after the update (``v``, ``s``, ``m``... as (x, y) pairs; Adam also ``t``)."""

    k: int
    grad: Point
    before: Point
    after: Point
    state: dict


@dataclass(frozen=True)
class Path:
    name: str            # "adam", or "adam_textbook" in a "both" race
    optimizer: str       # "adam"
    variant: str         # "torch" or "textbook"
    lr: float
    hyper: dict          # beta / gamma / betas / noise, as used
    points: tuple[Point, ...]
    losses: tuple[float, ...]
    steps: tuple[Step, ...]
    steps_to_tol: int | None
    diverged: bool

    @property
    def end(self) -> Point:
        return self.points[-1]

    @property
    def loss(self) -> float | None:
        return None if self.diverged else self.losses[-1]

    @property
    def rule(self) -> str:
        return _(RULES.get((self.optimizer, self.variant)) or RULES[(self.optimizer, "torch")])

    def rule_lines(self, k: int | None = None) -> list[str]:
        """The update rule with its numbers at step ``k`` (default: the last step taken)."""
        if not self.steps:
            return [_("{name}: no step taken").format(name=self.name)]
        s = self.steps[(k if k is not None else len(self.steps)) - 1]
        prev = self.steps[s.k - 2].state if s.k > 1 else {}
        head = _("{name} step {k}: {rule}").format(name=self.name, k=s.k, rule=self.rule)
        return [head] + [f"  {ln}" for ln in _worked(self, s, prev)]


def _v(p) -> str:
    return f"({num(p[0])}, {num(p[1])})"


def _worked(path: Path, s: Step, prev: dict) -> list[str]:
    h, eta, g = path.hyper, path.lr, s.grad
    out = [f"g = ∇f{_v(s.before)} = {_v(g)}" + (_("  (noise included)") if path.optimizer == "sgd" else "")]
    o, tb = path.optimizer, path.variant == "textbook"
    zero = (0.0, 0.0)
    if o == "momentum":
        b, v0, v = h["beta"], prev.get("v", zero), s.state["v"]
        out.append(f"v ← {num(b)}·{_v(v0)} + {'(1 − ' + num(b) + ')·' if tb else ''}{_v(g)} = {_v(v)}")
        out.append(f"θ ← {_v(s.before)} − {num(eta)}·{_v(v)} = {_v(s.after)}")
    elif o in ("adagrad", "rmsprop"):
        s0, s1 = prev.get("s", zero), s.state["s"]
        eps = TEXTBOOK_EPS if tb else TORCH_EPS[o]
        if o == "adagrad":
            out.append(f"s ← {_v(s0)} + {_v(g)}² = {_v(s1)}")
        else:
            gm = h["gamma"]
            out.append(f"s ← {num(gm)}·{_v(s0)} + (1 − {num(gm)})·{_v(g)}² = {_v(s1)}")
        den = [math.sqrt(x + eps) if tb else math.sqrt(x) + eps for x in s1]
        out.append(f"{'√(s + ε)' if tb else '√s + ε'} = {_v(den)}, ε = {eps:g}")
        out.append(f"θ ← {_v(s.before)} − {num(eta)}·{_v(g)}/{_v(den)} = {_v(s.after)}")
    elif o == "adam":
        (b1, b2), t = h["betas"], s.state["t"]
        m0, v0 = prev.get("m", zero), prev.get("v", zero)
        m, v = s.state["m"], s.state["v"]
        mh = tuple(x / (1 - b1 ** t) for x in m)
        vh = tuple(x / (1 - b2 ** t) for x in v)
        eps = TEXTBOOK_EPS if tb else TORCH_EPS["adam"]
        den = [math.sqrt(x + eps) if tb else math.sqrt(x) + eps for x in vh]
        out += [f"m ← {num(b1)}·{_v(m0)} + (1 − {num(b1)})·{_v(g)} = {_v(m)}",
                f"v ← {num(b2)}·{_v(v0)} + (1 − {num(b2)})·{_v(g)}² = {_v(v)}",
                f"m̂ = m/(1 − {num(b1)}^{t}) = {_v(mh)};  v̂ = v/(1 − {num(b2)}^{t}) = {_v(vh)}",
                f"θ ← {_v(s.before)} − {num(eta)}·{_v(mh)}/{_v(den)} = {_v(s.after)}"]
    else:
        out.append(f"θ ← {_v(s.before)} − {num(eta)}·{_v(g)} = {_v(s.after)}")
    return out


@dataclass(frozen=True)
class Race:
    surface: Surface
    start: Point
    steps: int
    tol: float
    variant: str
    paths: dict[str, Path]

    def to_json(self) -> dict:
        return {"surface": self.surface.name, "start": list(self.start), "steps": self.steps,
                "results": {n: {"end": list(p.end), "loss": p.loss, "steps_to_tol": p.steps_to_tol}
                            for n, p in self.paths.items()}}

    def lines(self, show_step: int | None = None) -> list[str]:
        s = self.surface
        minima = ", ".join(_v(m) for m in s.minima)
        out = [ngettext("{title}: {formula}; minimum {minima} (f = 0)", "{title}: {formula}; minima {minima} (f = 0)",
                        len(s.minima)).format(title=s.title, formula=s.formula, minima=minima)]
        rules = {"torch": "torch.optim", "textbook": _("textbook rules"),
                 "both": _("torch.optim and the textbook rules")}[self.variant]
        out.append(ngettext("start {start}, {steps} step, tolerance f ≤ {tol:g}, {rules}",
                            "start {start}, {steps} steps, tolerance f ≤ {tol:g}, {rules}", self.steps).format(
            start=_v(self.start), steps=self.steps, tol=self.tol, rules=rules))
        if s.note:
            out.append(f"  {s.note}")
        # TRANSLATORS: column headings of the optimizer race's table: the optimizer, where its path ends, its loss
        head, end_h, loss_h = _("optimizer"), _("end"), _("loss")
        w = max(max(len(n) for n in self.paths), text_width(head))
        out.append(f"  {ljust(head, w)}  {'η':>8}  {rjust(end_h, 24)}  {rjust(loss_h, 10)}  "
                   + _("steps to f ≤ tol"))
        for n, p in self.paths.items():
            end = _("diverged") if p.diverged else _v(p.end)
            loss = "—" if p.loss is None else f"{p.loss:.4g}"
            stt = _("not reached") if p.steps_to_tol is None else str(p.steps_to_tol)
            out.append(f"  {n.ljust(w)}  {p.lr:>8g}  {rjust(end, 24)}  {loss:>10}  {stt}")
        out.append(_("update rules, with the numbers at step {k}:").format(k=show_step) if show_step
                   else _("update rules, with the numbers at the last step:"))
        for p in self.paths.values():
            k = min(show_step, len(p.steps)) if show_step else None
            out += [f"  {ln}" for ln in p.rule_lines(k)]
        if self.variant != "textbook":
            out.append(_("torch vs the textbook:"))
        else:
            out.append(_("the textbook rules vs torch's:"))
        out += [f"  {_(d)}" for d in DIFFERENCES]
        return out


def _lr_for(name: str, lr, surface: Surface) -> float:
    if isinstance(lr, dict):
        value = lr.get(name, surface.lrs[name])
    elif lr is None:
        value = surface.lrs[name]
    else:
        value = lr
    if not (isinstance(value, (int, float)) and value > 0 and math.isfinite(value)):
        raise LabError(_("the learning rate of {name} must be a positive number (got {value})").format(
            name=name, value=repr(value)), field="lr")
    return float(value)


def _hyper(name: str, momentum: float, gamma: float, betas, noise: float) -> dict:
    return {"momentum": {"beta": momentum}, "rmsprop": {"gamma": gamma}, "adam": {"betas": tuple(betas)},
            "sgd": {"noise": noise}}.get(name, {})


def _check_hyper(momentum, gamma, betas, noise, tol) -> None:
    for value, field, what in ((momentum, "momentum", "β"), (gamma, "gamma", "γ")):
        if not 0 <= value < 1:
            raise LabError(_("{what} must be in [0, 1) (got {value}); 0.9 is usual").format(
                what=what, value=num(value)), field=field)
    if len(betas) != 2 or not all(0 <= b < 1 for b in betas):
        raise LabError(_("Adam's betas are two numbers in [0, 1), e.g. 0.9,0.999 (got {value})").format(
            value=repr(betas)), field="betas")
    if not noise >= 0:
        raise LabError(_("the gradient noise σ must be ≥ 0 (got {value})").format(value=num(noise)), field="noise")
    if not tol > 0:
        raise LabError(_("the tolerance must be > 0 (got {value})").format(value=num(tol)), field="tol")


def _torch_stepper(name: str, lr: float, hyper: dict, start: Point):
    import torch

    p = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    if name in ("gd", "sgd"):
        opt = torch.optim.SGD([p], lr=lr)
    elif name == "momentum":
        opt = torch.optim.SGD([p], lr=lr, momentum=hyper["beta"])
    elif name == "adagrad":
        opt = torch.optim.Adagrad([p], lr=lr)
    elif name == "rmsprop":
        opt = torch.optim.RMSprop([p], lr=lr, alpha=hyper["gamma"])
    else:
        opt = torch.optim.Adam([p], lr=lr, betas=hyper["betas"])
    keys = {"momentum_buffer": "v", "sum": "s", "square_avg": "s", "exp_avg": "m", "exp_avg_sq": "v"}

    def step(g: Point) -> tuple[Point, dict]:
        p.grad = torch.tensor(g, dtype=torch.float64)
        opt.step()
        st = {}
        for k, v in opt.state[p].items():
            if k == "step":
                st["t"] = int(v.item()) if hasattr(v, "item") else int(v)
            elif k in keys:
                st[keys[k]] = (float(v[0]), float(v[1]))
        d = p.detach()
        return (float(d[0]), float(d[1])), st

    return step


def _textbook_stepper(name: str, lr: float, hyper: dict, start: Point):
    """The course's rules, in plain Python (only the four that differ from torch's)."""
    theta = list(start)
    st: dict = {"v": [0.0, 0.0], "s": [0.0, 0.0], "m": [0.0, 0.0], "t": 0}
    eps = TEXTBOOK_EPS

    def step(g: Point) -> tuple[Point, dict]:
        if name == "momentum":
            b = hyper["beta"]
            st["v"] = [b * v + (1 - b) * gi for v, gi in zip(st["v"], g)]
            for i in range(2):
                theta[i] -= lr * st["v"][i]
            return tuple(theta), {"v": tuple(st["v"])}
        if name in ("adagrad", "rmsprop"):
            if name == "adagrad":
                st["s"] = [s + gi * gi for s, gi in zip(st["s"], g)]
            else:
                gm = hyper["gamma"]
                st["s"] = [gm * s + (1 - gm) * gi * gi for s, gi in zip(st["s"], g)]
            for i in range(2):
                theta[i] -= lr * g[i] / math.sqrt(st["s"][i] + eps)
            return tuple(theta), {"s": tuple(st["s"])}
        b1, b2 = hyper["betas"]
        st["t"] += 1
        t = st["t"]
        st["m"] = [b1 * m + (1 - b1) * gi for m, gi in zip(st["m"], g)]
        st["v"] = [b2 * v + (1 - b2) * gi * gi for v, gi in zip(st["v"], g)]
        for i in range(2):
            mh, vh = st["m"][i] / (1 - b1 ** t), st["v"][i] / (1 - b2 ** t)
            theta[i] -= lr * mh / math.sqrt(vh + eps)
        return tuple(theta), {"m": tuple(st["m"]), "v": tuple(st["v"]), "t": t}

    return step


def run(optimizer: str, surface: str | Surface = "rosenbrock", steps: int = 100, *, start: Point | None = None,
        lr=None, momentum: float = 0.9, gamma: float = 0.9, betas=(0.9, 0.999), noise: float = 1.0,
        seed: int = 0, tol: float = 1e-3, variant: str = "torch", name: str | None = None) -> Path:
    """One optimizer's path: ``steps`` updates from ``start`` (default: the surface's). ``lr`` is a number, a dict
    per optimizer, or None (the surface's default for that optimizer)."""
    if optimizer not in OPTIMIZERS:
        raise LabError(_("unknown optimizer {name}; choose from {names}").format(
            name=repr(optimizer), names=", ".join(OPTIMIZERS)), field="only")
    if variant not in ("torch", "textbook"):
        raise LabError(_("unknown variant {variant}: use torch or textbook").format(variant=repr(variant)),
                       field="variant")
    surf = resolve_surface(surface)
    _check_hyper(momentum, gamma, betas, noise, tol)
    x0 = tuple(float(v) for v in (start or surf.start))
    eta = _lr_for(optimizer, lr, surf)
    hyper = _hyper(optimizer, momentum, gamma, betas, noise)
    textbook = variant == "textbook" and optimizer in DIFFERS
    stepper = (_textbook_stepper if textbook else _torch_stepper)(optimizer, eta, hyper, x0)
    rng = random.Random(seed)
    pts, losses, recs = [x0], [surf.f(*x0)], []
    hit = 0 if losses[0] <= tol else None
    diverged = False
    for k in range(1, steps + 1):
        g = surf.grad(*pts[-1])
        if optimizer == "sgd" and noise:
            g = (g[0] + rng.gauss(0.0, noise), g[1] + rng.gauss(0.0, noise))
        after, state = stepper(g)
        loss = surf.f(*after) if all(math.isfinite(a) and abs(a) < DIVERGED for a in after) else math.inf
        if not math.isfinite(loss):
            diverged = True
            break
        recs.append(Step(k, g, pts[-1], after, state))
        pts.append(after)
        losses.append(loss)
        if hit is None and loss <= tol:
            hit = k
    return Path(name or optimizer, optimizer, "textbook" if textbook else "torch", eta, hyper, tuple(pts),
                tuple(losses), tuple(recs), hit, diverged)


def race(surface: str | Surface = "rosenbrock", steps: int = 100, *, optimizers=None, variant: str = "torch",
         start: Point | None = None, **kw) -> Race:
    """Every optimizer (or those in ``optimizers``) from the same start; keyword arguments as :func:`run`.
    ``variant="both"`` adds the textbook form of momentum, AdaGrad, RMSProp and Adam as ``<name>_textbook``."""
    if variant not in VARIANTS:
        raise LabError(_("unknown variant {variant}: use torch, textbook or both").format(variant=repr(variant)),
                       field="variant")
    if not isinstance(steps, int) or isinstance(steps, bool) or not 1 <= steps <= 100_000:
        raise LabError(_("steps must be a whole number from 1 to 100000 (got {value})").format(value=repr(steps)),
                       field="steps")
    surf = resolve_surface(surface)
    names = list(optimizers or OPTIMIZERS)
    for n in names:
        if n not in OPTIMIZERS:
            raise LabError(_("unknown optimizer {name}; choose from {names}").format(
                name=repr(n), names=", ".join(OPTIMIZERS)), field="only")
    x0 = tuple(float(v) for v in (start or surf.start))
    paths: dict[str, Path] = {}
    for n in names:
        first = "textbook" if variant == "textbook" else "torch"
        paths[n] = run(n, surf, steps, start=x0, variant=first, **kw)
        if variant == "both" and n in DIFFERS:
            paths[f"{n}_textbook"] = run(n, surf, steps, start=x0, variant="textbook", name=f"{n}_textbook", **kw)
    return Race(surf, x0, steps, kw.get("tol", 1e-3), variant, paths)
