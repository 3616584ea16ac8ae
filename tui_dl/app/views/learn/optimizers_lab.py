"""The optimizers lab: GD, SGD, momentum, AdaGrad, RMSProp and Adam racing on a 2-D surface from the same start,
drawn as a heat map with each path; η, β and the start point changed with keys; the update rule of one
optimizer with its numbers at the step shown; a table of where each ends and how many steps it needed.

The race runs torch's own optimizers (:func:`tui_dl.core.labs.optimizers.race`), so it is not run here: the lab
posts :class:`~tui_dl.app.messages.LabRequested` and the app's lab controller runs it on a worker thread. The
surfaces themselves are plain Python (:mod:`tui_dl.core.labs.surfaces`), drawn at once.
"""

from __future__ import annotations

from rich.console import Group
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.timer import Timer
from textual.widgets import Static

from tui_dl.app.views.learn.base import LabPane, number
from tui_dl.app.widgets.surface_map import MapPath, SurfaceMap
from tui_dl.core.labs.surfaces import SURFACES, resolve_surface
from tui_dl.core.i18n import N_, _, ngettext, rjust
from tui_dl.core.labs.values import LabError, num, parse_vector

OPTIMIZERS = ("gd", "sgd", "momentum", "adagrad", "rmsprop", "adam")  # the race's, in its order
#: Each optimizer's letter on the map and its colour (readable on both themes' heat maps).
STYLE = {"gd": ("g", (214, 39, 40)), "sgd": ("s", (148, 103, 189)), "momentum": ("m", (255, 127, 14)),
         "adagrad": ("a", (44, 160, 44)), "rmsprop": ("r", (23, 190, 207)), "adam": ("A", (227, 119, 194))}
BETAS = (0.5, 0.9, 0.99)
VARIANTS = ("torch", "textbook", "both")
DEBOUNCE_S = 0.3


def style_of(name: str) -> tuple[str, tuple[int, int, int], str]:
    """An optimizer's letter, colour and letter style: a textbook variant (``adam_textbook``) has its torch twin's
    letter and colour, underlined."""
    letter, color = STYLE[name.removesuffix("_textbook")]
    return letter, color, "underline" if name.endswith("_textbook") else ""


