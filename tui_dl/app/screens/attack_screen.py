"""Fooling the model: FGSM (or PGD, or a targeted attack) on one test image with ε on the arrow keys, then the
accuracy against ε over the whole test set.

Top: the original, the sign of the input gradient (the direction each pixel is pushed: red +ε, blue −ε, dim where
the clamp to [0, 1] cut the step) and the adversarial image (the clamped pixels marked in amber), with both
predictions and the smallest ε that flips the image. Bottom: accuracy against ε as a curve, beside a few images the
attack flipped at the ε nearest the slider. The sweep runs on a worker thread with a progress bar; ``esc`` (or
``r`` again) cancels it.

The numbers come from :mod:`tui_dl.core.insight.attacks` through ``app.insight``; this screen only draws the
records of :mod:`tui_dl.app.insight_records`.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import ProgressBar, Static

from tui_dl.app.insight_records import AttackRecord, AttackSettings, CurveRecord, nearest, step_image
from tui_dl.app.i18n_ui import TFooter, TStatic
from tui_dl.app.keys import bindings
from tui_dl.app.widgets.colors import palette
from tui_dl.app.widgets.function_plot import Curve, FunctionPlot
from tui_dl.app.widgets.picture import Tile, TileGrid
from tui_dl.core.i18n import N_, _, text_width
from tui_dl.core.insight.attack_settings import CONVENTION, DEFAULT_EPS, eps_over_std

EPS_MAX = 0.3
EPS_STEP = 0.01
STEPS = (5, 10, 20, 40)
STEP_SIZES = (None, 0.005, 0.01, 0.02)
#: Flipped images shown beside the curve.
EXAMPLES = 4
#: The colour that marks an adversarial pixel where the clamp to [0, 1] cut the step, and how much of it.
CUT_MARK = (255, 176, 0)
CUT_SHARE = 0.35
#: Seconds after the last key before the image is attacked again (holding → one request, not twenty).
DEBOUNCE_S = 0.12


def method_text(s: AttackSettings, classes: list[str] | None = None) -> str:
    """``FGSM``, ``PGD 10 steps of 2.5·ε/steps``, ``… → make it say 3``."""
    if s.method == "pgd":
        size = _("2.5·ε/steps") if s.step_size is None else f"{s.step_size:g}"
        out = _("PGD {steps} steps of {size}").format(steps=s.steps, size=size)
    else:
        out = "FGSM"
    if s.target is not None:
        name = classes[s.target] if classes and 0 <= s.target < len(classes) else str(s.target)
        out = _("{method}, targeted: make it say {name}").format(method=out, name=name)
    return out


def mark_cut(pixels, cut, mark=CUT_MARK, share: float = CUT_SHARE):
    """The picture with each pixel the clamp cut blended towards ``mark`` (grey levels become (r, g, b))."""
    def blend(p):
        rgb = (p, p, p) if isinstance(p, int) else p
        return tuple(int(round((1 - share) * v + share * m)) for v, m in zip(rgb, mark))
    return [[blend(p) if c else p for p, c in zip(row, crow)] for row, crow in zip(pixels, cut)]


def picture_width(width: int, height: int) -> int:
    """The width of each of the three pictures: 28 on a big screen, 20 at 100×30, else 14."""
    if height >= 40 and width >= 120:
        return 28
    if height >= 30 and width >= 100:
        return 20
    return 14


class AttackScreen(Screen):
    BINDINGS = bindings("Attack")  # see tui_dl.app.keys

    DEFAULT_CSS = """
    AttackScreen { layout: vertical; }
    AttackScreen #attack-head { height: auto; padding: 0 1; background: $boost; }
    AttackScreen #attack-top { height: auto; padding: 0 1; }
    AttackScreen #attack-pictures { width: 46; }
    AttackScreen #attack-info { width: 1fr; height: auto; padding: 0 0 0 2; }
    AttackScreen #attack-bottom { height: 1fr; min-height: 6; }
    AttackScreen #attack-plot-box { width: 1fr; height: 1fr; border: round $foreground 25%;
                                    border-title-color: $text-muted; border-subtitle-color: $text-muted; }
    AttackScreen #attack-plot { width: 1fr; height: 1fr; }
    AttackScreen #attack-examples-box { width: 66; height: 1fr; padding: 0 1; }
    AttackScreen.-medium #attack-examples-box { width: 50; }
    AttackScreen.-narrow #attack-examples-box { width: 34; }
    AttackScreen #attack-examples-title { height: auto; color: $text-muted; }
    AttackScreen #attack-progress-row { height: 1; display: none; padding: 0 1; }
    AttackScreen #attack-progress-row.-running { display: block; }
    AttackScreen #attack-progress-label { width: auto; color: $text-muted; }
    AttackScreen #attack-convention { height: auto; padding: 0 1; color: $text-muted; }
    """

    def __init__(self, insight: "InsightController", source: Path, index: int = 0,
                 order: list[int] | None = None) -> None:
        super().__init__()
        self.insight = insight
        self.source = Path(source)
        self.index = int(index)
        self.order = list(order) if order else []
        self.settings = AttackSettings()
        self.record: AttackRecord | None = None
        self.curve: CurveRecord | None = None
        self.curve_error = ""
        self.error = ""
        self.busy = True
        self.sweeping = False
        self.progress_done = (0, 0)
        self.class_names: list[str] = []
        self.std: tuple[float, ...] = ()
        self.mark = True  #: the clamped pixels tinted amber in the adversarial image
        self._stop: threading.Event | None = None
        self._serial = 0
        self._curve_serial = 0
        self._timer = None

    def compose(self) -> ComposeResult:
        yield Static("", id="attack-head")
        with Horizontal(id="attack-top"):
            yield TileGrid(id="attack-pictures")
            yield Static("", id="attack-info")
        with Horizontal(id="attack-progress-row"):
            yield TStatic(N_("attacking the test set (esc cancels) "), id="attack-progress-label")
            yield ProgressBar(id="attack-progress", show_eta=False)
        with Horizontal(id="attack-bottom"):
            with Vertical(id="attack-plot-box"):
                yield FunctionPlot(_("r: accuracy against ε over the whole test set"), id="attack-plot")
            with Vertical(id="attack-examples-box"):
                yield Static("", id="attack-examples-title")
                yield TileGrid(id="attack-examples")
        yield Static(Text(_(CONVENTION)), id="attack-convention")
        yield TFooter()

    def on_mount(self) -> None:
        self.query_one("#attack-plot-box").border_title = _("Accuracy against ε")
        self._size_classes()
        self._request()
        self._draw_curve()

    def on_unmount(self) -> None:
        if self._stop is not None:
            self._stop.set()

    # ------------------------------------------------------------------ one image
    def _request(self) -> None:
        self._serial += 1
        serial = self._serial
        self.busy = True
        self._draw_head()
        self.insight.attack_one(self.source, self.index, self.settings,
                                lambda rec, error: self._arrived(serial, rec, error))

    def _later(self) -> None:
        """Attack again once the keys stop (the head shows the new settings at once)."""
        self.busy = True
        self._draw_head()
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(DEBOUNCE_S, self._request)

    def _arrived(self, serial: int, rec: AttackRecord | None, error: str) -> None:
        if serial != self._serial or not self.is_attached:
            return
        self.busy = False
        self.error = error
        if rec is not None:
            self.record = rec
            self.class_names = rec.classes
            self.std = rec.std
        self._draw()

    # ------------------------------------------------------------------ drawing
    def _draw(self) -> None:
        self._draw_head()
        self._draw_pictures()
        self._draw_curve()

    def _draw_head(self) -> None:
        pal = palette(self.app)
        s = self.settings
        ratio = ""
        if self.std:
            ratio = _("(ε/σ = {values} normalised)").format(
                values=", ".join(f"{v:.2f}" for v in eps_over_std(s.eps, self.std))) + " "
        head = Text.assemble((_("Adversarial attack") + " ", "bold"), ("· ε = ", "bold"),
                             (f"{s.eps:.2f} ", f"bold {pal.accent}"), (ratio, pal.muted),
                             (f"· {method_text(s, self.class_names)} ", pal.accent),
                             ("· " + _("image #{index}").format(index=self.index), pal.muted))
        # TRANSLATORS: the attack screen's key hints: "t target", "n/p image", "r accuracy vs ε"; keep them short
        keys = Text.assemble(("←/→ ", "bold"), ("ε ±0.01  ", pal.muted), ("⇧←/→ ", "bold"), ("±0.05  ", pal.muted),
                             ("m ", "bold"), ("FGSM/PGD  ", pal.muted), ("t ", "bold"), (_("target") + "  ", pal.muted),
                             ("n/p ", "bold"), (_("image") + "  ", pal.muted), ("r ", "bold"),
                             (_("accuracy vs ε"), pal.muted))
        if s.method == "pgd":
            keys.append_text(Text.assemble(("  s ", "bold"), (_("steps {steps}").format(steps=s.steps) + "  ", pal.muted),
                                           ("z ", "bold"), (_("step size"), pal.muted)))
        self.query_one("#attack-head", Static).update(Text("\n").join([head, keys]))

    def _draw_pictures(self) -> None:
        pal = palette(self.app)
        rec = self.record
        info = self.query_one("#attack-info", Static)
        if rec is None:
            info.update(Text(f"✗ {self.error}", pal.error) if self.error else Text(_("Attacking…"), pal.muted))
            return
        w = picture_width(self.app.size.width, self.app.size.height)

        def said(name: str, conf: float, right: bool) -> Text:
            colour = pal.success if right else pal.error
            word = _("said") + " "
            word = word if text_width(word) + text_width(name) + 6 <= w else "→"
            return Text.assemble((word, pal.muted), (f"{name} ", f"bold {colour}"), (f"{100 * conf:.1f}%", colour))

        tiles = [Tile(rec.original, w, [Text(_("original"), "bold"), said(rec.before_name, rec.before_confidence,
                                                                        rec.before_correct)]),
                 Tile(rec.sign, w, [Text(_("sign(∇ₓ loss)"), "bold"), Text(_("red+ε blue−ε"), pal.muted)]),
                 Tile(mark_cut(rec.adversarial, rec.cut) if self.mark else rec.adversarial, w, [
                     Text(_("adversarial"), "bold"),
                                           said(rec.after_name, rec.after_confidence, rec.after_correct)])]
        pictures = self.query_one("#attack-pictures", TileGrid)
        pictures.styles.width = 3 * w + 2 * pictures.gap
        pictures.set_tiles(tiles)
        lines = [Text.assemble((_("true class") + " ", pal.muted), (rec.true_name, "bold"))]
        if rec.settings.eps == 0:
            lines.append(Text(_("ε = 0: the image is untouched (→ moves ε)"), pal.muted))
        elif rec.fooled:
            what = (_("the model says the target ({before} → {after})") if rec.settings.target is not None else
                    _("the model is wrong ({before} → {after})")).format(before=rec.before_name, after=rec.after_name)
            lines.append(Text.assemble((_("✗ fooled:") + " ", f"bold {pal.error}"), what))
        elif not rec.before_correct:
            lines.append(Text(_("already wrong before the attack (counts as a failure)"), pal.warning))
        elif rec.settings.target is not None and not rec.after_correct:
            target = self.class_names[rec.settings.target] if rec.settings.target < len(self.class_names) else "?"
            lines.append(Text.assemble((_("wrong") + " ", f"bold {pal.warning}"),
                                       _("({after}), but not yet the target {target}").format(after=rec.after_name,
                                                                                              target=target)))
        else:
            lines.append(Text.assemble((_("✓ not fooled") + " ", f"bold {pal.success}"),
                                       (_("at ε = {eps:.2f}").format(eps=rec.settings.eps), pal.muted)))
        if rec.settings.eps > 0:
            share = rec.cut_pixels / rec.pixel_count if rec.pixel_count else 0
            cut = (_("clamp to [0, 1] cut {cut:,} of {total:,} pixel values ({share:.0%}): dim in the sign, amber in "
                     "the adversarial image (k hides them)") if self.mark else
                   _("clamp to [0, 1] cut {cut:,} of {total:,} pixel values ({share:.0%}): dim in the sign "
                     "(k marks them)")).format(cut=rec.cut_pixels, total=rec.pixel_count, share=share)
            lines.append(Text(cut, pal.muted))
        method = "PGD" if rec.settings.method == "pgd" else "FGSM"
        if not rec.before_correct:
            lines.append(Text.assemble((_("smallest ε that flips it ({method}):").format(method=method) + " ",
                                        pal.muted), (_("0 (already wrong)"), "bold")))
        elif rec.smallest_known:
            value = f"{rec.smallest_eps:.3f}" if rec.smallest_eps is not None else _("none up to 1")
            lines.append(Text.assemble((_("smallest ε that flips it ({method}, untargeted):").format(method=method)
                                        + " ", pal.muted), (value, f"bold {pal.accent}")))
        if self.busy:
            lines.append(Text(_("attacking…"), pal.muted))
        info.update(Text("\n").join(lines))

    def _draw_curve(self) -> None:
        pal = palette(self.app)
        plot = self.query_one("#attack-plot", FunctionPlot)
        box = self.query_one("#attack-plot-box")
        title = self.query_one("#attack-examples-title", Static)
        grid = self.query_one("#attack-examples", TileGrid)
        c = self.curve
        if c is None:
            plot.set_plot([], cursor=None)
            plot.empty_text = (f"✗ {self.curve_error}" if self.curve_error else
                               _("r: accuracy against ε over the whole test set (ε = {values})").format(
                                   values=", ".join(f"{e:g}" for e in DEFAULT_EPS)))
            box.border_title = _("Accuracy against ε")
            box.border_subtitle = ""
            title.update(Text(_("A few images the attack flipped appear here, at the ε nearest the slider."),
                              pal.muted))
            grid.set_tiles([])
            return
        curves = [Curve(c.eps, [100 * a for a in c.accuracy], _("accuracy"), "primary")]
        if c.target_rate is not None:
            curves.append(Curve(c.eps, [100 * r for r in c.target_rate], _("says the target"), "accent"))
        k = nearest(c.eps, self.settings.eps)
        plot.set_plot(curves, cursor=c.eps[k], points=[(c.eps[k], 100 * c.accuracy[k], "warning")],
                      xlabel=_("ε (pixel units)"), xlim=(0, max(c.eps) or 0.3), ylim=(0, 100),
                      yticks=[0, 25, 50, 75, 100])
        box.border_title = _("Accuracy % against ε · {method}").format(method=method_text(c.settings,
                                                                                           self.class_names))
        sub = _("{n:,} images · {seconds:.1f} s").format(n=c.n, seconds=c.seconds)
        if c.target_rate is not None:
            sub += " · " + _("orange: % saying the target")
        box.border_subtitle = sub
        acc = Text.assemble((f"ε = {c.eps[k]:.2f}: ", "bold"),
                            (_("accuracy {accuracy:.1f}%").format(accuracy=100 * c.accuracy[k]), pal.accent))
        if c.settings != self.settings and (c.settings.method, c.settings.target) != (self.settings.method,
                                                                                     self.settings.target):
            acc.append_text(Text(" " + _("(curve of the settings above it; r for the new ones)"), pal.muted))
        shown = c.examples[k] if k < len(c.examples) else []
        if shown:
            acc.append_text(Text("\n" + _("flipped by the attack (right before, wrong after):"), pal.muted))
        elif c.eps[k] == 0:
            acc.append_text(Text("\n" + _("ε = 0 is the clean accuracy"), pal.muted))
        else:
            acc.append_text(Text("\n" + _("no image flipped at this ε"), pal.muted))
        title.update(acc)
        tiles = [Tile(e.pixels, 14, [Text.assemble((f"#{e.index} ", pal.muted), (e.true_name, "bold")),
                                     Text.assemble(("→", pal.muted), (f"{e.after_name} ", f"bold {pal.error}"),
                                                   (f"{100 * e.after_confidence:.0f}%", pal.error))])
                 for e in shown]
        grid.set_tiles(tiles)

    def _draw_progress(self) -> None:
        row = self.query_one("#attack-progress-row")
        row.set_class(self.sweeping, "-running")
        done, total = self.progress_done
        bar = self.query_one("#attack-progress", ProgressBar)
        bar.update(total=max(1, total), progress=done)

    # ------------------------------------------------------------------ the sweep over ε
    def action_run_curve(self) -> None:
        if self.sweeping:
            self._cancel()
            return
        self._curve_serial += 1
        serial = self._curve_serial
        self._stop = threading.Event()
        self.sweeping = True
        self.curve_error = ""
        self.progress_done = (0, 1)
        self._draw_progress()

        def progress(done: int, total: int) -> None:
            if serial == self._curve_serial and self.is_attached:
                self.progress_done = (done, total)
                self._draw_progress()

        self.insight.attack_curve(self.source, self.settings, list(DEFAULT_EPS), self._stop, progress,
                                  lambda rec, error: self._curve_arrived(serial, rec, error), examples=EXAMPLES)

    def _curve_arrived(self, serial: int, rec: CurveRecord | None, error: str) -> None:
        if serial != self._curve_serial or not self.is_attached:
            return
        self.sweeping = False
        self._draw_progress()
        if rec is not None:
            self.curve = rec
        elif error:
            self.curve_error = error
        else:
            self.app.notify(_("Stopped: the accuracy against ε was not computed."), timeout=3)
        self._draw_curve()

    def _cancel(self) -> None:
        if self._stop is not None:
            self._stop.set()
        self._curve_serial += 1  # its late answer is dropped
        self.sweeping = False
        self._draw_progress()
        self.app.notify(_("Cancelled the accuracy against ε."), timeout=3)

    # ------------------------------------------------------------------ keys
    def _set(self, **changes) -> None:
        from dataclasses import replace

        self.settings = replace(self.settings, **changes)
        self._later()
        self._draw_curve()

    def action_eps(self, steps: int) -> None:
        eps = round(min(EPS_MAX, max(0.0, self.settings.eps + steps * EPS_STEP)), 2)
        if eps != self.settings.eps:
            self._set(eps=eps)

    def action_toggle_method(self) -> None:
        self._set(method="pgd" if self.settings.method == "fgsm" else "fgsm")

    def action_cycle_steps(self) -> None:
        s = self.settings.steps
        self._set(steps=STEPS[(STEPS.index(s) + 1) % len(STEPS)] if s in STEPS else STEPS[0])

    def action_cycle_step_size(self) -> None:
        z = self.settings.step_size
        self._set(step_size=STEP_SIZES[(STEP_SIZES.index(z) + 1) % len(STEP_SIZES)] if z in STEP_SIZES else None)

    def action_cycle_target(self) -> None:
        k = len(self.class_names) or 10
        t = self.settings.target
        self._set(target=0 if t is None else (t + 1 if t + 1 < k else None))

    def action_toggle_mark(self) -> None:
        self.mark = not self.mark
        self._draw_pictures()

    def action_step(self, step: int) -> None:
        self.index = step_image(self.index, self.order, step)
        self._later()

    def action_back(self) -> None:
        if self.sweeping:
            self._cancel()
            return
        if self.app.screen is self:
            self.dismiss()

    def relabel(self) -> None:
        """A language switch: the head, the pictures' captions, the curve and the convention drawn again."""
        self.query_one("#attack-convention", Static).update(Text(_(CONVENTION)))
        self._draw()

    def _size_classes(self) -> None:
        width = self.app.size.width
        self.set_class(width < 100, "-narrow")
        self.set_class(100 <= width < 120, "-medium")

    def on_resize(self) -> None:
        self._size_classes()
        if self.record is not None:
            self._draw_pictures()


if TYPE_CHECKING:
    from tui_dl.app.insight_controller import InsightController
