"""Train view: g cycles the right-hand plot through the per-layer gradient statistics of the shown run (norm,
largest |g|, update/weight with its −3 guide line, dead ReLUs) and back to accuracy; a run without them says so;
the history behind it (app/grad_history.py) reads live events and replayed ones ("nan" strings)."""

from __future__ import annotations

import dataclasses
import math

from tests.ui.conftest import new_app, run, wait_training_done, wait_until
from tests.ui.fakes import scripted_training
from tui_dl.app.grad_history import LayerHistory
from tui_dl.app.widgets.grad_plot import RATIO_GUIDE, GradPlot
from tui_dl.app.widgets.plots import CurvePlot
from tui_dl.core.training.events import StepDone


def layers_at(step: int, first: float = 1e-4) -> list[dict]:
    """A sigmoid-like run: the first conv's gradient a thousand times smaller than the last layer's."""
    return [{"layer": 1, "name": "L1 Conv2d", "grad_norm": first, "grad_max": 1e-5, "update_ratio": 1e-3},
            {"layer": 2, "name": "L2 ReLU", "dead_share": 0.1 + step / 1000},
            {"layer": 8, "name": "L8 Linear", "grad_norm": 0.1, "grad_max": 0.01, "update_ratio": 1e-2}]


def with_layers(make, firsts=(1e-4,)):
    """The scripted trainer with layer records; the n-th run's first-layer norm is ``firsts[n]``."""
    runs = []

    def trainer(*args, **kwargs):
        first = firsts[min(len(runs), len(firsts) - 1)]
        runs.append(first)
        for ev in make(*args, **kwargs):
            yield dataclasses.replace(ev, layers=layers_at(ev.step, first)) if isinstance(ev, StepDone) else ev
    return trainer


def test_layer_history_reads_live_and_replayed_records():
    h = LayerHistory()
    h.add(0.1, [])  # a step without records adds nothing
    assert not h
    h.add(0.5, layers_at(5))
    h.add(1.0, [{**layers_at(10)[0], "grad_norm": "nan"}, *layers_at(10)[1:]])  # as metrics.jsonl stores NaN
    (name, xs, ys), second = h.series("grad_norm")
    assert name == "L1 Conv2d" and xs == [0.5] and ys == [-4.0]  # log10; the NaN point left out
    assert second[0] == "L8 Linear" and second[2] == [-1.0, -1.0]
    [(name, xs, ys)] = h.series("dead_share")
    assert name == "L2 ReLU" and xs == [0.5, 1.0] and [round(y, 6) for y in ys] == [10.5, 11.0]  # percent


def test_g_cycles_the_gradient_plots_and_back_to_accuracy(runs_dir):
    async def body():
        trainer = with_layers(scripted_training(epochs=2, batches=20, log_every=5))
        app = new_app(runs_dir=runs_dir, trainer=trainer)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            await pilot.press("ctrl+r")
            await wait_training_done(pilot)
            view = app.train_view
            view.focus()
            grads, acc = app.query_one(GradPlot), app.query_one("#acc-plot", CurvePlot)
            assert not grads.display and acc.display
            seen = []
            for mode in ("grad_norm", "grad_max", "update_ratio", "dead_share"):
                await pilot.press("d")
                await wait_until(pilot, lambda: grads.display and grads.mode == mode and grads.series)
                assert not acc.display
                seen.append((mode, grads.names(), grads.border_title))
                if mode == "grad_norm":
                    first, last = grads.series[0], grads.series[1]
                    assert math.isclose(first.ys[0], -4.0) and math.isclose(last.ys[0], -1.0)  # vanishing: 10^-3
                    assert "L1" in grads.border_subtitle and "L8" in grads.border_subtitle
                if mode == "update_ratio":
                    assert grads.series[0].ys == [RATIO_GUIDE, RATIO_GUIDE]  # the −3 guide line
                    assert "−3" in grads.border_title
            assert [s[1] for s in seen] == [["L1 Conv2d", "L8 Linear"]] * 3 + [["L2 ReLU"]]
            await pilot.press("d")  # back to accuracy
            await pilot.pause()
            assert acc.display and not grads.display
    run(body())


def test_a_run_without_gradient_records_says_so(runs_dir):
    async def body():
        app = new_app(runs_dir=runs_dir, trainer=scripted_training(epochs=1, batches=10, log_every=5))
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            await pilot.press("ctrl+r")
            await wait_training_done(pilot)
            app.train_view.focus()
            await pilot.press("d")
            grads = app.query_one(GradPlot)
            await wait_until(pilot, lambda: grads.display)
            assert not grads.series and "no per-layer gradients" in grads.empty_text
    run(body())


def test_compared_runs_show_each_runs_first_layer(runs_dir):
    async def body():
        trainer = with_layers(scripted_training(epochs=1, batches=20, log_every=5), firsts=(1e-4, 0.5))
        app = new_app(runs_dir=runs_dir, trainer=trainer)
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            for _ in range(2):
                await pilot.press("ctrl+r")
                await wait_training_done(pilot)
            await wait_until(pilot, lambda: len(app.session_runs) == 2 and not app.training.is_training)
            app.training.overlay_ids = {1}
            app.training.show_run(2)
            await pilot.pause(0.3)
            app.train_view.focus()
            await pilot.press("d")
            grads = app.query_one(GradPlot)
            await wait_until(pilot, lambda: grads.display and len(grads.series) == 2)
            assert grads.names() == ["#2 L1 Conv2d", "#1 L1 Conv2d"]  # the shown run first
            assert math.isclose(grads.series[0].ys[0], math.log10(0.5)) and math.isclose(grads.series[1].ys[0], -4)
            assert "first layer" in grads.border_subtitle and "#1 L1" in grads.border_subtitle
    run(body())
