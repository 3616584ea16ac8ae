"""The Train view's log (issue 13 items 8, 9 and 12): it keeps following through terminal resizes, long lines
(diagnoses) wrap to the pane instead of being cut off, and the step lines' img/s is smoothed."""

from __future__ import annotations

import re

import pytest

from tests.ui.conftest import new_app, run, wait_training_done, wait_until
from tests.ui.fakes import scripted_training
from tui_dl.app.session import RunRecord
from tui_dl.core.training.events import StepDone


def _visible_lines(app, widget) -> list[str]:
    """The rows of ``widget`` as the screen shows them."""
    region = widget.content_region
    strips = app.screen._compositor.render_strips()
    return ["".join(seg.text for seg in strips[y])[region.x:region.right].rstrip()
            for y in range(region.y, region.bottom)]


def test_the_log_keeps_following_after_a_terminal_resize(runs_dir):
    async def body():
        trainer = scripted_training(epochs=3, batches=100, log_every=5, delay=0.004)
        app = new_app(runs_dir=runs_dir, trainer=trainer)
        async with app.run_test(size=(100, 30)) as pilot:
            await wait_until(pilot, lambda: app.train_view and app.runs_view)
            await pilot.press("ctrl+r")
            await wait_until(pilot, lambda: trainer.calls and trainer.calls[0]["steps"] > 30)
            await pilot.resize_terminal(80, 24)
            await pilot.pause(0.3)
            await pilot.resize_terminal(100, 30)
            await pilot.pause(0.3)
            await wait_training_done(pilot)
            await pilot.pause(0.3)
            log = app.query_one("#log-pane")
            assert log.scroll_y == log.max_scroll_y > 0
            shown = "\n".join(_visible_lines(app, log))
            assert "■ completed" in shown and "test accuracy 94.12%" in shown, shown
    run(body())


def test_the_log_stays_where_the_student_scrolled_to(runs_dir):
    async def body():
        trainer = scripted_training(epochs=3, batches=100, log_every=5, delay=0.004)
        app = new_app(runs_dir=runs_dir, trainer=trainer)
        async with app.run_test(size=(100, 30)) as pilot:
            await wait_until(pilot, lambda: app.train_view and app.runs_view)
            await pilot.press("ctrl+r")
            log = app.query_one("#log-pane")
            await wait_until(pilot, lambda: log.max_scroll_y > 3)
            log.scroll_to(y=0, animate=False)
            await pilot.pause()
            await pilot.resize_terminal(80, 24)
            await pilot.pause(0.2)
            await wait_training_done(pilot)
            await pilot.pause(0.2)
            assert log.scroll_y == 0 < log.max_scroll_y  # reading the start: not pulled to the end
    run(body())


@pytest.mark.parametrize("size", [(80, 24), (100, 30), (120, 40)])
def test_a_diagnosis_wraps_in_the_log_instead_of_being_cut_off(runs_dir, size):
    async def body():
        trainer = scripted_training(epochs=2, batches=40, log_every=5, rise_at=20)
        app = new_app(runs_dir=runs_dir, trainer=trainer)
        async with app.run_test(size=size) as pilot:
            await wait_until(pilot, lambda: app.train_view and app.runs_view)
            await pilot.press("ctrl+r")
            await wait_training_done(pilot)
            await pilot.pause(0.2)
            log = app.query_one("#log-pane")
            message = app.session_runs[0].findings["rising"]
            width = log.scrollable_content_region.width
            assert log.max_scroll_x == 0  # nothing runs off the pane's right edge
            assert all(len(line) <= width for line in log.lines)
            start = next(i for i, line in enumerate(log.lines) if line.startswith("⚑ rising loss"))
            wrapped = [log.lines[start]]
            for line in log.lines[start + 1:]:
                if not line.startswith("  ") or re.match(r"  e\d+ ", line):  # the next step line
                    break
                wrapped.append(line)
            assert len(wrapped) > 1
            assert " ".join(part.strip() for part in wrapped) == f"⚑ {message}"
            # and a resize rewraps it to the new width
            await pilot.resize_terminal(size[0] + 20, size[1])
            await pilot.pause(0.3)
            wider = log.scrollable_content_region.width
            assert wider > width and all(len(line) <= wider for line in log.lines)
            assert any(len(line) > width for line in log.lines)
    run(body())


def test_the_img_per_second_of_the_step_lines_is_smoothed():
    """One step window's own rate swings (556 after a wait for the UI thread, 16,062 in a burst); the log
    shows the rate averaged over the last few seconds, weighted by each window's time."""
    rec = RunRecord(id=1, name="t", experiment=None)
    rates = []
    t = 0.0
    for i in range(1, 201):
        slow = i % 4 == 0
        dt = 0.2 if slow else 0.01  # a slow window takes as long as it is slow
        t += dt
        ev = StepDone(epoch=1, step=i * 10, batch=i * 10, batches=2000, loss=1.0, lr=0.1,
                      images_per_second=556.0 if slow else 16062.0, elapsed=t, eta=1.0)
        for line in rec.add(ev):
            rates.append(float(line.split("lr 0.1")[1].split("img/s")[0].replace(",", "")))
    settled = rates[3:]
    assert settled and max(settled) / min(settled) < 1.6  # no tenfold swings
    # it follows the images really done per second: mostly slow windows by time, so near the slow end
    time_weighted = (50 * 0.2 * 556 + 150 * 0.01 * 16062) / (50 * 0.2 + 150 * 0.01)
    assert all(0.6 * time_weighted < r < 1.6 * time_weighted for r in settled), (settled, time_weighted)
