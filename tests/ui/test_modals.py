"""The help screen scrolls; the add-layer picker ranks what was typed (issue 13, items 4 and 5)."""

from __future__ import annotations

import html
import pathlib

from textual import events
from tests.ui.conftest import new_app, run, wait_until
from tui_dl.app.keys import help_table


def screen_text(app) -> str:
    """The text on the screen now (the screenshot's, spaces as spaces)."""
    return html.unescape(app.export_screenshot()).replace("\xa0", " ")


# ----------------------------------------------------------------------------- help
#: The help screen's last key row: the action of the last row of its last table (the Learn view's keys).
LAST_KEY_ROW = help_table("Learn").splitlines()[-1].split("|")[2].strip()

def test_the_help_screen_scrolls_with_keys_and_the_wheel(runs_dir):
    async def body():
        app = new_app(runs_dir=runs_dir)
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            await pilot.press("question_mark")
            await wait_until(pilot, lambda: type(app.screen).__name__ == "HelpScreen")
            await pilot.pause(0.3)
            last_row = LAST_KEY_ROW
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
            assert LAST_KEY_ROW in screen_text(app)
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


# ----------------------------------------------------------------------------- the command palette
async def palette_pick(pilot, typed: str) -> None:
    """ctrl+p, type, wait for the matches, enter on the first one."""
    from textual.command import CommandList, CommandPalette

    app = pilot.app
    await pilot.press("ctrl+p")
    await wait_until(pilot, lambda: isinstance(app.screen, CommandPalette))
    await pilot.press(*typed)
    await wait_until(pilot, lambda: app.screen.query_one(CommandList).option_count > 0
                     and app.screen.query_one(CommandList).highlighted is not None)
    await pilot.pause(0.5)  # every provider has answered
    await pilot.press("enter")
    await wait_until(pilot, lambda: not isinstance(app.screen, CommandPalette))


def test_theme_in_the_palette_is_the_apps_dark_light_toggle(runs_dir):
    async def body():
        app = new_app(runs_dir=runs_dir)
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            assert app.current_theme.dark
            await palette_pick(pilot, "theme")
            await wait_until(pilot, lambda: not app.current_theme.dark)  # was Textual's theme picker
            assert app.theme == "textual-light"
            await palette_pick(pilot, "theme")
            await wait_until(pilot, lambda: app.theme == "textual-dark")
    run(body())


def test_the_screenshot_command_saves_where_it_can_and_says_where(runs_dir, tmp_path, monkeypatch):
    """Textual's Screenshot saved into ~/Downloads and failed where that folder does not exist."""
    home = tmp_path / "home"  # no Downloads folder
    home.mkdir()
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(work)
    preset = str(pathlib.Path(__file__).parent / "data" / "lenet5.yaml")

    async def body():
        app = new_app(preset, runs_dir=runs_dir)
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            await palette_pick(pilot, "screenshot")
            await wait_until(pilot, lambda: any(n.title.startswith("Screenshot") or "screenshot" in n.title
                                                for n in app._notifications))
            toast = next(n for n in app._notifications if "creenshot" in n.title)
            assert toast.title == "Screenshot saved", toast.message
            saved = list(work.glob("*.svg"))
            assert len(saved) == 1 and toast.message == saved[0].name
            assert saved[0].read_text().startswith("<svg")
            # from the Train view with a run shown: into its run folder
            folder = tmp_path / "lenet-20260101-120000"
            folder.mkdir()
            (folder / "metrics.jsonl").write_text("")
            app.open_path(str(folder))
            await wait_until(pilot, lambda: app.current_view == "train")
            app.clear_notifications()
            await palette_pick(pilot, "screenshot")
            await wait_until(pilot, lambda: list(folder.glob("*.svg")))
            toast = next(n for n in app._notifications if n.title == "Screenshot saved")
            assert toast.message == str(next(folder.glob("*.svg")))
    run(body())
