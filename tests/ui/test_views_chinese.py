"""The views in Chinese (issue 20): after a live switch (set_language + relabel_app) each view shows Chinese."""

from __future__ import annotations

import pytest

from tests.ui.conftest import new_app, run
from tests.ui.i18n_helpers import english_words, screen_text
from tui_dl.app.i18n_ui import relabel_app
from tui_dl.core import i18n

#: (view id, a Chinese text the view shows after the switch)
VIEWS = [("build", "层库"), ("setup", "早停"), ("train", "测试结果"), ("runs", "运行记录"), ("learn", "实验室")]

#: Words of the views' own titles, hints and headings ("input", "Training", "Log" are left out: the shapes
#: table, the palette's groups and the footer, other files of issue 20, show them too).
MINE = {"Palette", "Network", "Arguments", "Shapes", "Explain", "Labs", "Loss", "Accuracy", "Status",
        "Epochs", "Folder", "Optimizer", "Early", "stopping", "schedule", "activations", "enter",
        "adds", "move", "delete", "resume", "overlay", "leaves"}


@pytest.mark.parametrize("view, expected", VIEWS)
def test_view_after_live_switch_shows_chinese(runs_dir, chinese, view, expected):
    async def body():
        i18n.set_language("en")
        app = new_app(runs_dir=runs_dir)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            app.action_show_view(view)
            await pilot.pause(0.5)
            i18n.set_language("zh_CN")
            relabel_app(app)
            await pilot.pause(0.3)
            text = screen_text(app)
            assert expected in text, text
            left = english_words(app)
            # what is left comes from files of other parts of issue 20 (tabs, footer, status bar, widgets, the core
            # labs' worked lines); none of the views' own words may be left
            assert not set(left) & MINE, (view, set(left) & MINE)
    run(body())
