"""Regenerate the README screenshots in assets/ with the real trainer (takes a few minutes on a CPU).

    python -m tests.ui.make_screenshots
"""

from __future__ import annotations

import asyncio
import tempfile
from dataclasses import replace
from pathlib import Path

from tests.ui.conftest import wait_training_done, wait_until
from tui_dl.app import make_app
from tui_dl.app.widgets.layer_stack import LayerStack
from tui_dl.core.config import schema as C
from tui_dl.core.config.experiment import load_experiment

ASSETS = Path("assets")
SIZE = (120, 40)


async def _ready(pilot):
    app = pilot.app
    await wait_until(pilot, lambda: app.train_view and app.runs_view and app.settings_view, timeout=60)
    await pilot.pause(0.5)


async def build_view():
    exp = load_experiment("presets/lenet5.yaml")
    app = make_app(exp, "presets/lenet5.yaml", device_text="CPU (2 cores)")
    async with app.run_test(size=SIZE) as pilot:
        await _ready(pilot)
        app.query_one(LayerStack).highlighted = 1
        await wait_until(pilot, lambda: app.build_view.selection == (0,))
        await pilot.pause(0.3)
        app.clear_notifications()
        await pilot.pause()
        app.save_screenshot(str(ASSETS / "build-view.svg"))


async def error_view():
    exp = load_experiment("presets/handout_bug.yaml")
    app = make_app(exp, "presets/handout_bug.yaml", device_text="CPU (2 cores)")
    async with app.run_test(size=SIZE) as pilot:
        await _ready(pilot)
        app.clear_notifications()
        await pilot.pause()
        app.save_screenshot(str(ASSETS / "shape-error.svg"))


async def train_views(runs_dir: str):
    exp = load_experiment("presets/lenet5.yaml", ["data.name=synthetic-digits", "train.epochs=3"])
    app = make_app(exp, "presets/lenet5.yaml", runs_dir=runs_dir)
    async with app.run_test(size=SIZE) as pilot:
        await _ready(pilot)
        await pilot.press("ctrl+r")
        await wait_training_done(pilot, timeout=900)
        await pilot.pause(1.0)
        app.clear_notifications()
        await pilot.pause()
        app.save_screenshot(str(ASSETS / "train-view.svg"))
        # SGD with the same lr, then overlay the Adam run
        t = app.document.experiment.train
        app.apply_edit(replace(app.document.experiment, train=replace(t, optimizer=C.Named("sgd", {"lr": 0.01}))))
        await pilot.press("ctrl+r")
        await wait_training_done(pilot, timeout=900)
        app.training.overlay_ids = {app.session_runs[0].id}
        app.training.refresh_runs()
        app.training.plots_dirty = True
        await pilot.pause(1.0)
        app.clear_notifications()
        await pilot.pause()
        app.save_screenshot(str(ASSETS / "compare-runs.svg"))
        await pilot.press("f5")
        await pilot.pause(0.5)
        app.clear_notifications()
        await pilot.pause()
        app.save_screenshot(str(ASSETS / "runs-view.svg"))


def main() -> None:
    ASSETS.mkdir(exist_ok=True)
    asyncio.run(build_view())
    asyncio.run(error_view())
    with tempfile.TemporaryDirectory() as runs:
        asyncio.run(train_views(runs))


if __name__ == "__main__":
    main()
