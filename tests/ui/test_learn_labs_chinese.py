"""The labs' worked text after a live switch to Chinese (issue 20): the optimizers lab's bowl, built at import in
English, shows its Chinese title, and the race's rule lines come in Chinese."""

from __future__ import annotations

from tests.ui.conftest import new_app, run, wait_until
from tests.ui.i18n_helpers import screen_text
from tests.ui.learn_pilot import open_learn
from tui_dl.app.i18n_ui import relabel_app
from tui_dl.core import i18n


def test_a_live_switch_reaches_the_bowl_title_and_the_race(runs_dir, chinese):
    i18n.set_language("en")  # start in English, as a student would, then switch

    async def body():
        app = new_app(runs_dir=runs_dir)
        async with app.run_test(size=(120, 40)) as pilot:
            pane = await open_learn(pilot, "optimizers")
            await wait_until(pilot, lambda: pane.race is not None, timeout=90)
            assert "the bowl 0.1·x² + 2·y²" in pane.text() and "gd step 1: θ ← θ − η·g" in pane.text()
            i18n.set_language("zh_CN")
            relabel_app(app)
            await wait_until(pilot, lambda: pane.race is not None and "gd 第 1 步" in pane.text(), timeout=90)
            await pilot.pause()
            text = pane.text()
            assert "碗形函数 0.1·x² + 2·y²" in text and "the bowl" not in text
            assert "gd 第 1 步：θ ← θ − η·g" in text
            assert "碗形函数" in screen_text(app)
    run(body())
