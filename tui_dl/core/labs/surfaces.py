"""The 2-D loss surfaces the optimizers race on: f(x, y), its gradient (worked out by hand, checked against
autograd in the tests), the minima, a start point and a view box for the contour map.

Every surface's minimum value is 0, so "reached the minimum" is simply f ≤ tolerance. Plain Python; the app
draws a surface without loading torch.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from tui_dl.core.i18n import N_, _
from tui_dl.core.labs.values import LabError, num, parse_vector

Point = tuple[float, float]


@dataclass(frozen=True)
class Surface:
    """A surface. ``title_source`` and ``note_source`` are English sources (marked with N_), with ``title_args`` and
    ``note_args`` to fill in: :attr:`title` and :attr:`note` give them in the language spoken when they are read,
    so a language switch reaches a surface built at import (the bowl)."""

    name: str
    title_source: str
    formula: str
    f: Callable[[float, float], float]
    grad: Callable[[float, float], Point]
    minima: tuple[Point, ...]
    start: Point
    box: tuple[float, float, float, float]   # x_min, x_max, y_min, y_max
    #: A learning rate per optimizer that makes a fair race from ``start`` (each optimizer's own scale).
    lrs: dict
    note_source: str = ""
    title_args: dict = field(default_factory=dict)
    note_args: dict = field(default_factory=dict)

    @property
    def title(self) -> str:
        """The title in the language spoken now."""
        return _(self.title_source).format(**self.title_args)

    @property
    def note(self) -> str:
        """The note in the language spoken now ("" when there is none)."""
        return _(self.note_source).format(**self.note_args) if self.note_source else ""

    def grid(self, nx: int = 41, ny: int = 21) -> tuple[list[float], list[float], list[list[float]]]:
        """``(xs, ys, values)`` over the view box, ``values[j][i] = f(xs[i], ys[j])`` (for a heat or contour map)."""
        x0, x1, y0, y1 = self.box
        xs = [x0 + (x1 - x0) * i / (nx - 1) for i in range(nx)]
        ys = [y0 + (y1 - y0) * j / (ny - 1) for j in range(ny)]
        return xs, ys, [[self.f(x, y) for x in xs] for y in ys]


def quadratic(a: float, b: float, *, name: str | None = None, start: Point = (-5.0, -2.0),
              lrs: dict | None = None) -> Surface:
    """f = a·x² + b·y² (a, b > 0): a round bowl when a = b, an elongated one when they differ."""
    if not (a > 0 and b > 0):
        raise LabError(_("a quadratic bowl needs a, b > 0 (got {a}, {b})").format(a=num(a), b=num(b)),
                       field="surface")
    return Surface(name or f"quadratic:{num(a)},{num(b)}", N_("the bowl {a}·x² + {b}·y²"),
                   f"f(x, y) = {num(a)}·x² + {num(b)}·y²", lambda x, y: a * x * x + b * y * y,
                   lambda x, y: (2 * a * x, 2 * b * y), ((0.0, 0.0),), start,
                   (-6.0, 6.0, -3.0, 3.0),
                   lrs or {"gd": 0.4, "sgd": 0.05, "momentum": 0.1, "adagrad": 1.0, "rmsprop": 0.1, "adam": 0.5},
                   N_("curvature {cx} along x and {cy} along y: a step size that is safe for y crawls along x"),
                   {"a": num(a), "b": num(b)}, {"cx": num(2 * a), "cy": num(2 * b)})


def _rosenbrock(x: float, y: float) -> float:
    return (1 - x) ** 2 + 100 * (y - x * x) ** 2


def _rosenbrock_grad(x: float, y: float) -> Point:
    return (-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x))


def _saddle(x: float, y: float) -> float:
    return x * x + (y * y - 1) ** 2 / 4


def _saddle_grad(x: float, y: float) -> Point:
    return (2 * x, y * (y * y - 1))


def _himmelblau(x: float, y: float) -> float:
    return (x * x + y - 11) ** 2 + (x + y * y - 7) ** 2


def _himmelblau_grad(x: float, y: float) -> Point:
    a, b = x * x + y - 11, x + y * y - 7
    return (4 * x * a + 2 * b, 2 * a + 4 * y * b)


SURFACES: dict[str, Surface] = {s.name: s for s in (
    quadratic(0.1, 2.0, name="bowl"),
    Surface("rosenbrock", N_("Rosenbrock's banana valley"), "f(x, y) = (1 − x)² + 100·(y − x²)²", _rosenbrock,
            _rosenbrock_grad, ((1.0, 1.0),), (-1.2, 1.0), (-2.0, 2.0, -1.0, 3.0),
            {"gd": 0.002, "sgd": 0.001, "momentum": 0.002, "adagrad": 1.0, "rmsprop": 0.01, "adam": 0.2},
            N_("a curved, narrow valley: finding it is easy, following it to (1, 1) is slow")),
    Surface("saddle", N_("a saddle between two minima"), "f(x, y) = x² + (y² − 1)²/4", _saddle, _saddle_grad,
            ((0.0, 1.0), (0.0, -1.0)), (-1.5, 0.01), (-2.0, 2.0, -1.6, 1.6),
            {"gd": 0.1, "sgd": 0.05, "momentum": 0.05, "adagrad": 0.5, "rmsprop": 0.05, "adam": 0.1},
            N_("(0, 0) is a saddle point (the gradient is 0, f curves up along x and down along y); starting just "
               "off y = 0, GD and momentum linger near it longer than the adaptive methods, which scale the tiny "
               "y-gradient up")),
    Surface("minima", N_("Himmelblau's function: four minima"), "f(x, y) = (x² + y − 11)² + (x + y² − 7)²",
            _himmelblau, _himmelblau_grad,
            ((3.0, 2.0), (-2.805118, 3.131312), (-3.779310, -3.283186), (3.584428, -1.848126)), (-0.27, -0.92),
            (-5.0, 5.0, -5.0, 5.0),
            {"gd": 0.01, "sgd": 0.005, "momentum": 0.002, "adagrad": 0.5, "rmsprop": 0.05, "adam": 0.1},
            N_("four minima, all f = 0; the start is near the local maximum (−0.27, −0.92), so which minimum an "
               "optimizer ends in depends on its path")),
)}


def resolve_surface(name: str | Surface) -> Surface:
    """A surface by name (``bowl``, ``rosenbrock``, ``saddle``, ``minima``), or ``quadratic:A,B``."""
    if isinstance(name, Surface):
        return name
    key = name.strip().lower()
    if key in ("himmelblau", "several-minima"):
        key = "minima"
    if key in SURFACES:
        return SURFACES[key]
    if key.startswith("quadratic:"):
        ab = parse_vector(key.split(":", 1)[1], field="surface")
        if len(ab) != 2:
            raise LabError(_("write a quadratic bowl as quadratic:A,B (f = A·x² + B·y²)"), field="surface")
        return quadratic(float(ab[0]), float(ab[1]))
    raise LabError(_("unknown surface {name}; choose one of {names} (or quadratic:A,B)").format(
        name=repr(name), names=", ".join(SURFACES)), field="surface")
