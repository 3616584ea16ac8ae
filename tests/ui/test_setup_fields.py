"""Setup view fields: what the student types stays typed, one hint at a time, focus kept (issue 13, items 1, 12).

An emptied number field stays empty while it has focus and means "default" once it is left; the document's
value, shown back after each edit's round trip through the app, never overwrites text still being typed.
"""

from __future__ import annotations

from textual.widgets import Input

from tests.ui.conftest import new_app, run, wait_until


async def open_setup(pilot) -> None:
    app = pilot.app
    await pilot.press("f3")
    await wait_until(pilot, lambda: app.settings_view and app.settings_view.activated
                     and not app.settings_view.building)
    await pilot.pause()


def editor(app, form: str, name: str) -> Input:
    return app.query_one(f"#form-{form}").editor(name)


def test_clearing_a_number_field_and_typing_replaces_the_value(runs_dir):
    async def body():
        app = new_app(runs_dir=runs_dir)
        async with app.run_test(size=(100, 30)) as pilot:
            await open_setup(pilot)
            epochs = editor(app, "training", "epochs")
            epochs.focus()
            await pilot.pause()
            await pilot.press("end", "backspace")
            await pilot.pause()
            assert epochs.value == ""  # not the default (10) put back in front of the cursor
            await pilot.press("7")
            await pilot.pause()
            assert epochs.value == "7"  # was "710"
            await pilot.press("tab")
            await pilot.pause()
            assert epochs.value == "7" and app.document.experiment.train.epochs == 7
            batch = editor(app, "training", "batch_size")
            batch.focus()
            await pilot.pause()
            await pilot.press("end", "backspace", "backspace", "3", "2", "tab")
            await pilot.pause()
            assert batch.value == "32" and app.document.experiment.train.batch_size == 32  # was "3264"
    run(body())


def test_an_emptied_field_means_the_default_once_it_is_left(runs_dir):
    async def body():
        app = new_app(runs_dir=runs_dir)
        async with app.run_test(size=(100, 30)) as pilot:
            await open_setup(pilot)
            epochs = editor(app, "training", "epochs")
            epochs.focus()
            await pilot.pause()
            await pilot.press("end", "backspace")
            await pilot.pause(0.2)
            assert epochs.value == "" and app.document.experiment.train.epochs == 10
            await pilot.press("tab")
            await pilot.pause()
            assert epochs.value == "10"  # left: it shows the default the experiment now holds
            lr = editor(app, "optimizer", "lr")  # a parameter left out of the YAML: empty, "default 0.001"
            lr.focus()
            await pilot.pause()
            await pilot.press("end", *["backspace"] * 5, "tab")
            await pilot.pause()
            assert lr.value == "" and "lr" not in app.document.experiment.train.optimizer.params
            assert lr.placeholder == "default 0.001"
    run(body())


def test_text_typed_before_an_edit_is_shown_back_is_kept(runs_dir):
    """Fast typing or a paste: the next keys arrive before the app has shown the previous edit back."""
    async def body():
        app = new_app(runs_dir=runs_dir)
        async with app.run_test(size=(100, 30)) as pilot:
            await open_setup(pilot)
            lr = editor(app, "optimizer", "lr")
            lr.focus()
            await pilot.pause()
            shown: list[str] = []
            app.watch(lr, "value", lambda v: shown.append(v), init=False)
            lr.value = ""  # cleared: the document gets the default...
            lr.value = "0.000"  # ...while typing goes on (not a valid lr yet: it must be > 0)
            await pilot.pause(0.2)
            assert lr.value == "0.000"  # was emptied by the clear arriving back
            lr.action_end()
            lr.insert_text_at_cursor("5")
            await pilot.pause(0.2)
            assert lr.value == "0.0005" and app.document.experiment.train.optimizer.params["lr"] == 0.0005
            # a paste after clearing: the clear arrives back after the pasted text; nothing flickers back
            shown.clear()
            lr.value = ""
            lr.insert_text_at_cursor("0.03")
            await pilot.pause(0.2)
            assert lr.value == "0.03" and app.document.experiment.train.optimizer.params["lr"] == 0.03
            assert shown == ["", "0.03"]
            # an older value never overwrites a newer one
            epochs = editor(app, "training", "epochs")
            epochs.focus()
            await pilot.pause()
            shown = []
            app.watch(epochs, "value", lambda v: shown.append(v), init=False)
            epochs.value = "1"
            epochs.value = "12"
            await pilot.pause(0.2)
            assert epochs.value == "12" and app.document.experiment.train.epochs == 12
            assert shown == ["1", "12"]
    run(body())


