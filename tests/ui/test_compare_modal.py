"""The Compare dialog (F7): choose what to sweep, the values are checked as `--sweep` checks them, the runs go
one after another in the training worker into runs/sweep-<stamp>/<value>/, and their curves are overlaid with
labels that name the swept value."""

from __future__ import annotations

import json
from argparse import Namespace
from pathlib import Path

import pytest

from tests.ui.conftest import new_app, run, wait_until
from tests.ui.fakes import scripted_training
from tui_dl.app.screens.compare_modal import CompareModal
from tui_dl.core.config.experiment import load_experiment


@pytest.mark.parametrize("size", [(100, 30)])  # 80x24 and the light theme were looked at as screenshots
def test_compare_three_optimizers_overlays_them_labelled_by_value(runs_dir, size, tmp_path):
    shots = tmp_path
    async def body():
        trainer = scripted_training(epochs=2, batches=10, log_every=5, vary=True)
        app = new_app(runs_dir=runs_dir, trainer=trainer)
        async with app.run_test(size=size) as pilot:
            await wait_until(pilot, lambda: app.train_view and app.runs_view and app.settings_view)
            await pilot.press("f7")
            await wait_until(pilot, lambda: isinstance(app.screen, CompareModal))
            modal = app.screen
            values = modal.query_one("#compare-values")
            assert values.value == "gd,sgd,momentum,adagrad,rmsprop,adam"
            await pilot.press("down")                      # activations
            await pilot.pause()
            assert values.value == "ReLU,Tanh,Sigmoid"
            await pilot.press("up", "enter")               # optimizers; enter goes to the values
            await pilot.pause()
            assert app.focused is values
            app.save_screenshot(str(shots / f"compare-{size[0]}.svg"))
            values.value = "sgd,adamm"
            await pilot.press("enter")
            await pilot.pause()
            problem = str(modal.query_one("#compare-problem").render())
            assert "train.optimizer.name=adamm" in problem and "not one of" in problem
            assert "--sweep" not in problem  # the command line's word, not the dialog's
            assert app.screen is modal                     # the dialog stays open
            values.value = "sgd,momentum,adam"
            await pilot.press("enter")
            await wait_until(pilot, lambda: len(app.session_runs) == 3 and not app.is_training
                             and not app.session_runs[-1].running, timeout=30)
            runs = app.session_runs
            assert [r.experiment.train.optimizer.name for r in runs] == ["sgd", "momentum", "adam"]
            assert app.training.overlay_ids == {r.id for r in runs}
            assert all(r.status == "completed" for r in runs)
            labels = [r.label for r in runs]
            assert labels[1].startswith("#2 momentum") and labels[2].startswith("#3 adam"), labels
            assert labels[0].startswith("#1 sgd"), labels
            key = app.query_one("#plot-key")
            for r in runs:
                assert f"#{r.id} " in key.text
    run(body())


def test_the_sweep_runs_into_one_sweep_folder_from_the_same_seed(runs_dir):
    async def body():
        seen = []
        inner = scripted_training(epochs=1, batches=5, log_every=5)

        def trainer(exp, **kw):
            seen.append((exp.train.batch_size, exp.train.seed, kw.get("run_dir")))
            return inner(exp, **kw)

        app = new_app(runs_dir=runs_dir, trainer=trainer)
        async with app.run_test(size=(100, 30)) as pilot:
            await wait_until(pilot, lambda: app.train_view and app.runs_view and app.settings_view)
            app.training.start_sweep("train.batch_size=32,128")
            await wait_until(pilot, lambda: len(seen) == 2 and not app.is_training
                             and not app.session_runs[-1].running, timeout=30)
            assert [s[0] for s in seen] == [32, 128] and seen[0][1] == seen[1][1]
            folders = [s[2] for s in seen]
            assert folders[0].startswith(f"{runs_dir}/sweep-") and folders[0].endswith("/batch_size=32")
            assert folders[1].rsplit("/", 1)[0] == folders[0].rsplit("/", 1)[0]
            assert [r.label.split(" ", 1)[1] for r in app.session_runs] == ["batch 32", "batch 128"]
            # the sweep's table, as --sweep writes it: in the folder and in the log
            import json
            from pathlib import Path

            sweep = json.loads((Path(folders[0]).parent / "sweep.json").read_text())
            assert [r["label"] for r in sweep["runs"]] == ["batch_size=32", "batch_size=128"] and sweep["finished"]
            assert (Path(folders[0]).parent / "table.md").read_text().startswith("| run ")
            log = list(app.session_runs[-1].log)
            at = log.index("compare: train.batch_size=32,128")
            head, first, second = log[at + 1:at + 4]  # narrow enough for the log pane (40 columns at 100×30)
            assert head.split()[:3] == ["batch_size", "best", "val"] and first.startswith("32 ")
            assert second.startswith("128 ") and all(len(line) <= 40 for line in (head, first, second))
            assert log[-1].endswith("/table.md")
    run(body())


