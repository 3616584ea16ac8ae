"""Open, save (round trip), bad files shown inline, past run folders replayed."""

from __future__ import annotations

import json
from pathlib import Path

from textual.widgets import Input, OptionList

from tests.ui.conftest import new_app, run, wait_until
from tests.ui.fakes import scripted_training
from tui_dl.app import make_app
from tui_dl.app.widgets.plots import CurvePlot
from tui_dl.app.widgets.results import ResultPanel
from tui_dl.app.widgets.summary_table import SummaryTable
from tui_dl.core.training.events import event_to_dict
from tui_dl.core.config.experiment import ConfigError, load_experiment


def test_save_round_trips_and_confirms_overwrite(runs_dir, tmp_path):
    target = tmp_path / "my_lenet.yaml"

    async def body():
        app = new_app(runs_dir=runs_dir)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            # an edit, so the saved file differs from the preset
            await pilot.press("end", "d")
            await pilot.pause()
            await pilot.press("ctrl+s")
            await pilot.pause()
            field = app.screen.query_one("#save-path", Input)
            assert field.value == "tests/ui/data/lenet5.yaml"  # defaults to the opened file
            field.value = str(target)
            await pilot.press("enter")
            await pilot.pause()
            assert target.exists()
            saved = load_experiment(target)
            assert saved.to_dict() == app.document.experiment.to_dict()
            assert saved.to_yaml() == target.read_text()
            assert not app.document.modified and app.document.path == target
            # saving somewhere that exists asks first
            other = tmp_path / "other.yaml"
            other.write_text("keep me")
            await pilot.press("ctrl+s")
            await pilot.pause()
            app.screen.query_one("#save-path", Input).value = str(other)
            await pilot.press("enter")
            await pilot.pause()
            assert type(app.screen).__name__ == "ConfirmModal"
            await pilot.press("n")
            await pilot.pause()
            assert other.read_text() == "keep me"
    run(body())


def test_a_shipped_preset_is_never_overwritten(runs_dir, tmp_path, monkeypatch):
    """ctrl+s, enter on presets/lenet5.yaml used to overwrite it (and lose its comments): it saves a copy."""
    preset = Path(__file__).resolve().parents[2] / "presets" / "lenet5.yaml"
    original = preset.read_bytes()
    monkeypatch.chdir(tmp_path)

    async def body():
        app = new_app(str(preset), runs_dir=runs_dir)
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            await pilot.press("end", "d")  # an edit
            await pilot.pause()
            await pilot.press("ctrl+s")
            await pilot.pause()
            assert type(app.screen).__name__ == "SaveModal"
            assert app.screen.query_one("#save-path", Input).value == "lenet5.yaml"  # in the working directory
            assert "shipped with tui-dl" in app.screen.query_one("#save-why").render().plain
            await pilot.press("enter")
            await pilot.pause()
            assert preset.read_bytes() == original
            copy = tmp_path / "lenet5.yaml"
            assert load_experiment(copy).to_dict() == app.document.experiment.to_dict()
            assert app.document.path == Path("lenet5.yaml") and not app.document.modified
            # the copy is an ordinary file: ctrl+s saves it in place
            await pilot.press("ctrl+s")
            await pilot.pause()
            assert app.screen.query_one("#save-path", Input).value == "lenet5.yaml"
            await pilot.press("escape")
            await pilot.pause()
            # typing the preset's own path is refused, and the question comes back
            app.open_path(str(preset))
            await pilot.pause()
            await pilot.press("ctrl+s")
            await pilot.pause()
            assert app.screen.query_one("#save-path", Input).value == "lenet5-2.yaml"  # lenet5.yaml is taken
            app.screen.query_one("#save-path", Input).value = str(preset)
            await pilot.press("enter")
            await pilot.pause()
            assert any(n.title == "Not saved" for n in app._notifications)
            assert type(app.screen).__name__ == "SaveModal"
            await pilot.press("escape")
            await pilot.pause()
            assert preset.read_bytes() == original
    run(body())
    assert preset.read_bytes() == original


