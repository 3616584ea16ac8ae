"""Train view: a scripted run posts batched progress and finishes; pause/resume; stop; quit mid-run;
banners; runs overlay; one short real training run."""

from __future__ import annotations

import re
import threading
import time

import pytest
from textual.widgets import DataTable, Log

from tests.ui.conftest import new_app, run, wait_training_done, wait_until
from tests.ui.fakes import scripted_training
from tui_dl.app.messages import TrainingEnded, TrainingEvents, TrainingProgress
from tui_dl.app.widgets.plots import CurvePlot, PlotKey
from tui_dl.app.widgets.results import ResultPanel
from tui_dl.core.training.events import StepDone


def test_scripted_run_posts_batched_progress_and_finishes(runs_dir):
    messages = []

    async def body():
        trainer = scripted_training(epochs=3, batches=50, log_every=5, delay=0.002)
        app = new_app(runs_dir=runs_dir, trainer=trainer)
        async with app.run_test(size=(120, 40), message_hook=messages.append) as pilot:
            await pilot.pause()
            await pilot.press("ctrl+r")
            await wait_training_done(pilot)
            loss = app.query_one("#loss-plot", CurvePlot)
            # the plot timer redraws once a second
            await wait_until(pilot, lambda: loss.point_count >= 30 + 30 + 3, timeout=5)
            assert trainer.calls[0]["ui_thread"] is True
            assert trainer.calls[0]["runs_dir"] == str(runs_dir)
            rec = app.session_runs[0]
            assert rec.status == "completed"
            assert len(rec.step_x) == 30 and len(rec.epochs) == 3
            assert loss.point_count >= 30 + 30 + 3  # raw, smoothed and val
            assert app.query_one("#acc-plot", CurvePlot).point_count == 6
            log = app.query_one(Log)
            step_lines = [line for line in log.lines if "img/s" in line]
            # the first step and each epoch's last step always; others at most one per second of the run
            assert 4 <= len(step_lines) < 30
            assert log.line_count >= len(step_lines) + 3
            assert any("■ epoch 3/3" in line for line in log.lines)
            panel = app.query_one(ResultPanel)
            assert panel.finished is not None and len(panel.finished.confusion) == 10
            assert "94.12%" in str(app.status_bar.render())
            assert app.current_view == "train"
    run(body())
    batches = [m for m in messages if isinstance(m, TrainingEvents)]
    steps = sum(isinstance(e, StepDone) for m in batches for e in m.events)
    assert steps == 30
    # Steps travel in batches (one message per ~0.2 s plus one per epoch/start/finish event),
    # never one message per step.
    assert len(batches) < steps
    assert any(isinstance(m, TrainingProgress) for m in messages)
    assert any(isinstance(m, TrainingEnded) and not m.error for m in messages)


def test_pause_and_resume(runs_dir):
    async def body():
        trainer = scripted_training(epochs=2, batches=200, log_every=5, delay=0.003)
        app = new_app(runs_dir=runs_dir, trainer=trainer)
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            await pilot.press("ctrl+r")
            await wait_until(pilot, lambda: trainer.calls and trainer.calls[0]["steps"] > 20)
            await pilot.press("p")
            assert app.training.control.paused
            await pilot.pause(0.3)
            held = trainer.calls[0]["steps"]
            await pilot.pause(0.5)
            # the generator is not pulled while paused (at most the step in flight completes)
            assert trainer.calls[0]["steps"] - held <= 5
            assert "paused" in str(app.status_bar.render())
            await pilot.press("p")
            assert not app.training.control.paused
            await wait_training_done(pilot)
            assert app.session_runs[0].status == "completed"
            assert trainer.calls[0]["steps"] == 400
    run(body())


