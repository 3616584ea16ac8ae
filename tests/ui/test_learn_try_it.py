""""Try it": t on a Build-view layer opens the matching lab with that layer's arguments; the Explain pane says so.
And the Learn view's place among the views: its tab, F6 and 5, the help screen."""

from __future__ import annotations

from tests.ui.conftest import new_app, run, wait_until
from tests.ui.test_build_view import select_layer
from tui_dl.app.lab_links import lab_for_layer
from tui_dl.app.widgets.detail_pane import DetailPane


async def try_layer(pilot, index: int) -> None:
    await select_layer(pilot, index)
    await pilot.press("t")
    await pilot.pause()


def test_t_on_a_conv_layer_opens_the_conv_lab_with_its_kernel_stride_and_padding(runs_dir):
    async def body():
        app = new_app(runs_dir=runs_dir)
        async with app.run_test(size=(100, 30)) as pilot:
            await select_layer(pilot, 1)  # Conv2d(out_channels=6, kernel_size=5, padding=2)
            explain = app.query_one(DetailPane).plain_text()
            assert "press t to try it in the conv lab (Learn, F6)" in explain
            await pilot.press("t")
            await wait_until(pilot, lambda: app.learn_view is not None and app.learn_view.lab == "conv")
            assert app.current_view == "learn"
            pane = app.learn_view.pane()
            assert pane.values["padding"] == "2" and pane.values["stride"] == "1"
            assert pane.values["kernel"].count(";") == 4 and len(pane.values["kernel"].split(";")[0].split()) == 5
            text = pane.text()
            assert "⌊(4 + 2×2 − 5)/1⌋ + 1 = 4" in text and "output 4×4" in text  # padding 2 keeps the size
            assert pane.editor("padding").value == "2"
    run(body())


def test_t_on_pooling_and_activation_rows_opens_their_labs_and_other_rows_say_no_lab(runs_dir):
    async def body():
        app = new_app(runs_dir=runs_dir)
        async with app.run_test(size=(100, 30)) as pilot:
            await try_layer(pilot, 3)  # MaxPool2d(kernel_size=2)
            await wait_until(pilot, lambda: app.learn_view is not None and app.learn_view.lab == "pool")
            pane = app.learn_view.pane()
            assert pane.pool_mode == "max" and pane.values["size"] == "2" and pane.values["stride"] == "2"
            assert "output 2×2" in pane.text()
            await pilot.press("f2")
            await try_layer(pilot, 2)  # ReLU
            await wait_until(pilot, lambda: app.learn_view.lab == "activations")
            assert app.learn_view.pane().fn == "ReLU" and "ReLU(0) = max(0, 0) = 0" in app.learn_view.pane().text()
            await pilot.press("f2")
            await try_layer(pilot, 8)  # Linear: no lab
            assert app.current_view == "build"
            assert any("No lab shows Linear" in n.message for n in app._notifications)
    run(body())


def test_the_learn_tab_f6_and_5_and_the_help_screen(runs_dir):
    async def body():
        app = new_app(runs_dir=runs_dir)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press("5")
            await wait_until(pilot, lambda: app.learn_view is not None)
            assert app.current_view == "learn"
            await wait_until(pilot, lambda: app.focused is not None and app.focused.id == "lab-list")
            await pilot.press("down")
            assert app.learn_view.lab == "softmax"
            await pilot.press("f2")
            assert app.current_view == "build"
            await pilot.press("f6")
            assert app.current_view == "learn" and app.learn_view.lab == "softmax"
            await pilot.press("f1")
            await pilot.pause()
            from tui_dl.app.screens.help_screen import HELP

            assert "## Learn view" in HELP and "| `m` |" in HELP
    run(body())


def test_lab_links_for_every_layer_kind_a_lab_shows():
    link = lab_for_layer("Conv2d", {"kernel_size": [3, 5], "stride": 2, "padding": "same", "dilation": 2})
    assert link.lab == "conv" and link.settings["stride"] == "2" and link.settings["padding"] == "same"
    assert link.settings["dilation"] == "2" and len(link.settings["kernel"].split(";")) == 3
    assert lab_for_layer("AvgPool2d", {"kernel_size": 3, "stride": 1}).settings["mode"] == "avg"
    assert lab_for_layer("LeakyReLU", {"negative_slope": 0.2}).settings == {"fn": "LeakyReLU",
                                                                           "args": "negative_slope=0.2"}
    assert lab_for_layer("Softmax", {"dim": 1}).lab == "softmax"
    assert lab_for_layer("Linear", {"out_features": 3}) is None and lab_for_layer("Nope", {}) is None
    assert lab_for_layer("Conv2d", {"kernel_size": "x"}) is None  # an argument the Build view marks as wrong