def test_an_installed_preset_outside_the_checkout_is_read_only_too(runs_dir, tmp_path, monkeypatch):
    """A wheel puts the presets in site-packages/tui_dl/presets/: ctrl+s, enter there saved over the installed
    file (only the checkout's presets/ folder was known as shipped). It defaults to ./lenet5.yaml instead."""
    import tui_dl.app.file_controller as fc
    installed = tmp_path / "site-packages" / "tui_dl" / "presets"
    installed.mkdir(parents=True)
    preset = installed / "lenet5.yaml"
    preset.write_bytes((Path(__file__).resolve().parents[2] / "presets" / "lenet5.yaml").read_bytes())
    original = preset.read_bytes()
    monkeypatch.setattr(fc, "shipped_dir", lambda: installed)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)

    async def body():
        app = new_app(str(preset), runs_dir=runs_dir)
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            await pilot.press("end", "d")
            await pilot.pause()
            await pilot.press("ctrl+s")
            await pilot.pause()
            assert app.screen.query_one("#save-path", Input).value == "lenet5.yaml"
            assert "shipped with tui-dl" in app.screen.query_one("#save-why").render().plain
            await pilot.press("enter")
            await pilot.pause()
    run(body())
    assert preset.read_bytes() == original
    assert load_experiment(work / "lenet5.yaml").name


def test_every_preset_round_trips_through_the_app(tmp_path):
    async def body():
        for preset in sorted(Path("presets").glob("*.yaml")):
            exp = load_experiment(preset)
            app = make_app(exp, preset, runs_dir=str(tmp_path), device_text="CPU (test)", datasets={})
            async with app.run_test(size=(100, 30)) as pilot:
                await pilot.pause()
                out = tmp_path / preset.name
                assert app.files.save_to(out)
                assert load_experiment(out).to_dict() == exp.to_dict()
            break  # the first preset through the UI; the rest below without a UI
    run(body())
    for preset in sorted(Path("presets").glob("*.yaml")):
        exp = load_experiment(preset)
        out = tmp_path / ("again-" + preset.name)
        out.write_text(exp.to_yaml())
        assert load_experiment(out).to_dict() == exp.to_dict()


def test_open_a_preset_from_the_picker(runs_dir):
    async def body():
        app = new_app(runs_dir=runs_dir)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            await pilot.press("ctrl+o")
            await pilot.pause()
            options = app.screen.query_one("#open-choices", OptionList)
            ids = [options.get_option_at_index(i).id for i in range(options.option_count)]
            target = next(i for i in ids if i and i.endswith("handout_bug.yaml"))
            options.highlighted = ids.index(target)
            await pilot.press("enter")
            await pilot.pause()
            assert app.document.experiment.name.startswith("Handout")
            assert app.document.path.name == "handout_bug.yaml"
            assert "✗ error" in [c.plain for c in
                                 (app.query_one(SummaryTable).get_cell_at((4, 2)),)]
    run(body())


def test_bad_yaml_on_the_command_line_is_shown_inline(runs_dir, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\ninput: [1, 28, 28]\nlayers:\n  - {type: Conv2d, out_channels: 6, kernal_size: 5}\n"
                   "train:\n  epochs: -3\n")
    try:
        load_experiment(bad)
        raise AssertionError("the file should not load")
    except ConfigError as e:
        error = e

    async def body():
        app = make_app(None, None, runs_dir=str(runs_dir), load_error=error, device_text="CPU (test)",
                       datasets={})
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            banner = app.query_one("#problems-banner")
            assert banner.display
            text = str(banner.render())
            assert f"{bad}:4" in text and "kernal_size" in text and "kernel_size" in text
            assert f"{bad}:6" in text and "train.epochs" in text
            assert app.document.path is None  # ctrl+s must not overwrite the broken file by default
            await pilot.press("escape")
            assert not banner.display
            app.build_view.show_problems(text)
            # fix the file, reload: the banner goes and the file opens
            bad.write_text("name: fixed\ninput: [2]\nlayers:\n  - {type: Linear, out_features: 1}\n")
            await pilot.press("ctrl+l")
            await pilot.pause()
            assert not banner.display
            assert app.document.experiment.name == "fixed"
    run(body())