def test_stop_finishes_the_run_as_stopped(runs_dir):
    async def body():
        trainer = scripted_training(epochs=3, batches=500, log_every=5, delay=0.002)
        app = new_app(runs_dir=runs_dir, trainer=trainer)
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            await pilot.press("ctrl+r")
            await wait_until(pilot, lambda: trainer.calls and trainer.calls[0]["steps"] > 10)
            await pilot.press("ctrl+r")
            await wait_training_done(pilot)
            rec = app.session_runs[0]
            assert rec.status == "stopped"
            assert trainer.calls[0]["steps"] < 1500
            assert any("checkpoint (interrupted)" in line for line in rec.log)
            assert not app.is_training
    run(body())


def test_a_stopped_run_can_be_resumed_from_the_runs_view(runs_dir):
    async def body():
        trainer = scripted_training(epochs=2, batches=400, log_every=5, delay=0.002)
        app = new_app(runs_dir=runs_dir, trainer=trainer)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            await pilot.press("ctrl+r")
            await wait_until(pilot, lambda: trainer.calls and trainer.calls[0]["steps"] > 10)
            await pilot.press("ctrl+r")
            await wait_training_done(pilot)
            assert app.session_runs[0].status == "stopped"
            await pilot.press("f5")
            await wait_until(pilot, lambda: app.query("#runs-table") and app.focused is app.query_one("#runs-table"))
            await pilot.press("r")
            await wait_until(pilot, lambda: len(trainer.calls) == 2)
            assert trainer.calls[1]["resume"] == "runs/fake-run"
            await pilot.press("ctrl+r")  # stop again
            await wait_training_done(pilot)
            assert len(app.session_runs) == 2 and app.session_runs[1].tag == "resumed fake-run"
    run(body())


def test_quit_mid_run_asks_then_stops_the_worker(runs_dir):
    trainer = scripted_training(epochs=3, batches=2000, log_every=5, delay=0.002)

    async def body():
        app = new_app(runs_dir=runs_dir, trainer=trainer)
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            await pilot.press("ctrl+r")
            await wait_until(pilot, lambda: trainer.calls and trainer.calls[0]["steps"] > 10)
            await pilot.press("ctrl+q")
            await pilot.pause()
            assert type(app.screen).__name__ == "ConfirmModal"
            await pilot.press("n")  # keep training
            await pilot.pause()
            assert app.is_training and app.is_running
            await pilot.press("ctrl+q")
            await pilot.pause()
            await pilot.press("y")
            await wait_until(pilot, lambda: not app.is_running, timeout=15)
        return app

    started = time.monotonic()
    app = run(body())
    assert time.monotonic() - started < 30
    call = trainer.calls[0]
    assert call["should_stop"].is_set()
    assert call["closed"]  # the generator ran to its end (the trainer saved its checkpoint)
    assert call["steps"] < 6000
    assert app.session_runs[0].status == "stopped"


def test_banners_for_fallback_early_stop_and_overfitting(runs_dir):
    async def body():
        trainer = scripted_training(epochs=5, batches=20, log_every=5, overfit=True, early_stop_at=4,
                                    fallback="MNIST was not found and there is no network")
        app = new_app(runs_dir=runs_dir, trainer=trainer)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            await pilot.press("ctrl+r")
            await wait_training_done(pilot)
            banner = str(app.query_one("#train-banner").render())
            assert app.query_one("#train-banner").display
            assert "Training on synthetic-digits instead: MNIST was not found" in banner
            assert "Early stop after epoch 4" in banner
            assert "overfitting" in banner
            log = "\n".join(app.query_one(Log).lines)
            assert "⚑ overfitting" in log
            assert app.session_runs[0].status == "early_stopped"
    run(body())


def test_the_fallback_toast_is_short_and_the_log_keeps_the_whole_reason(runs_dir):
    reason = ("MNIST is not on this computer and could not be downloaded (download failed: no network). Put the "
              "four files train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, "
              "t10k-labels-idx1-ubyte.gz into the folder /data/MNIST/raw")

    async def body():
        app = new_app(runs_dir=runs_dir, trainer=scripted_training(epochs=1, batches=5, fallback=reason))
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            await pilot.press("ctrl+r")
            await wait_training_done(pilot)
            toasts = [n for n in app._notifications if n.title == "Using synthetic-digits instead"]
            assert [n.message for n in toasts] == ["MNIST is not on this computer and could not be downloaded. "
                                                   "The log says how to get the real data."]
            assert "/data/MNIST/raw" in "\n".join(app.query_one(Log).lines)
    run(body())


