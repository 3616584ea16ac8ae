"""Defects found walking through the "inside the model" screens as a student would (WALK2): each test fails
without its fix."""

from __future__ import annotations

import pytest

from tests.ui.conftest import new_app, run, wait_until
from tests.ui.insight_pilot import open_run, settled
from tui_dl.app.screens.attack_screen import AttackScreen


@pytest.fixture(scope="module")
def core(insight_run):
    """The run's model and predictions put where the app finds them (no second load from disk)."""
    from tui_dl.core.insight.gallery import predictions
    from tui_dl.core.insight.model_io import load_trained

    from tui_dl.app.insight_controller import _Loaded

    trained = load_trained(insight_run[0])
    preds = predictions(trained)
    _Loaded.put(trained, preds)
    return trained, preds


def shown_text(widget) -> str:
    """What a widget draws on the screen, line by line (clipped text is not there)."""
    return "\n".join(widget.render_line(y).text for y in range(widget.size.height))


def test_the_attack_head_shows_the_target_and_the_pgd_keys_at_100_columns(insight_run, core, runs_dir):
    run_dir, _ = insight_run

    async def body():
        app = new_app(runs_dir=runs_dir)
        async with app.run_test(size=(100, 30)) as pilot:
            await open_run(pilot, run_dir)
            app.insight.open("attack", run_dir, index=0)
            await wait_until(pilot, lambda: isinstance(app.screen, AttackScreen))
            screen = app.screen
            await settled(pilot, screen)
            await pilot.press("m", "t", "t", "t")  # PGD, targeted at class 2
            await settled(pilot, screen)
            text = " ".join(shown_text(screen.query_one("#attack-head")).split())
            assert "make it say 2" in text  # the target, not cut off by an ellipsis
            assert "z step size" in text and "…" not in text

    run(body())


def test_a_plot_s_hint_keeps_a_margin_inside_its_border_when_it_wraps(insight_run, core, runs_dir):
    """The attack's "r: accuracy against ε …" and the Loss plot's "Starting…" wrapped flush against the border."""
    run_dir, _ = insight_run

    async def body():
        app = new_app(runs_dir=runs_dir)
        async with app.run_test(size=(100, 30)) as pilot:
            await open_run(pilot, run_dir)
            app.insight.open("attack", run_dir, index=0)
            await wait_until(pilot, lambda: isinstance(app.screen, AttackScreen))
            screen = app.screen
            await settled(pilot, screen)
            lines = [ln for ln in shown_text(screen.query_one("#attack-plot")).splitlines() if ln.strip()]
            assert len(lines) >= 2 and "accuracy against ε" in lines[0]  # the hint wraps at this width
            assert all(ln.startswith(" ") and ln.endswith(" ") for ln in lines), lines

    run(body())


def test_enter_on_the_test_result_at_100x30_zooms_it_and_puts_the_cursor_on_the_matrix(insight_run, core, runs_dir):
    """At 100×30 the result pane is too small for the matrix: its "↵ cell" did nothing; now it zooms the pane."""
    from tui_dl.app.screens.gallery_screen import GalleryScreen
    from tui_dl.app.widgets.results import ResultPanel

    run_dir, _ = insight_run

    async def body():
        app = new_app(runs_dir=runs_dir)
        async with app.run_test(size=(100, 30)) as pilot:
            await open_run(pilot, run_dir)
            panel = app.query_one(ResultPanel)
            box = app.query_one("#result-box")
            assert not panel.grid_shown
            box.focus()
            await pilot.press("enter")
            await wait_until(pilot, lambda: panel.cell == (0, 0), timeout=5)
            assert app.screen.maximized is box and panel.grid_shown
            await pilot.press("enter")
            await wait_until(pilot, lambda: isinstance(app.screen, GalleryScreen))

    run(body())


def test_switching_view_with_a_train_pane_zoomed_shows_the_new_view(runs_dir):
    """z zoomed the log, then F2: the footer said Build but the zoomed log stayed on the screen (r then opened
    the Build view's dialog over it)."""

    async def body():
        app = new_app(runs_dir=runs_dir)
        async with app.run_test(size=(100, 30)) as pilot:
            await wait_until(pilot, lambda: app.train_view and app.runs_view and app.settings_view)
            await pilot.press("f4")
            await pilot.pause()
            app.query_one("#log-pane").focus()
            await pilot.press("z")
            await wait_until(pilot, lambda: app.screen.maximized is not None, timeout=5)
            await pilot.press("f2")
            await pilot.pause()
            assert app.current_view == "build" and app.screen.maximized is None
            assert app.query_one("#layer-stack").region.height > 0  # the Build view is what shows

    run(body())


def test_the_gallery_head_shows_the_class_filter_at_80_columns(insight_run, core, runs_dir):
    """At 80×24 the filter line ended "c/x all tes…": which class c/x shows was cut off."""
    from tui_dl.app.screens.gallery_screen import GalleryScreen

    run_dir, _ = insight_run

    async def body():
        app = new_app(runs_dir=runs_dir)
        async with app.run_test(size=(80, 24)) as pilot:
            await open_run(pilot, run_dir)
            await pilot.press("g")
            await wait_until(pilot, lambda: isinstance(app.screen, GalleryScreen))
            screen = app.screen
            await settled(pilot, screen)
            await pilot.press("c")  # true class 0
            await settled(pilot, screen)
            text = shown_text(screen.query_one("#gallery-head"))
            assert "c/x true class 0" in text and "most confident mistakes" in text, text

    run(body())


def test_the_attack_info_says_what_k_does(insight_run, core, runs_dir):
    """"… amber in the adversarial image (k)": the bare "(k)" did not say that k hides the marks."""
    run_dir, _ = insight_run

    async def body():
        app = new_app(runs_dir=runs_dir)
        async with app.run_test(size=(100, 30)) as pilot:
            await open_run(pilot, run_dir)
            app.insight.open("attack", run_dir, index=0)
            await wait_until(pilot, lambda: isinstance(app.screen, AttackScreen))
            screen = app.screen
            await settled(pilot, screen)
            info = " ".join(str(screen.query_one("#attack-info").render()).split())
            assert "(k hides them)" in info
            await pilot.press("k")
            assert "(k marks them)" in " ".join(str(screen.query_one("#attack-info").render()).split())

    run(body())