def test_open_a_bad_file_keeps_the_current_experiment(runs_dir, tmp_path):
    bad = tmp_path / "tabs.yaml"
    bad.write_text("name: x\ninput: [2]\nlayers:\n\t- {type: ReLU}\n")

    async def body():
        app = new_app(runs_dir=runs_dir)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            app.open_path(str(bad))
            await pilot.pause()
            assert app.document.experiment.name == "LeNet-5"
            text = str(app.query_one("#problems-banner").render())
            assert "tabs.yaml:4" in text and "tab" in text
    run(body())


def test_open_a_past_run_folder_replays_it(runs_dir, tmp_path):
    folder = tmp_path / "lenet-20260101-120000"
    folder.mkdir()
    exp = load_experiment("tests/ui/data/lenet5.yaml")
    events = list(scripted_training(epochs=2, batches=20, log_every=5)(exp, run_dir=str(folder)))
    (folder / "metrics.jsonl").write_text("\n".join(json.dumps(event_to_dict(e)) for e in events) + "\n{broken\n")
    (folder / "summary.json").write_text(json.dumps({"status": "completed", "test_accuracy": 0.9412}))
    (folder / "config.yaml").write_text(exp.to_yaml())

    async def body():
        app = new_app(runs_dir=runs_dir)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            app.open_path(str(folder))
            await wait_until(pilot, lambda: app.current_view == "train" and app.query("#loss-plot"))
            await pilot.pause(0.4)
            rec = app.session_runs[0]
            assert rec.status == "completed" and len(rec.epochs) == 2 and rec.experiment is not None
            assert rec.summary["test_accuracy"] == 0.9412
            assert any("unreadable line" in line for line in rec.log)
            assert app.query_one("#loss-plot", CurvePlot).point_count > 0
            assert app.query_one(ResultPanel).finished is not None
    run(body())


def test_help_screen_and_command_palette_list_the_actions(runs_dir):
    from tui_dl.app.app import COMMANDS

    async def body():
        app = new_app(runs_dir=runs_dir)
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            titles = [c.title for c in app.get_system_commands(app.screen)]
            for title, _help, _action in COMMANDS:
                assert title in titles
            shown = {b.binding.key for b in app.screen.active_bindings.values() if b.binding.show}
            assert {"ctrl+r", "ctrl+s", "ctrl+o", "ctrl+q", "a", "d", "f"} <= shown
            await pilot.press("question_mark")
            await pilot.pause()
            assert type(app.screen).__name__ == "HelpScreen"
            await pilot.press("escape")
            await pilot.pause()
            # a palette command runs its action
            next(c for c in app.get_system_commands(app.screen) if c.title == "View: Runs").callback()
            await wait_until(pilot, lambda: app.current_view == "runs")
    run(body())


def test_quit_with_unsaved_changes_asks(runs_dir):
    async def body():
        app = new_app(runs_dir=runs_dir)
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            await pilot.press("end", "d")  # an edit
            await pilot.press("ctrl+q")
            await pilot.pause()
            assert type(app.screen).__name__ == "ConfirmModal"
            await pilot.press("n")
            await pilot.pause()
            assert app.is_running
            await pilot.press("ctrl+q")
            await pilot.pause()
            await pilot.press("y")
            await wait_until(pilot, lambda: not app.is_running)
    run(body())


def _run_folder(tmp_path, name="lenet-20260101-120000") -> Path:
    folder = tmp_path / name
    folder.mkdir()
    exp = load_experiment("tests/ui/data/lenet5.yaml")
    events = list(scripted_training(epochs=2, batches=20, log_every=5)(exp, run_dir=str(folder)))
    (folder / "metrics.jsonl").write_text("\n".join(json.dumps(event_to_dict(e)) for e in events) + "\n")
    (folder / "config.yaml").write_text(exp.to_yaml())
    return folder