def test_stopping_a_compare_run_drops_the_rest(runs_dir):
    async def body():
        trainer = scripted_training(epochs=3, batches=40, log_every=2, delay=0.02)
        app = new_app(runs_dir=runs_dir, trainer=trainer)
        async with app.run_test(size=(100, 30)) as pilot:
            await wait_until(pilot, lambda: app.train_view and app.runs_view and app.settings_view)
            app.training.start_sweep("activation=ReLU,Tanh,Sigmoid")
            await wait_until(pilot, lambda: app.is_training and app.session_runs[-1].status == "running")
            await pilot.press("ctrl+r")
            await wait_until(pilot, lambda: not app.is_training and not app.session_runs[-1].running, timeout=30)
            await pilot.pause(0.3)
            assert len(app.session_runs) == 1 and app.training.sweep_queue == []
            # the sweep folder was written as --sweep writes it, so the rest continues headless
            folder = next(Path(runs_dir).glob("sweep-*"))
            assert any(f"tui-dl --batch --resume {folder}" in line for line in app.session_runs[0].log)
            return folder, app.document.experiment
    folder, exp = run(body())
    sweep = json.loads((folder / "sweep.json").read_text())
    assert sweep["finished"] is False and sweep["identity"]["axes"] == [["activation", ["ReLU", "Tanh", "Sigmoid"]]]
    assert load_experiment(folder / "base.yaml").to_dict() == exp.to_dict()
    from tui_dl.cli.sweep import _plan

    resumed, _file, _over, _axes, combos = _plan(Namespace(sweep=[], resume=str(folder), file=None, overrides=[]))
    assert resumed == folder and [c.slug for c, _e, _n in combos] == [p.name for p in (
        folder / "activation=ReLU", folder / "activation=Tanh", folder / "activation=Sigmoid")]


@pytest.mark.parametrize("size", [(80, 24)])
def test_the_epoch_cursor_reads_each_overlaid_runs_exact_values(runs_dir, size):
    async def body():
        trainer = scripted_training(epochs=3, batches=10, log_every=5, vary=True)
        app = new_app(runs_dir=runs_dir, trainer=trainer)
        async with app.run_test(size=size) as pilot:
            await wait_until(pilot, lambda: app.train_view and app.runs_view and app.settings_view)
            app.training.start_sweep("train.optimizer.name=sgd,adam")
            await wait_until(pilot, lambda: len(app.session_runs) == 2 and not app.is_training
                             and not app.session_runs[-1].running, timeout=30)
            app.training.redraw_plots_if_dirty()
            app.query_one("#log-pane").focus()
            cursor = app.query_one("#plot-cursor")
            assert not cursor.display
            await pilot.press("left_square_bracket")   # the first press: the last epoch
            await pilot.pause()
            assert cursor.display and cursor.epoch == 3
            await pilot.press("left_square_bracket")
            await pilot.pause()
            text = cursor.text
            assert text.startswith("▏epoch 2")
            sgd, adam = app.session_runs
            for r in (sgd, adam):
                e = next(x for x in r.epochs if x.epoch == 2)
                assert f"val {100 * e.val_accuracy:.2f}% · val loss {e.val_loss:.4f} · train loss " \
                       f"{e.train_loss:.4f}" in text
            assert "#1 sgd: val " in text and "#2 adam: val " in text
            acc = app.query_one("#acc-plot")
            assert (2.0, "warning") in acc.vlines
            for _ in range(5):
                await pilot.press("right_square_bracket")
            await pilot.pause()
            assert cursor.epoch == 3                     # it stops at the last epoch
    run(body())


def test_a_plain_and_an_adversarially_trained_run_are_labelled_by_it():
    from dataclasses import replace

    from tui_dl.app.session import run_labels
    from tui_dl.core.config import schema as C
    from tui_dl.core.config.experiment import load_experiment

    plain = load_experiment("tests/ui/data/lenet5.yaml")
    robust = replace(plain, train=replace(plain.train, adversarial=C.Adversarial(eps=0.3, method="pgd")))
    assert run_labels([plain, robust]) == ["clean training", "pgd training ε=0.3"]