def test_undo_still_shows_in_the_focused_field(runs_dir):
    async def body():
        app = new_app(runs_dir=runs_dir)
        async with app.run_test(size=(100, 30)) as pilot:
            await open_setup(pilot)
            seed = editor(app, "training", "seed")
            seed.focus()
            await pilot.pause()
            await pilot.press("end", "4", "2")
            await pilot.pause()
            assert seed.value == "042" and app.document.experiment.train.seed == 42
            await pilot.press("ctrl+z")
            await pilot.pause()
            assert seed.value == "0" and app.document.experiment.train.seed == 0
            await pilot.press("5")
            await pilot.pause()
            assert seed.value == "05"  # the cursor is after the value
    run(body())


def test_only_the_focused_field_shows_its_hint(runs_dir):
    async def body():
        app = new_app(runs_dir=runs_dir)
        async with app.run_test(size=(100, 30)) as pilot:
            await open_setup(pilot)

            def hints() -> list[str]:
                return [str(h.render()) for h in app.query(".form-hint") if str(h.render())]

            editor(app, "data", "val_split").focus()
            await pilot.pause()
            assert [h.split(":")[0] for h in hints()] == ["val_split"]
            editor(app, "training", "epochs").focus()
            await pilot.pause()
            assert [h.split(":")[0] for h in hints()] == ["epochs"]  # the Data section's hint went
            await pilot.press("tab")
            await pilot.pause()
            assert [h.split(":")[0] for h in hints()] == ["batch_size"]
    run(body())


def test_coming_back_to_setup_returns_to_the_field_you_were_in(runs_dir):
    async def body():
        app = new_app(runs_dir=runs_dir)
        async with app.run_test(size=(100, 30)) as pilot:
            await open_setup(pilot)
            # the first visit: the first field, also when F3 comes before the forms were built (the focus stayed
            # on the view itself then)
            await wait_until(pilot, lambda: app.focused is editor(app, "data", "name"), timeout=3)
            editor(app, "training", "epochs").focus()
            await pilot.pause()
            await pilot.press("f2")
            await pilot.pause()
            assert app.current_view == "build"
            await pilot.press("f3")
            # was the first field (data: name); waited for, as the view switch settles focus after a refresh
            await wait_until(pilot, lambda: app.focused is editor(app, "training", "epochs"), timeout=5)
            # a field of a page no longer shown (another optimizer's) is not returned to
            editor(app, "optimizer", "lr").focus()
            await pilot.pause()
            await pilot.press("f2")
            app.query_one("#form-optimizer").editor("optimizer").value = "sgd"
            await wait_until(pilot, lambda: app.document.experiment.train.optimizer.name == "sgd")
            await pilot.pause()
            await pilot.press("f3")
            await wait_until(pilot, lambda: app.focused is not None and app.focused.display
                             and app.focused in app.screen.focus_chain, timeout=5)
    run(body())


def test_a_refused_value_typed_after_an_accepted_one_is_shown_back(runs_dir):
    """Fast typing: 0.5 (accepted) then 0 (refused: Nesterov needs momentum > 0) arrive before either is shown
    back; the field shows the value that stays, 0.5."""
    async def body():
        app = new_app(runs_dir=runs_dir, overrides=["train.optimizer={name: sgd, lr: 0.01, momentum: 0.9, "
                                                    "nesterov: true}"])
        async with app.run_test(size=(100, 30)) as pilot:
            await open_setup(pilot)
            momentum = editor(app, "optimizer", "momentum")
            momentum.focus()
            await pilot.pause()
            momentum.value = "0.5"
            momentum.value = "0"
            await wait_until(pilot, lambda: any(n.title == "Not accepted" for n in app._notifications))
            await pilot.pause(0.2)
            assert app.document.experiment.train.optimizer.params["momentum"] == 0.5
            assert momentum.value == "0.5"
    run(body())
