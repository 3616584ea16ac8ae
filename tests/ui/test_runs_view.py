"""The Runs table (issue 13 item 12): Home and End go to the first and the last run."""

from __future__ import annotations

from tests.ui.conftest import new_app, run, wait_training_done, wait_until
from tests.ui.fakes import scripted_training


def test_home_and_end_move_to_the_first_and_the_last_run(runs_dir):
    async def body():
        trainer = scripted_training(epochs=1, batches=10, log_every=5)
        app = new_app(runs_dir=runs_dir, trainer=trainer)
        async with app.run_test(size=(80, 24)) as pilot:  # narrow: the table is wider than its pane
            await wait_until(pilot, lambda: app.train_view and app.runs_view)
            for _ in range(4):
                await pilot.press("ctrl+r")
                await wait_training_done(pilot)
            await pilot.press("f5")
            await pilot.pause()
            table = app.query_one("#runs-table")
            assert app.focused is table and table.max_scroll_x > 0
            table.move_cursor(row=1)
            await pilot.press("end")
            await pilot.pause()
            assert table.cursor_row == 3 and table.scroll_x == 0
            await pilot.press("home")
            await pilot.pause()
            assert table.cursor_row == 0 and table.scroll_x == 0
    run(body())