def test_a_rising_loss_is_flagged_in_the_log_and_the_banner(runs_dir):
    async def body():
        app = new_app(runs_dir=runs_dir, trainer=scripted_training(epochs=1, batches=40, log_every=5, rise_at=20))
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            await pilot.press("ctrl+r")
            await wait_training_done(pilot)
            log = "\n".join(app.query_one(Log).lines)
            assert re.search(r"⚑ rising loss: at step 20 the training loss is 92, \d\d×", log)  # wrapped after
            assert log.count("⚑ rising loss") == 1
            assert "⚑ rising loss: the training loss climbed far above" in str(app.query_one("#train-banner").render())
    run(body())


def test_diverged_run_is_shown(runs_dir):
    async def body():
        trainer = scripted_training(epochs=2, batches=50, diverge_at=30)
        app = new_app(runs_dir=runs_dir, trainer=trainer)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            await pilot.press("ctrl+r")
            await wait_training_done(pilot)
            assert app.session_runs[0].status == "diverged"
            assert "Diverged at epoch 1, step 30" in str(app.query_one("#train-banner").render())
    run(body())


@pytest.mark.parametrize("loss", [1.5e12, float("nan")])
def test_a_run_that_diverges_before_its_first_logged_step_draws_its_curve(runs_dir, loss):
    """lr=10 dies at step 4, before the first logged step (log_every 10): the curve starts at the first loss the
    trainer saw (the Diverged event's first_loss, step 1) and the divergence is marked at step 4."""
    async def body():
        trainer = scripted_training(epochs=2, batches=297, log_every=10, diverge_at=4, diverged_loss=loss)
        app = new_app(runs_dir=runs_dir, trainer=trainer)
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            await pilot.press("ctrl+r")
            await wait_training_done(pilot)
            await pilot.pause(0.3)
            rec = app.session_runs[0]
            assert rec.status == "diverged" and rec.diverged.step == 4
            plot = app.query_one("#loss-plot", CurvePlot)
            assert plot.point_count >= 2
            curve = next(s for s in plot.series if s.label == "smoothed")
            assert curve.xs == [1.0] and curve.ys == [2.3]  # step 1's loss, on a step axis
            assert plot.xlabel == "step" and plot.border_title == "Loss by step"
            mark = next(s for s in plot.series if s.label.endswith("diverged"))
            assert mark.xs == [4.0] and mark.scatter and mark.marker == "✗"
            assert plot.vlines and plot.vlines[0][0] == 4.0
            from textual.content import Content

            assert Content.from_markup(plot.border_subtitle).plain == "⠒ steps  ━ smoothed  ✗ diverged"
            # the mark is on the plot (a huge or NaN loss is drawn at the top of the curve, not off the axis)
            assert 0 < mark.ys[0] <= 4 * 2.3
    run(body())


def test_a_diverged_run_later_on_keeps_its_steps_and_marks_the_point(runs_dir):
    async def body():
        trainer = scripted_training(epochs=2, batches=50, log_every=5, diverge_at=77)
        app = new_app(runs_dir=runs_dir, trainer=trainer)
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            await pilot.press("ctrl+r")
            await wait_training_done(pilot)
            plot = app.query_one("#loss-plot", CurvePlot)
            # the redraw is throttled: wait for the one that draws the mark (a fixed pause was flaky under load)
            await wait_until(pilot, lambda: any(s.label.endswith("diverged") for s in plot.series))
            curve = next(s for s in plot.series if s.label == "smoothed")
            assert len(curve.xs) == 15 and plot.xlabel == "epoch"  # the logged steps up to step 75
            mark = next(s for s in plot.series if s.label.endswith("diverged"))
            assert mark.xs == [pytest.approx(1 + 27 / 50)]
    run(body())


