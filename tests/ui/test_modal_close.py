"""Modals close once, and random keys with resizes never empty the screen stack (issue 21, class 8)."""

from __future__ import annotations

import random

from tests.ui.conftest import new_app, run, wait_until
from tests.ui.fakes import scripted_training
from tui_dl.app.screens.confirm_modal import ConfirmModal


def test_closing_a_modal_twice_pops_it_once_and_answers_once(runs_dir):
    async def body():
        app = new_app(runs_dir=runs_dir)
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            answers = []
            base = app.screen
            modal = ConfirmModal("Really?")
            app.push_screen(modal, answers.append)
            await wait_until(pilot, lambda: app.screen is modal)
            await pilot.pause()
            modal.close(True)
            modal.close(False)  # a second close in the same frame: a no-op
            await wait_until(pilot, lambda: app.screen is base)
            await pilot.press("escape", "escape")
            await pilot.pause()
            assert answers == [True] and app.screen is base and len(app.screen_stack) == 1
    run(body())


KEYS = ["question_mark", "escape", "escape", "ctrl+o", "ctrl+s", "a", "enter", "tab", "up", "down", "left",
        "right", "pageup", "pagedown", "home", "end", "f2", "f3", "f4", "f5", "f6", "1", "2", "3", "4", "5", "d",
        "z", "x", "l", "f", "t", "m", "o", "ctrl+z", "ctrl+y", "ctrl+r", "p", "backspace", "7", "space", "l", "i"]


def test_random_keys_and_resizes_never_crash_the_app(runs_dir, tmp_path, monkeypatch):
    """A seeded key fuzzer (150 keys, 10 resizes, a scripted training run in between); the attack suite crashed
    the app twice in 2,000 keys with ScreenStackError. The app must still be running with a screen at the end.
    It runs in a folder of its own: its ctrl+s saves wherever the save dialog points (once, ./z.yaml)."""
    rng = random.Random(1234)

    async def body():
        app = new_app(runs_dir=runs_dir, trainer=scripted_training(epochs=2, batches=8))
        monkeypatch.chdir(tmp_path)  # after the app has read its experiment (a path relative to the checkout)
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            for i in range(150):
                if i % 15 == 0:
                    await pilot.resize_terminal(rng.choice([80, 100, 120]), rng.choice([24, 30, 40]))
                await pilot.press(rng.choice(KEYS))
                if i % 10 == 0:
                    await pilot.pause()
            await pilot.pause()
            assert app.is_running and len(app.screen_stack) >= 1
    run(body())
