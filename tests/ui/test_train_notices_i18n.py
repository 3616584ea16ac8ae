"""The train view's banner, log and toasts show a run's notices and its divergence advice in the language
spoken now, from records that hold the English source (core/training/events.py)."""

from __future__ import annotations

import os

from tests.ui.conftest import new_app, run, wait_training_done
from tests.ui.fakes import scripted_training
from tui_dl.app.i18n_ui import relabel_app
from tui_dl.core import i18n
from tui_dl.core.i18n import N_
from tui_dl.core.training import events as E
from tui_dl.core.training.divergence import DivergenceGuard


def trainer_with_notices():
    inner = scripted_training(epochs=2, batches=20)

    def trainer(exp, **kw):
        for ev in inner(exp, **kw):
            if isinstance(ev, E.RunStarted):
                yield ev
                yield E.Notice("warning", E.english(N_(
                    "the network ends with Softmax, but cross_entropy applies log-softmax itself: it still trains, "
                    "but more slowly (the gradients shrink). Remove the final Softmax, or use LogSoftmax with "
                    "loss: nll.")))
                yield E.Notice("info", E.english(N_("optimizer {optimizer} ({impl}), {threads} CPU threads"),
                                                 optimizer="adam", impl="foreach", threads=2))
            elif isinstance(ev, E.StepDone) and ev.step >= 15:
                yield DivergenceGuard(2.3).event(float("nan"), epoch=1, step=15, lr=0.5, grad_clip=None)
                yield E.Finished(status="diverged", run_dir="runs/fake-run", epochs_run=1, steps=15,
                                 seconds=1.0, train_images_per_second=5000.0)
                return
            else:
                yield ev
    return trainer


def test_notices_and_advice_show_in_chinese_and_back_in_english(runs_dir, chinese):
    shots = os.environ.get("TUI_DL_SHOTS")

    async def body():
        for size in ((80, 24), (100, 30), (120, 40)):
            i18n.set_language("zh_CN")
            app = new_app(runs_dir=runs_dir, trainer=trainer_with_notices())
            async with app.run_test(size=size) as pilot:
                await pilot.pause()
                await pilot.press("ctrl+r")
                await wait_training_done(pilot)
                await pilot.pause()
                banner = str(app.query_one("#train-banner").render())
                assert "网络以 Softmax 结尾" in banner
                assert "学习率太高：试试 lr=0.05" in banner and "第 15 步" in banner
                log = "\n".join(app.session_runs[0].log)
                assert "优化器 adam（foreach），2 个 CPU 线程" in log and "学习率太高" in log
                if shots:
                    app.save_screenshot(f"train-notices-{size[0]}x{size[1]}.svg", path=shots)
                i18n.set_language("en")
                relabel_app(app)
                await pilot.pause()
                banner = str(app.query_one("#train-banner").render())
                assert "the network ends with Softmax" in banner and "learning rate too high: try lr=0.05" in banner
    run(body())
