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


def _with_best_epochs(trainer, *, at_best: float, highest: float):
    """``trainer`` whose Finished says: the lowest val loss was at epoch 1 (val acc ``at_best`` there), the
    highest val accuracy ``highest`` at epoch 2 (the two bests a student must not mix up)."""
    from dataclasses import replace

    from tui_dl.core.training import events as E

    def wrapped(exp, **kwargs):
        for ev in trainer(exp, **kwargs):
            if isinstance(ev, E.Finished):
                ev = replace(ev, best_epoch=1, best_val_accuracy=at_best, val_accuracy_at_best=at_best,
                             monitor="val_loss", monitor_mode="min", monitor_source="default",
                             highest_val_accuracy=highest, highest_val_accuracy_epoch=2)
            yield ev
    return wrapped


def test_best_val_acc_is_the_highest_val_accuracy_and_the_accuracy_at_best_loss_has_its_own_column(runs_dir):
    from tests.ui.conftest import table_cells

    async def body():
        trainer = _with_best_epochs(scripted_training(epochs=2, batches=10, log_every=5), at_best=0.9012,
                                    highest=0.9345)
        app = new_app(runs_dir=runs_dir, trainer=trainer)
        async with app.run_test(size=(100, 30)) as pilot:
            await wait_until(pilot, lambda: app.train_view and app.runs_view)
            await pilot.press("ctrl+r")
            await wait_training_done(pilot)
            await pilot.press("f5")
            await pilot.pause()
            table = app.query_one("#runs-table")
            headers = [c.label.plain.replace("\n", " ") for c in table.columns.values()]
            best = headers.index("Best val acc")
            at_loss = headers.index("Val acc at best loss")
            assert table_cells(table, best) == ["93.45%"]
            assert table_cells(table, at_loss) == ["90.12%"]
            strips = app.screen._compositor.render_strips()
            # at 100 columns the headers are read whole, on two lines (nothing cut at the pane's edge)
            top = table.content_region
            header = ["".join(seg.text for seg in strips[y])[top.x:top.right] for y in (top.y, top.y + 1)]
            assert "Best" in header[0] and "val acc" in header[1], header
            assert "Val acc at" in header[0] and "best loss" in header[1], header
            region = app.query_one("#run-detail").content_region
            detail = "\n".join("".join(seg.text for seg in strips[y]) for y in range(region.y, region.bottom))
            assert "val acc at best val loss (epoch 1): 90.12% · best val acc 93.45% (epoch 2)" in detail
            app.save_screenshot(str(runs_dir.parent / "runs.svg"))
    run(body())
