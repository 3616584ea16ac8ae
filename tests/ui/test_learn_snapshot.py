"""SVG snapshot of the Learn view: the conv lab on the course's example, second window, at 100×30.

Update after an intended visual change with ``pytest tests/ui/test_learn_snapshot.py --snapshot-update``.
"""

from __future__ import annotations

from tests.ui.conftest import new_app, wait_until
from tests.ui.learn_pilot import open_learn


async def _conv_lab(pilot) -> None:
    app = pilot.app
    await wait_until(pilot, lambda: app.train_view and app.runs_view and app.settings_view)
    pane = await open_learn(pilot, "conv")
    await pilot.press("right")  # the second window: y[0,1] = 1×0 + 2×1 + 4×2 + 5×3 = 25
    await wait_until(pilot, lambda: pane.pos == 1)
    await pilot.pause()
    app.clear_notifications()
    await pilot.pause()


def test_conv_lab_100x30(snap_compare, runs_dir):
    assert snap_compare(new_app(runs_dir=runs_dir), terminal_size=(100, 30), run_before=_conv_lab)
