"""Helpers for the Pilot tests of the "inside the model" screens: open a trained run (the session's
``insight_run`` fixture) in the app and wait for a screen's worker to answer."""

from __future__ import annotations

from tests.ui.conftest import wait_until


async def open_run(pilot, run_dir) -> None:
    """The app with ``run_dir`` opened (replayed in the Train view) and the notifications cleared."""
    app = pilot.app
    await wait_until(pilot, lambda: app.train_view and app.runs_view and app.settings_view)
    app.open_path(str(run_dir))
    await wait_until(pilot, lambda: app.session_runs and app.session_runs[-1].finished is not None)
    await pilot.pause()
    app.clear_notifications()


async def settled(pilot, screen, *flags: str, timeout: float = 30.0) -> None:
    """Wait until none of the screen's ``flags`` (busy, sweeping) is set any more, then one more frame."""
    await wait_until(pilot, lambda: not any(getattr(screen, f) for f in (flags or ("busy",))), timeout)
    await pilot.pause()


def grid_text(grid) -> str:
    """The plain text of a TileGrid (its captions; pictures are ▀ cells)."""
    return grid.render().plain