def test_the_open_dialog_opens_a_typed_path(runs_dir, tmp_path):
    """ctrl+o, type a run folder's path, enter: the typed text used to go to the list, which opened a preset."""
    import shutil
    import tempfile

    short = Path(tempfile.mkdtemp(prefix="o", dir="/tmp"))  # a short path: each typed key refilters the list
    folder = _run_folder(short, "r")

    async def body():
        app = new_app(runs_dir=runs_dir)
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            await pilot.press("ctrl+o")
            await pilot.pause()
            assert app.focused is app.screen.query_one("#open-path", Input)
            await pilot.press(*str(folder), "enter")
            await wait_until(pilot, lambda: app.session_runs and app.current_view == "train")
            assert app.session_runs[0].run_dir == str(folder) and len(app.session_runs[0].epochs) == 2
            assert app.document.path.name == "lenet5.yaml"  # the experiment was not replaced
            # a checkpoint in a run folder opens that run
            (folder / "best.pt").write_bytes(b"not read")
            await pilot.press("ctrl+o")
            await pilot.pause()
            await pilot.press(*str(folder / "best.pt"), "enter")
            await wait_until(pilot, lambda: len(app.session_runs) == 2)
            assert app.session_runs[1].run_dir == str(folder)
    try:
        run(body())
    finally:
        shutil.rmtree(short, ignore_errors=True)


def test_the_open_dialog_list_works_with_arrows(runs_dir):
    async def body():
        app = new_app(runs_dir=runs_dir)
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            await pilot.press("ctrl+o")
            await pilot.pause()
            options = app.screen.query_one("#open-choices", OptionList)
            field = app.screen.query_one("#open-path", Input)
            ids = [options.get_option_at_index(i).id for i in range(options.option_count)]
            files = [i.split(":", 1)[1] for i in ids if i and i.startswith("file:")]
            assert field.value == ""
            await pilot.press("down")  # from the first preset to the second: its path goes into the input
            await pilot.pause()
            assert field.value == files[1] and app.focused is field
            await pilot.press("down", "up")
            await pilot.pause()
            assert field.value == files[1]
            await pilot.press("enter")
            await pilot.pause()
            assert str(app.document.path) == files[1]
            # enter with nothing typed opens the highlighted entry
            await pilot.press("ctrl+o")
            await pilot.pause()
            await pilot.press("enter")
            await pilot.pause()
            assert str(app.document.path) == files[0]
    run(body())


def test_a_checkpoint_outside_a_run_folder_opens_its_experiment(runs_dir, tmp_path):
    from tui_dl.core.runs.checkpoint import save_checkpoint

    exp = load_experiment("presets/mlp_mnist.yaml")
    lone = tmp_path / "sent_by_a_friend.pt"
    save_checkpoint(lone, model={}, spec={}, experiment=exp.to_dict())

    async def body():
        app = new_app(runs_dir=runs_dir)
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            await pilot.press("ctrl+o")
            await pilot.pause()
            app.screen.query_one("#open-path", Input).value = str(lone)
            await pilot.press("enter")
            await wait_until(pilot, lambda: app.document.experiment.name == exp.name)
            assert app.document.path is None  # not saved yet: ctrl+s asks where
            assert app.document.experiment.to_dict() == exp.to_dict()
            assert any(n.title == f"Opened the experiment in {lone}" for n in app._notifications)
    run(body())


def test_a_path_under_an_unknown_user_is_a_message_not_a_crash(runs_dir):
    """ctrl+o or ctrl+s with ~nosuchuser/...: Path.expanduser raised RuntimeError, which ended the app."""
    async def body():
        app = new_app(runs_dir=runs_dir)
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            before = app.document.experiment
            app.files.open_path("~tui-dl-no-such-user-42/x.yaml")
            await pilot.pause()
            app.files._save_chosen("~tui-dl-no-such-user-42/x.yaml")
            await pilot.pause()
            texts = [str(n.message) for n in app._notifications]
            assert sum("tui-dl-no-such-user-42" in t and "full path" in t for t in texts) == 2, texts
            assert app.is_running and app.document.experiment is before
    run(body())
