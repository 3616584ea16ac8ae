"""The status bar keeps the experiment's file in sight at every width (issue 13 item 12)."""

from __future__ import annotations

import pytest

from tests.ui.conftest import new_app, run, wait_until
from tui_dl.core.training.events import StepDone

STEP = StepDone(epoch=1, step=20, batch=20, batches=297, loss=2.3017, lr=0.002, images_per_second=5123.0,
                elapsed=3.0, eta=45.0)


@pytest.mark.parametrize("size", [(80, 24), (100, 30), (120, 40)])
def test_the_file_name_stays_in_the_status_bar(runs_dir, size):
    async def body():
        app = new_app(runs_dir=runs_dir)
        async with app.run_test(size=size) as pilot:
            await wait_until(pilot, lambda: app.train_view and app.runs_view and app.settings_view)
            bar = app.status_bar
            states = [dict(state="idle", step=None, state_detail=""),
                      dict(state="running", epochs=2, step=STEP),
                      dict(state="idle", step=None, state_detail="run #6 completed, test accuracy 94.12%"),
                      dict(modified=True)]
            for values in states:
                bar.set(**values)
                await pilot.pause()
                text = str(bar.render())
                assert "lenet5.yaml" in text, (values, text)
                assert len(text) <= bar.size.width
                if values.get("state") == "running":
                    assert "loss 2.3017" in text and "ETA 0:45" in text and "5,123 img/s" in text
                if "test accuracy" in values.get("state_detail", ""):
                    assert "test accuracy 94.12%" in text
                if values.get("modified"):
                    assert "●" in text
            if size[0] >= 120:
                assert "tests/ui/data/lenet5.yaml" in text and "CPU (test)" in text  # room for all of it
    run(body())


def test_the_status_bar_shows_the_smoothed_rate_while_training(runs_dir):
    async def body():
        app = new_app(runs_dir=runs_dir)
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_until(pilot, lambda: app.train_view)
            app.status_bar.set(state="running", epochs=2, step=STEP, rate=4321.0)
            await pilot.pause()
            assert "4,321 img/s" in str(app.status_bar.render())
    run(body())
