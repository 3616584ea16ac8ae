"""The help screen scrolls; the add-layer picker ranks what was typed (issue 13, items 4 and 5)."""

from __future__ import annotations

import html

from textual import events
from tests.ui.conftest import new_app, run, wait_until


def screen_text(app) -> str:
    """The text on the screen now (the screenshot's, spaces as spaces)."""
    return html.unescape(app.export_screenshot()).replace("\xa0", " ")


# ----------------------------------------------------------------------------- help
def test_the_help_screen_scrolls_with_keys_and_the_wheel(runs_dir):
    async def body():
        app = new_app(runs_dir=runs_dir)
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            await pilot.press("question_mark")
            await wait_until(pilot, lambda: type(app.screen).__name__ == "HelpScreen")
            await pilot.pause(0.3)
            last_row = "(Runs) untick every run (no overlays)"
            assert "Build a network" in screen_text(app) and last_row not in screen_text(app)
            await pilot.press("end")
            await pilot.pause(0.3)
            assert last_row in screen_text(app)  # every line is reachable at 100x30 (23 of 116 were)
            scroll = app.screen.query_one("#help-scroll")
            assert scroll.scroll_y == scroll.max_scroll_y > 0
            await pilot.press("home")
            await wait_until(pilot, lambda: scroll.scroll_y == 0)
            await pilot.press("pagedown")
            await wait_until(pilot, lambda: scroll.scroll_y > 10)
            top = scroll.scroll_y
            await pilot.press("up")
            await wait_until(pilot, lambda: scroll.scroll_y == top - 1)
            await pilot.press("down", "down")
            await wait_until(pilot, lambda: scroll.scroll_y == top + 1)
            await pilot.press("pageup")
            await wait_until(pilot, lambda: scroll.scroll_y < top)
            await pilot.press("home")
            await wait_until(pilot, lambda: scroll.scroll_y == 0)
            await pilot._post_mouse_events([events.MouseScrollDown], widget=scroll, offset=(10, 5))
            await wait_until(pilot, lambda: scroll.scroll_y > 0)
            await pilot._post_mouse_events([events.MouseScrollUp], widget=scroll, offset=(10, 5))
            await wait_until(pilot, lambda: scroll.scroll_y == 0)
            await pilot.press("escape")
            await wait_until(pilot, lambda: type(app.screen).__name__ != "HelpScreen")
    run(body())


def test_the_help_screen_fits_80x24(runs_dir):
    async def body():
        app = new_app(runs_dir=runs_dir)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            await pilot.press("f1")
            await wait_until(pilot, lambda: type(app.screen).__name__ == "HelpScreen")
            await pilot.pause(0.3)
            await pilot.press("end")
            await pilot.pause(0.3)
            assert "(Runs) untick every run (no overlays)" in screen_text(app)
    run(body())


# ----------------------------------------------------------------------------- add a layer
def test_the_add_layer_filter_ranks_names_that_start_with_the_text_first(runs_dir):
    """`lin` + enter added MaxPool2d (its group, pooling, contains "lin"), `sig` + enter added SiLU."""
    async def body():
        app = new_app(runs_dir=runs_dir)
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            for typed, added in (("lin", "Linear"), ("sig", "Sigmoid"), ("res", "Residual"), ("elu", "ELU"),
                                 ("norm", "BatchNorm1d"), ("max", "MaxPool2d")):
                before = len(app.document.experiment.network.layers)
                await pilot.press("a")
                await wait_until(pilot, lambda: type(app.screen).__name__ == "AddLayerModal")
                await pilot.press(*typed, "enter")
                await wait_until(pilot, lambda: len(app.document.experiment.network.layers) == before + 1)
                assert app.document.experiment.network.layers[0].type == added, typed  # after the input row
                app.build_view.selection = None
    run(body())


def test_ranked_kinds_order():
    from tui_dl.app.screens.add_layer_modal import ranked_kinds

    def names(text):
        return [k.name for k in ranked_kinds(text)]

    assert names("lin")[0] == "Linear"
    assert names("sig")[:2] == ["Sigmoid", "SiLU"]  # SiLU's description says "sigmoid"
    assert names("elu")[:2] == ["ELU", "ReLU"]  # the name itself, then names containing it
    assert names("relu")[:2] == ["ReLU", "LeakyReLU"]  # then descriptions (ELU: "smooth ReLU variant")
    assert names("dropout") == ["Dropout", "Dropout2d"]
    assert names("pool")[:4] == ["MaxPool2d", "AvgPool2d", "AdaptiveAvgPool2d", "AdaptiveMaxPool2d"]
    assert names("") == names("  ") and len(names("")) >= 20
    assert names("xyz") == []
