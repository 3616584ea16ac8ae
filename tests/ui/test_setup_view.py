"""Setup view: a value the YAML loader would refuse is refused in the app too, with the loader's message."""

from __future__ import annotations

from textual.widgets import Checkbox

from tests.ui.conftest import new_app, run, wait_until


def test_a_setting_the_loader_refuses_is_not_recorded(runs_dir):
    async def body():
        app = new_app(runs_dir=runs_dir)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("f3")
            await wait_until(pilot, lambda: app.settings_view and app.settings_view.activated
                             and not app.settings_view.building)
            app.query_one("#form-optimizer").editor("optimizer").value = "sgd"
            await wait_until(pilot, lambda: app.document.experiment.train.optimizer.name == "sgd")
            await wait_until(pilot, lambda: isinstance(app.query_one("#form-optimizer").editor("nesterov"), Checkbox)
                             and app.query_one("#form-optimizer").editor("nesterov").is_mounted)
            app.query_one("#form-optimizer").editor("nesterov").value = True  # needs momentum > 0
            await wait_until(pilot, lambda: any(n.title == "Not accepted" for n in app._notifications))
            toast = next(n for n in app._notifications if n.title == "Not accepted")
            assert toast.message == "train.optimizer.nesterov: Nesterov needs momentum > 0 (set momentum: 0.9)"
            assert "nesterov" not in app.document.experiment.train.optimizer.params
            await pilot.pause()
            assert app.query_one("#form-optimizer").editor("nesterov").value is False  # the form shows it again
    run(body())
