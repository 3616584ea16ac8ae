"""SVG snapshots of the gallery (misclassified images) and of the FGSM screen (ε = 0.15, with the accuracy
against ε) on the session's trained run, at 100×30.

Update after an intended visual change with ``pytest tests/ui/test_insight_snapshot.py --snapshot-update``.
"""

from __future__ import annotations

import pathlib

import pytest

from tests.ui.conftest import new_app, wait_until
from tests.ui.insight_pilot import open_run, settled
from tui_dl.app.screens.attack_screen import AttackScreen
from tui_dl.app.screens.gallery_screen import GalleryScreen


def _recorded_cpu() -> bool:
    try:
        return "GenuineIntel" in pathlib.Path("/proc/cpuinfo").read_text()
    except OSError:
        return False


#: The pictures show a model trained in the test session; its float results (which images it gets wrong, the
#: accuracy against ε) differ between CPU families (an AMD EPYC Zen 5 gave other mistakes than the Sapphire Rapids
#: the snapshots were recorded on), so they are compared only on an Intel CPU. tests/ui/test_insight_screens.py
#: checks the same screens by their content on every CPU.
pytestmark = pytest.mark.skipif(not _recorded_cpu(), reason="snapshots of a trained model recorded on an Intel CPU")


def test_gallery_of_mistakes_100x30(snap_compare, runs_dir, insight_run):
    async def run_before(pilot):
        app = pilot.app
        await open_run(pilot, insight_run[0])
        await pilot.press("g")
        await wait_until(pilot, lambda: isinstance(app.screen, GalleryScreen))
        await settled(pilot, app.screen)
        await pilot.press("f", "f")  # by class, then the mistakes
        await settled(pilot, app.screen)
        await pilot.press("right")
        await pilot.pause()
        app.clear_notifications()
        await pilot.pause()

    assert snap_compare(new_app(runs_dir=runs_dir), terminal_size=(100, 30), run_before=run_before)


def test_fgsm_with_accuracy_against_eps_100x30(snap_compare, runs_dir, insight_run):
    async def run_before(pilot):
        app = pilot.app
        await open_run(pilot, insight_run[0])
        await pilot.press("a")
        await wait_until(pilot, lambda: isinstance(app.screen, AttackScreen))
        screen = app.screen
        await settled(pilot, screen)
        await pilot.press("r")
        await settled(pilot, screen, "sweeping")
        await pilot.press("shift+right")  # ε = 0.15
        await settled(pilot, screen)
        screen.curve.seconds = 0.0  # the time taken is not part of the picture
        screen._draw_curve()
        app.clear_notifications()
        await pilot.pause()

    assert snap_compare(new_app(runs_dir=runs_dir), terminal_size=(100, 30), run_before=run_before)