def test_trainer_error_is_reported_not_raised(runs_dir):
    def broken(exp, **kwargs):
        raise RuntimeError("the data folder is empty")
        yield  # pragma: no cover

    async def body():
        app = new_app(runs_dir=runs_dir, trainer=broken)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            await pilot.press("ctrl+r")
            await wait_training_done(pilot)
            rec = app.session_runs[0]
            assert rec.status == "failed" and "the data folder is empty" in rec.error
            assert app.is_running
            assert "the data folder is empty" in "\n".join(app.query_one(Log).lines)
    run(body())


def test_network_with_an_error_does_not_start(runs_dir):
    async def body():
        trainer = scripted_training()
        app = new_app("tests/ui/data/handout_bug.yaml", runs_dir=runs_dir, trainer=trainer)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            await pilot.press("ctrl+r")
            await pilot.pause()
            assert not trainer.calls and not app.is_training
            assert app.current_view == "build"
    run(body())


def test_two_runs_overlay_in_the_plots(runs_dir):
    async def body():
        trainer = scripted_training(epochs=2, batches=20, log_every=5)
        app = new_app(runs_dir=runs_dir, trainer=trainer)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            await pilot.press("ctrl+r")
            await wait_training_done(pilot)
            # change the optimizer in the Setup view, train again
            await pilot.press("f3")
            await wait_until(pilot, lambda: app.settings_view and app.settings_view.activated
                             and app.query("#form-optimizer Select"))
            select = app.query_one("#form-optimizer").editor("optimizer")
            select.value = "sgd"
            await pilot.pause()
            assert app.document.experiment.train.optimizer.name == "sgd"
            await pilot.press("ctrl+r")
            await wait_training_done(pilot)
            # the Runs table says what tells the runs apart (the first run: its optimizer and learning rate)
            assert [r.compared for r in app.session_runs] == ["adam", "sgd"]
            await pilot.press("f5")
            await pilot.pause()
            table = app.query_one("#runs-table", DataTable)
            assert table.row_count == 2
            table.move_cursor(row=0)
            await pilot.press("space")
            await pilot.pause()
            assert app.training.overlay_ids == {1}
            await pilot.press("f4")
            await pilot.pause(0.5)
            loss = app.query_one("#loss-plot", CurvePlot)
            assert [s.label for s in loss.series] == ["#2 train", "#2 val", "#1 train", "#1 val"]
            # the key under the plots names each run by what differs, in its curve's colour
            assert loss.border_title == "Loss"
            assert app.query_one(PlotKey).text == "■ #2 sgd  ■ #1 adam"
            colors = [str(s.color) for s in loss.series]
            assert colors[0] == colors[1] != colors[2] == colors[3]  # one colour per run: line train, dots val
            labels = [s.label for s in app.query_one("#acc-plot", CurvePlot).series]
            assert "#1 val" in labels and "#2 val" in labels
    run(body())


def test_real_training_run_finishes(runs_dir):
    """One short real run (torch, the real trainer) on the tiny XOR set."""
    pytest.importorskip("torch")
    pytest.importorskip("tui_dl.core.training.loop")

    async def body():
        app = new_app("tests/ui/data/fnn_2_3_1.yaml", runs_dir=runs_dir, trainer=None,
                      overrides=["train.epochs=2"])
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            await pilot.press("ctrl+r")
            await wait_training_done(pilot, timeout=120)
            rec = app.session_runs[0]
            assert rec.status == "completed", rec.error or list(rec.log)[-5:]
            assert len(rec.epochs) == 2 and rec.step_x
            assert rec.finished.test_accuracy is not None
            assert (runs_dir / rec.run_dir.split("/")[-1]).exists() or rec.run_dir.startswith(str(runs_dir))
    run(body())


def test_a_plot_redraw_while_the_plots_are_gone_is_skipped(runs_dir):
    """The redraw timer can fire while the Train view is torn down (quit) or rebuilt: no NoMatches crash."""
    async def body():
        app = new_app(runs_dir=runs_dir, trainer=scripted_training(epochs=1, batches=10, log_every=5, delay=0.0))
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            await pilot.press("ctrl+r")
            await wait_training_done(pilot)
            before = app.training.plot_redraws
            await app.query_one("#loss-plot").remove()
            app.training.plots_dirty = True
            app.training.redraw_plots_if_dirty()
            assert app.training.plot_redraws == before + 1 and app.current_view == "train"
            await pilot.pause()
            assert app.is_running
    run(body())


