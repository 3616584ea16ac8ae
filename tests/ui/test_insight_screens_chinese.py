"""The "inside the model" screens in Chinese (issue 20): the gallery, what the network sees and the FGSM screen on
a trained run, opened in Chinese and switched live from English, with no English words left but the names of
code (layer kinds, FGSM, the run's file and dataset names)."""

from __future__ import annotations

import pytest

from tests.ui.conftest import new_app, run, wait_until
from tests.ui.i18n_helpers import english_words, screen_text
from tests.ui.insight_pilot import open_run, settled
from tui_dl.app.screens.attack_screen import AttackScreen
from tui_dl.app.screens.features_screen import FeaturesScreen
from tui_dl.app.screens.gallery_screen import GalleryScreen
from tui_dl.core import i18n

#: Names on these screens that stay as they are: the test run's experiment and dataset (synthetic-digits, cut to
#: "synthetic-…" at 80 columns), its checkpoint file (last.pt: the word check splits it at the dot), Conv2d (split
#: at the digit) and sign(), the function of the formula sign(∇ₓ 损失).
NAMES = {"insight-lenet", "synthetic-digits", "synthetic", "last", "Conv", "sign"}


@pytest.fixture(scope="module")
def core(insight_run):
    from tui_dl.app.insight_controller import _Loaded
    from tui_dl.core.insight.gallery import predictions
    from tui_dl.core.insight.model_io import load_trained

    trained = load_trained(insight_run[0])
    preds = predictions(trained)
    _Loaded.put(trained, preds)  # the app opens this copy instead of reading the run again
    return trained, preds


def _no_english(app) -> None:
    left = english_words(app, NAMES)
    assert left == [], (left, screen_text(app))


def test_the_gallery_in_chinese(insight_run, core, runs_dir, chinese):
    run_dir, _ = insight_run

    async def body():
        app = new_app(runs_dir=runs_dir)
        async with app.run_test(size=(100, 30)) as pilot:
            await open_run(pilot, run_dir)
            app.insight.open("gallery", run_dir)
            await wait_until(pilot, lambda: isinstance(app.screen, GalleryScreen))
            screen = app.screen
            await settled(pilot, screen)
            text = screen_text(app)
            for words in ("样本画廊", "全部", "按真实类别", "分错的", "测试准确率", "真实", "预测", "网络所见"):
                assert words in text, (words, text)
            assert "第 " in text and "轮后" in text  # the run's line: after epoch … of …
            _no_english(app)
            await pilot.press("f")  # by true class
            await settled(pilot, screen)
            assert "真实类别 0" in screen_text(app)
            _no_english(app)

    run(body())


def test_what_the_network_sees_in_chinese(insight_run, core, runs_dir, chinese):
    run_dir, _ = insight_run

    async def body():
        app = new_app(runs_dir=runs_dir)
        async with app.run_test(size=(120, 40)) as pilot:
            await open_run(pilot, run_dir)
            app.insight.open("features", run_dir, index=0)
            await wait_until(pilot, lambda: isinstance(app.screen, FeaturesScreen))
            screen = app.screen
            await settled(pilot, screen)
            text = screen_text(app)
            for words in ("网络所见", "图像 #0", "各类别的概率", "灰度：每张特征图各自的范围", "卷积核", "第 1 层"):
                assert words in text, (words, text)
            assert "◂真实" in str(screen.query_one("#features-bars").render())
            _no_english(app)

    run(body())


def test_the_attack_in_chinese(insight_run, core, runs_dir, chinese):
    run_dir, _ = insight_run

    async def body():
        app = new_app(runs_dir=runs_dir)
        async with app.run_test(size=(120, 40)) as pilot:
            await open_run(pilot, run_dir)
            app.insight.open("attack", run_dir, index=0)
            await wait_until(pilot, lambda: isinstance(app.screen, AttackScreen))
            screen = app.screen
            await settled(pilot, screen)
            text = screen_text(app)
            for words in ("对抗攻击", "原图", "对抗样本", "真实类别", "红+ε 蓝−ε"):
                assert words in text, (words, text)
            info = str(screen.query_one("#attack-info").render())
            assert "改变其预测的最小 ε（FGSM，非定向）" in info and "裁剪到 [0, 1] 截断了" in info, info
            assert screen.query_one("#attack-plot-box").border_title == "准确率随 ε 的变化"
            assert "沿用 PyTorch FGSM 教程的约定" in str(screen.query_one("#attack-convention").render())
            _no_english(app)
            await pilot.press("r")  # the accuracy against ε over the test set
            await settled(pilot, screen, "sweeping", timeout=60)
            box = screen.query_one("#attack-plot-box")
            assert box.border_title == "准确率 % 随 ε 的变化 · FGSM" and "张图像" in box.border_subtitle
            assert "被攻击改变预测的" in str(screen.query_one("#attack-examples-title").render())
            _no_english(app)

    run(body())


def test_the_screens_relabel_on_a_live_switch(insight_run, core, runs_dir, chinese):
    """Opened in English, each screen reads Chinese after app.set_language (F8), and English again after."""
    run_dir, _ = insight_run
    i18n.set_language("en")

    async def body():
        app = new_app(runs_dir=runs_dir)
        async with app.run_test(size=(120, 40)) as pilot:
            await open_run(pilot, run_dir)
            for what, kind, english, chinese_text in (
                    ("gallery", GalleryScreen, "Sample gallery", "样本画廊"),
                    ("features", FeaturesScreen, "What the network sees", "网络所见"),
                    ("attack", AttackScreen, "Adversarial attack", "对抗攻击")):
                app.insight.open(what, run_dir, index=0) if what != "gallery" else app.insight.open(what, run_dir)
                await wait_until(pilot, lambda: isinstance(app.screen, kind))
                screen = app.screen
                await settled(pilot, screen)
                assert english in screen_text(app)
                app.set_language("zh_CN", save=False)
                await pilot.pause()
                app.clear_notifications()
                await pilot.pause()
                text = screen_text(app)
                assert chinese_text in text and english not in text, text
                _no_english(app)
                app.set_language("en", save=False)
                await pilot.pause()
                assert english in screen_text(app)
                screen.dismiss()
                await wait_until(pilot, lambda: not isinstance(app.screen, kind))

    run(body())
