"""Comparing runs (issue 13 item 6): labels say what differs between the runs in a student's words, the key
stays off the curves and never grows past two lines, colours read in both themes, runs of another experiment
are unticked when the experiment changes."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from rich.console import Console

from tests.ui.conftest import new_app, run, table_cells, wait_training_done, wait_until
from tests.ui.fakes import scripted_training
from tui_dl.app.widgets.plots import CurvePlot, theme_rgb
from tui_dl.core.config import schema as C
from tui_dl.core.config.experiment import load_experiment, save_experiment
from tui_dl.core.training import events as E


@pytest.fixture(scope="module")
def lenet():
    return load_experiment("tests/ui/data/lenet5.yaml")


def _train(exp, **changes):
    return replace(exp, train=replace(exp.train, **changes))


def _sigmoid(exp):
    net = exp.network
    for i, layer in enumerate(net.layers):
        if layer.type == "ReLU":
            net = net.replace_layer((i,), replace(layer, type="Sigmoid"))
    return replace(exp, network=net)


def test_labels_say_what_differs_between_the_runs(lenet):
    from tui_dl.app.session import run_labels

    sgd = _train(lenet, optimizer=C.Named("sgd", {"lr": 0.01}))
    momentum = _train(lenet, optimizer=C.Named("sgd", {"lr": 0.1, "momentum": 0.9}))
    wide = replace(lenet, network=lenet.network.replace_layer((0,), lenet.network.layers[0].with_params(
        out_channels=32)))
    labels = run_labels([lenet, sgd, _train(lenet, batch_size=128), momentum, _sigmoid(lenet), wide])
    # the first run says its own values of what differs; each other run what it changes
    assert labels[1:] == ["sgd lr=0.01", "batch 128", "sgd lr=0.1 momentum=0.9", "sigmoid", "conv1 32 channels"]
    assert labels[0].startswith("adam lr=0.001 batch 64")
    assert run_labels([lenet, sgd]) == ["adam lr=0.001", "sgd lr=0.01"]
    assert run_labels([sgd, lenet]) == ["sgd lr=0.01", "adam lr=0.001"]
    assert run_labels([lenet, _sigmoid(lenet)]) == ["relu", "sigmoid"]
    assert run_labels([lenet, _train(lenet, epochs=5)]) == ["2 epochs", "5 epochs"]
    # one run alone, or runs that do not differ: the settings students compare most
    assert run_labels([lenet]) == ["adam lr=0.001 batch 64"]
    assert run_labels([lenet, lenet]) == ["adam lr=0.001 batch 64", "same settings"]
    # another task: the data set and the network's name
    fnn = load_experiment("tests/ui/data/fnn_2_3_1.yaml")
    assert run_labels([lenet, fnn])[1].startswith("xor FNN")
    # a run without its experiment (a folder without config.yaml): its fallback, the folder name
    assert run_labels([lenet, None], ["", "lenet-20240101"]) == ["adam lr=0.001 batch 64", "lenet-20240101"]
    # no label is longer than three settings
    assert all(label.count(" +") <= 1 for label in labels)


def test_a_preset_against_its_sigmoid_twin_says_what_the_layers_change():
    from tui_dl.app.session import run_labels

    a = load_experiment("presets/lenet5.yaml")
    b = load_experiment("presets/lenet5_sigmoid.yaml")
    # the twin also has Adam's usual lr, no schedule and the default validation split
    assert run_labels([a, b], limit=9) == ["lr=0.002 relu cosine val split 0.05",
                                           "lr=0.001 sigmoid maxpool→avgpool ×2 no schedule val split 0.1"]
    assert run_labels([a, b]) == ["lr=0.002 relu cosine +1", "lr=0.001 sigmoid maxpool→avgpool ×2 +2"]


def _write_run_folder(folder, exp, *, speed: float, config: bool = True) -> None:
    """A finished run folder: metrics.jsonl (and config.yaml) as the trainer writes them."""
    folder.mkdir(parents=True)
    if config:
        save_experiment(exp, folder / "config.yaml")
    events = [E.RunStarted(name=exp.name, run_dir=str(folder), device="cpu", device_name="CPU", dataset="mnist",
                           train_size=640, val_size=64, test_size=100, epochs=2, steps_per_epoch=10, params=1)]
    for epoch in (1, 2):
        for b in (5, 10):
            events.append(E.StepDone(epoch=epoch, step=(epoch - 1) * 10 + b, batch=b, batches=10,
                                     loss=2.0 / (speed * (epoch + b / 10)), lr=0.01, images_per_second=100.0,
                                     elapsed=float(epoch), eta=1.0))
        events.append(E.EpochDone(epoch=epoch, epochs=2, step=epoch * 10, train_loss=1.0 / (speed * epoch),
                                  train_accuracy=0.5 + 0.1 * epoch, val_loss=1.1 / (speed * epoch),
                                  val_accuracy=0.5 + 0.1 * epoch, lr=0.01, seconds=1.0, images_per_second=100.0))
    events.append(E.Finished(status="completed", run_dir=str(folder), epochs_run=2, steps=20, seconds=2.0,
                             train_images_per_second=100.0, test_accuracy=0.7))
    (folder / "metrics.jsonl").write_text("".join(json.dumps(E.event_to_dict(e)) + "\n" for e in events))


def test_runs_opened_from_folders_are_labelled_by_their_settings(runs_dir, tmp_path, lenet):
    _write_run_folder(tmp_path / "lenet-adam-20240101-1200", lenet, speed=1.0)
    _write_run_folder(tmp_path / "lenet-sgd-20240101-1300", _train(lenet, optimizer=C.Named("sgd", {"lr": 0.01})),
                      speed=2.0)
    _write_run_folder(tmp_path / "old-run-without-config", lenet, speed=3.0, config=False)

    async def body():
        app = new_app(runs_dir=runs_dir)
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_until(pilot, lambda: app.runs_view and app.train_view)
            for name in ("lenet-adam-20240101-1200", "lenet-sgd-20240101-1300", "old-run-without-config"):
                app.open_path(str(tmp_path / name))
                await pilot.pause()
            await pilot.press("f5")
            await pilot.pause()
            settings = table_cells(app.query_one("#runs-table"), 7)
            assert settings == ["adam lr=0.001", "sgd lr=0.01", "old-run-without-config"]
            app.training.overlay_ids = {1}
            app.training.show_run(2)
            await pilot.pause(0.3)
            assert app.query_one("#plot-key").text == "■ #2 sgd lr=0.01  ■ #1 adam lr=0.001"
    run(body())


def _plot_text(plot: CurvePlot) -> str:
    console = Console(width=plot.size.width, record=True, color_system=None)
    console.print(plot.render())
    return console.export_text()


SEVEN_RUNS = (
    lambda t: t,
    lambda t: replace(t, optimizer=C.Named("sgd", {"lr": 0.01})),
    lambda t: replace(t, batch_size=128),
    lambda t: replace(t, optimizer=C.Named("sgd", {"lr": 0.1, "momentum": 0.9})),
    lambda t: replace(t, epochs=5),
    lambda t: replace(t, optimizer=C.Named("adam", {"lr": 0.01})),
    lambda t: replace(t, batch_size=32),
)


@pytest.mark.parametrize("size", [(80, 24), (100, 30)])
def test_six_overlays_keep_a_key_of_two_lines_off_the_curves(runs_dir, size):
    async def body():
        trainer = scripted_training(epochs=3, batches=20, log_every=5, vary=True)
        app = new_app(runs_dir=runs_dir, trainer=trainer)
        async with app.run_test(size=size) as pilot:
            await wait_until(pilot, lambda: app.train_view and app.runs_view and app.settings_view)
            base = app.document.experiment
            for edit in SEVEN_RUNS:
                app.apply_edit(replace(base, train=edit(base.train)))
                await pilot.press("ctrl+r")
                await wait_training_done(pilot)
            app.training.overlay_ids = {r.id for r in app.session_runs[:-1]}
            app.training.plots_dirty = True
            app.training.redraw_plots_if_dirty()
            await pilot.pause(0.3)
            key = app.query_one("#plot-key")
            # every run is in the key (the shown one first), in at most two lines, under the plots
            assert key.display and key.size.height <= 2
            lines = key.text.splitlines()
            assert 1 <= len(lines) <= 2 and all(len(line) <= key.size.width for line in lines)
            for r in app.session_runs:
                assert f"#{r.id} " in key.text
            assert key.text.startswith("■ #7 ")
            assert "#3 batch 128" in key.text and "#4 sgd lr=0.1" in key.text
            if size[0] >= 100:
                assert "#4 sgd lr=0.1 momentum=0.9" in key.text
            loss, acc = app.query_one("#loss-plot", CurvePlot), app.query_one("#acc-plot", CurvePlot)
            assert key.region.y >= loss.region.bottom and key.region.y >= acc.region.bottom
            # no legend inside the plots: no run label is drawn over the curves
            for plot in (loss, acc):
                text = _plot_text(plot)
                assert "#1" not in text and "train" not in text and " val" not in text, text
            assert len(loss.series) == 14 and len({str(s.color) for s in loss.series}) == 7
            # the loss plot keeps its line-style key (in its border, off the curves) with six overlays
            from textual.content import Content

            assert Content.from_markup(loss.border_subtitle).plain == "━ train (smoothed)  • val"
            assert Content.from_markup(acc.border_subtitle).plain == "validation accuracy"
    run(body())


def _contrast(a: tuple[int, int, int], b: tuple[int, int, int]) -> float:
    def lum(rgb):
        out = []
        for c in rgb:
            c = c / 255
            out.append(c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4)
        return 0.2126 * out[0] + 0.7152 * out[1] + 0.0722 * out[2]
    la, lb = sorted((lum(a), lum(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def test_every_overlay_colour_reads_on_the_plot_in_both_themes(runs_dir):
    async def body():
        trainer = scripted_training(epochs=2, batches=20, log_every=5, vary=True)
        app = new_app(runs_dir=runs_dir, trainer=trainer)
        async with app.run_test(size=(100, 30)) as pilot:
            await wait_until(pilot, lambda: app.train_view and app.runs_view)
            base = app.document.experiment
            for edit in SEVEN_RUNS:
                app.apply_edit(replace(base, train=edit(base.train)))
                await pilot.press("ctrl+r")
                await wait_training_done(pilot)
            app.training.overlay_ids = {r.id for r in app.session_runs[:-1]}
            backgrounds = {}
            for theme in ("textual-dark", "textual-light"):
                app.theme = theme
                app.training.plots_dirty = True
                app.training.redraw_plots_if_dirty()
                await pilot.pause(0.2)
                loss = app.query_one("#loss-plot", CurvePlot)
                background = loss.background_colors[1].rgb  # what the plot is drawn on
                colors = [theme_rgb(app, s.color) for s in loss.series]
                assert len(set(colors)) == 7
                for rgb in colors:
                    assert _contrast(rgb, background) >= 3.0, (theme, rgb, background)
                backgrounds[app.current_theme.dark] = background
            from tui_dl.app.widgets.colors import run_colors

            for dark, background in backgrounds.items():  # the colours an 8th run would get too
                for rgb in run_colors(dark):
                    assert _contrast(rgb, background) >= 3.0, (dark, rgb, background)
    run(body())


def test_overlays_of_another_experiment_are_unticked_when_it_changes(runs_dir):
    async def body():
        trainer = scripted_training(epochs=2, batches=20, log_every=5)
        app = new_app(runs_dir=runs_dir, trainer=trainer)
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_until(pilot, lambda: app.train_view and app.runs_view)
            await pilot.press("ctrl+r")
            await wait_training_done(pilot)
            base = app.document.experiment
            app.apply_edit(replace(base, train=replace(base.train, batch_size=128)))
            await pilot.press("ctrl+r")
            await wait_training_done(pilot)
            app.training.toggle_overlay(1)
            assert app.training.overlay_ids == {1}
            # the same task (LeNet on MNIST) with other settings: the overlay stays
            app.apply_edit(replace(base, train=replace(base.train, epochs=3)))
            await pilot.press("ctrl+r")
            await wait_training_done(pilot)
            assert app.training.overlay_ids == {1}
            app.training.toggle_overlay(2)
            # another experiment (the XOR network: other data, other input): the LeNet runs are unticked
            assert app.files.open_experiment(Path("tests/ui/data/fnn_2_3_1.yaml"))  # (no "discard changes?")
            await pilot.pause()
            await pilot.press("ctrl+r")
            await wait_training_done(pilot)
            assert app.training.overlay_ids == set()
            assert [s.label for s in app.query_one("#loss-plot", CurvePlot).series] == ["train", "smoothed", "val"]
            marks = table_cells(app.query_one("#runs-table"), 0)
            assert marks == ["☐"] * 4
            # showing a LeNet run again with the FNN run ticked unticks the FNN run
            app.training.toggle_overlay(4)
            app.training.show_run(1)
            assert app.training.overlay_ids == set()
    run(body())