def test_the_setup_forms_are_built_in_the_background_unless_a_run_has_started(runs_dir):
    from tui_dl.app.views import settings_view

    async def idle():
        app = new_app(runs_dir=runs_dir)
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_until(pilot, lambda: app.settings_view and app.settings_view.activated
                             and not app.settings_view.building, timeout=settings_view.PREBUILD_AFTER_S + 10)
            assert app.current_view == "build"  # built without a visit
            assert app.query("#form-optimizer Select")

    async def training():
        gate = threading.Event()
        app = new_app(runs_dir=runs_dir, trainer=scripted_training(epochs=1, batches=5, gate=gate))
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("ctrl+r")
            await pilot.pause(settings_view.PREBUILD_AFTER_S + 0.5)
            assert app.is_training and not app.settings_view.activated  # the CPU is left to the run
            await pilot.press("f3")
            await wait_until(pilot, lambda: app.settings_view and app.settings_view.activated
                             and not app.settings_view.building)
            gate.set()
            await wait_training_done(pilot)

    run(idle())
    run(training())


def test_quitting_while_the_setup_forms_are_mounted_waits_for_them(runs_dir, monkeypatch):
    """Textual's Select raises NoMatches when the app is torn down while it mounts: shutting down waits, whether
    the student quits or a test ends (run_test shuts the app down without exit()). Each Select is made slow to
    mount (20 ms), so the teardown always meets the forms mid-build (on a fast machine the build used to finish
    before the test looked)."""
    import time

    from textual.widgets import Select

    mount = Select._on_mount

    def slow_mount(self, event):
        time.sleep(0.02)
        return mount(self, event)

    monkeypatch.setattr(Select, "_on_mount", slow_mount)

    async def start_building(pilot, app):
        await wait_until(pilot, lambda: app.query("#form-optimizer Select"), timeout=10)
        assert app.settings_view.building

    async def quit_():
        app = new_app(runs_dir=runs_dir)
        async with app.run_test(size=(120, 40)) as pilot:
            await start_building(pilot, app)
            app.exit()
            await wait_until(pilot, lambda: not app.is_running)
        return app

    async def leave():
        app = new_app(runs_dir=runs_dir)
        async with app.run_test(size=(120, 40)) as pilot:
            await start_building(pilot, app)
        return app

    app = run(quit_())  # raises here if a Select failed during the teardown
    assert app._exit_waits >= 1
    app = run(leave())
    assert app._shutdown_waits >= 1


def test_channels_last_shows_auto_until_the_student_picks_true_or_false(runs_dir):
    """train.channels_last and split_batch unset mean "the engine decides" (on for conv nets on the CPU;
    on for 2-4 CPU threads), not false."""
    from textual.widgets import Select

    async def body():
        app = new_app(runs_dir=runs_dir)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("f3")
            await wait_until(pilot, lambda: app.settings_view and app.settings_view.activated
                             and not app.settings_view.building)
            sel = app.query_one("#form-training").editor("channels_last")
            assert isinstance(sel, Select) and sel.value is Select.NULL
            assert "auto (on for CPU convs)" in str(sel.query_one("SelectCurrent #label").render())
            assert app.document.experiment.train.channels_last is None
            train = lambda: app.document.experiment.train  # noqa: E731
            sel.value = False
            await wait_until(pilot, lambda: train().channels_last is False)
            sel.value = Select.NULL
            await wait_until(pilot, lambda: train().channels_last is None)
            sel.value = True
            await wait_until(pilot, lambda: train().channels_last is True)
            split = app.query_one("#form-training").editor("split_batch")
            assert isinstance(split, Select) and split.value is Select.NULL
            split.value = False
            await wait_until(pilot, lambda: train().split_batch is False)
    run(body())