class OptimizersLab(LabPane):
    LAB = "optimizers"
    TITLE = N_("optimizers")
    HEADING = N_("optimizers · a race on a 2-D surface (torch.optim)")
    HINT = N_("←/→ step · +/- η · b β · shift+arrows start · m surface · v torch/textbook · n next rule · "
              "esc leaves an input")
    FIELDS = ((("start", N_("start"), 12), ("steps", N_("steps"), 6), ("beta", "β", 6)),)
    DEFAULTS = {"start": "-5, -2", "steps": "200", "beta": "0.9"}
    BOARD_SCROLLS = False

    DEFAULT_CSS = """
    OptimizersLab .opt-top { height: 1fr; min-height: 8; }
    OptimizersLab SurfaceMap { width: 1fr; height: 1fr; }
    OptimizersLab #optimizers-table { width: 32; height: 1fr; padding: 0 0 0 1; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.surface = "bowl"  # the elongated bowl first: the course's (and d2l.ai's) example
        self.lr_scale = 1.0
        self.variant_name = "torch"
        self.kwargs: dict | None = None
        self.race = None
        self.serial = 0
        self.shown = 0  # which optimizer's rule is shown
        self.k = 1  # the step shown (its update rule with the numbers; the paths drawn up to it)
        self.pending = False
        self.race_error = ""
        self._timer: Timer | None = None
        self._activated = False

    def board(self) -> ComposeResult:
        yield Static("", classes="lab-part", id="optimizers-title")
        with Horizontal(classes="opt-top"):
            yield SurfaceMap(id="optimizers-map")
            yield Static("", classes="lab-part", id="optimizers-table")
        yield Static("", classes="lab-part", id="optimizers-rule")

    # ------------------------------------------------------------------ the race's arguments, and asking for it
    def compute(self) -> None:
        surf = resolve_surface(self.surface)
        v = self.values
        if v["start"].strip():
            xy = parse_vector(v["start"], "start")
            if len(xy) != 2:
                raise LabError(_("the start point is two numbers x, y (e.g. -1.2, 1)"), "start")
            start = (float(xy[0]), float(xy[1]))
        else:
            start = surf.start
        steps = parse_vector(v["steps"], "steps")
        if len(steps) != 1 or not isinstance(steps[0], int) or not 1 <= steps[0] <= 2000:
            raise LabError(_("steps is a whole number from 1 to 2000"), "steps")
        beta = number(v["beta"], "beta")
        if not 0 <= beta < 1:
            raise LabError(_("β must be in [0, 1) (got {beta}); 0.9 is usual").format(beta=num(beta)), "beta")
        self.kwargs = {"surface": surf.name, "steps": steps[0], "start": start, "momentum": beta,
                       "lr": {n: surf.lrs[n] * self.lr_scale for n in OPTIMIZERS}, "variant": self.variant_name}
        self.serial += 1
        if self._activated:
            self._schedule()

    def _schedule(self) -> None:
        if self._timer is not None:
            self._timer.stop()
        self.pending = True
        self._timer = self.set_timer(DEBOUNCE_S, self._request)

    def _request(self) -> None:
        self._timer = None
        if self.kwargs is not None and self.is_attached:
            self.ask("race", self.serial, dict(self.kwargs))

    def activated(self) -> None:
        if not self._activated:
            self._activated = True
            if self.kwargs is not None and self.error is None:
                self.pending = True
                self._request()
                self.draw()

    def computed(self, message) -> None:
        if message.task != "race" or message.serial != self.serial:
            return
        self.pending = False
        self.race_error = message.error
        if not message.error:
            self.race = message.result
        self.draw()

    # ------------------------------------------------------------------ keys
    def step(self, n: int) -> None:
        if self.race is None:
            return
        self.k = max(1, min(self.race.steps, self.k + n))
        self.draw()

    def bump(self, n: int) -> None:
        self.lr_scale = self.lr_scale * 2 if n > 0 else self.lr_scale / 2
        self.recompute()

    def cycle_beta(self) -> None:
        try:
            b = number(self.values["beta"], "beta")
        except LabError:
            b = 0.9
        self.set_values(beta=num(next((v for v in BETAS if v > b + 1e-12), BETAS[0])))

    def mode(self) -> None:
        names = list(SURFACES)
        self.surface = names[(names.index(self.surface) + 1) % len(names)] if self.surface in names else names[0]
        self.lr_scale, self.k = 1.0, 1
        start = SURFACES[self.surface].start
        self.set_values(start=f"{num(start[0])}, {num(start[1])}")

    def variant(self) -> None:
        self.variant_name = VARIANTS[(VARIANTS.index(self.variant_name) + 1) % len(VARIANTS)]
        self.recompute()

    def next_optimizer(self) -> None:
        self.shown += 1
        self.draw()

    def move_start(self, dx: int, dy: int) -> None:
        if self.kwargs is None:
            return
        x0, x1, y0, y1 = resolve_surface(self.surface).box
        x, y = self.kwargs["start"]
        x = max(x0, min(x1, round(x + dx * (x1 - x0) / 20, 2)))
        y = max(y0, min(y1, round(y + dy * (y1 - y0) / 20, 2)))
        self.set_values(start=f"{num(x)}, {num(y)}")

    # ------------------------------------------------------------------ drawing
    def draw(self) -> None:
        if self.kwargs is None:
            return
        pal = self.pal
        surf = resolve_surface(self.kwargs["surface"])
        race = self.race if self.race is not None and self.race.surface.name == surf.name else None
        k = None if race is None else min(self.k, race.steps)
        paths = []
        if race is not None:
            for name, p in race.paths.items():
                letter, color, style = style_of(name)
                paths.append(MapPath(list(p.points), color, letter, min(k, len(p.points) - 1), style))
        start = self.kwargs["start"]
        self.query_one("#optimizers-map", SurfaceMap).show(surf.f, surf.box, surf.minima, start, paths)
        formula = "" if surf.formula.partition("= ")[2] in surf.title else f"  {surf.formula}"
        self.put("#optimizers-title", Text.assemble(
            (_(surf.title), f"bold {pal.primary}"), formula, (_("  m: next surface"), pal.muted)))
        self.put("#optimizers-table", self._table(race, k))
        self.put("#optimizers-rule", self._rule(race, k))

    def _status(self) -> Text | None:
        pal = self.pal
        if self.race_error:
            return Text(f"✗ {self.race_error}", style=pal.error)
        if self.pending:
            return Text(_("racing… (torch loads the first time)"), style=pal.muted)
        return None

    def _table(self, race, k) -> Group:
        pal = self.pal
        rows = [Text.assemble((self.variant_name, pal.muted), (" · η ×", pal.muted), (num(self.lr_scale), "bold"),
                              (_(" · step {k}/{n}").format(k=k, n=race.steps) if race is not None else "", "bold"))]
        if race is None:
            rows.append(self._status() or Text(""))
            return Group(*rows)
        rows.append(Text(f"{'':11}{'η':>6}{'f':>8}{'tol':>5}", style="bold"))
        for name, p in race.paths.items():
            letter, color, style = style_of(name)
            f = _("diverged") if p.diverged and k >= len(p.steps) else f"{p.losses[min(k, len(p.losses) - 1)]:.2g}"
            hit = "—" if p.steps_to_tol is None else str(p.steps_to_tol)
            short = name.replace("_textbook", "ᵗ")
            rows.append(Text.assemble((letter, f"bold {style} rgb{color}"), " ", f"{short:<9}", f"{p.lr:>6.3g}",
                                      (rjust(f, 8), "bold"), f"{hit:>5}"))
        rows.append(Text(_("tol: steps to f ≤ {tol:g}").format(tol=race.tol), style=pal.muted))
        if (status := self._status()) is not None:
            rows.append(status)
        return Group(*rows)

    def _rule(self, race, k) -> Group:
        if race is None:
            return Group()
        pal = self.pal
        names = list(race.paths)
        name = names[self.shown % len(names)]
        p = race.paths[name]
        lines = p.rule_lines(min(k, len(p.steps))) if p.steps else [_("{name}: no step taken").format(name=name)]
        out = [Text.assemble((lines[0], f"bold rgb{style_of(name)[1]}"), (_("   n: next optimizer"), pal.muted))]
        out += [Text(ln) for ln in lines[1:]]
        if p.diverged:
            out.append(Text(ngettext("  {name} diverged after {n} step (try a smaller η: -)",
                                     "  {name} diverged after {n} steps (try a smaller η: -)", len(p.steps)).format(
                name=name, n=len(p.steps)), style=pal.warning))
        if race.surface.note:
            out.append(Text(_(race.surface.note), style=pal.muted))
        return Group(*out)
