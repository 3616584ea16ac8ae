"""SVG snapshots of the build view (LeNet) and the train view after a scripted run, at 80×24 and 120×40.

Deterministic: the device text is injected, the trainer is scripted, notifications are cleared.
Update after an intended visual change with ``pytest tests/ui/test_snapshots.py --snapshot-update``.
"""

from __future__ import annotations

from tests.ui.conftest import new_app, wait_training_done, wait_until
from tests.ui.fakes import scripted_training
from tui_dl.app.widgets.layer_stack import LayerStack


async def _settle(pilot) -> None:
    app = pilot.app
    # the views mounted after the first frame are ready
    await wait_until(pilot, lambda: app.train_view and app.runs_view and app.settings_view)
    await pilot.pause()
    app.clear_notifications()
    await pilot.pause()


class TestBuildView:
    def test_lenet_120x40(self, snap_compare, runs_dir):
        async def run_before(pilot):
            await _settle(pilot)
            pilot.app.query_one(LayerStack).highlighted = 1  # the first conv layer: its form and formulas
            await wait_until(pilot, lambda: pilot.app.build_view.selection == (0,))
            await _settle(pilot)

        assert snap_compare(new_app(runs_dir=runs_dir), terminal_size=(120, 40), run_before=run_before)

    def test_lenet_80x24(self, snap_compare, runs_dir):
        assert snap_compare(new_app(runs_dir=runs_dir), terminal_size=(80, 24), run_before=_settle)

    def test_handout_bug_120x40(self, snap_compare, runs_dir):
        assert snap_compare(new_app("tests/ui/data/handout_bug.yaml", runs_dir=runs_dir), terminal_size=(120, 40),
                            run_before=_settle)


class TestTrainView:
    @staticmethod
    def _app(runs_dir):
        return new_app(runs_dir=runs_dir, trainer=scripted_training(epochs=4, batches=50, overfit=True))

    @staticmethod
    async def _train(pilot):
        await pilot.pause()
        await pilot.press("ctrl+r")
        await wait_training_done(pilot)
        await pilot.pause(0.5)  # the plot timer
        await _settle(pilot)

    def test_after_run_120x40(self, snap_compare, runs_dir):
        assert snap_compare(self._app(runs_dir), terminal_size=(120, 40), run_before=self._train)

    def test_after_run_80x24(self, snap_compare, runs_dir):
        assert snap_compare(self._app(runs_dir), terminal_size=(80, 24), run_before=self._train)
