"""Helpers for the Learn view's Pilot tests: open the view, show a lab, type into one of its inputs."""

from __future__ import annotations

from textual.widgets import Input

from tests.ui.conftest import wait_until


async def open_learn(pilot, lab: str | None = None):
    """F6, wait for the Learn view, show ``lab`` (by the list, as a student would): the lab's pane."""
    app = pilot.app
    await pilot.press("f6")
    await wait_until(pilot, lambda: app.learn_view is not None)
    await pilot.pause()
    view = app.learn_view
    if lab is not None and view.lab != lab:
        from tui_dl.core.labs import LABS

        labs = view.query_one("#lab-list")
        labs.focus()
        labs.highlighted = LABS.index(lab)
        await wait_until(pilot, lambda: view.lab == lab)
    await pilot.pause()
    return view.pane()


async def type_into(pilot, pane, name: str, text: str) -> Input:
    """Replace the text of one of the lab's inputs, as typing would (Input.Changed reaches the lab)."""
    editor = pane.editor(name)
    editor.focus()
    editor.value = text
    await pilot.pause()
    await pilot.pause()
    return editor


async def back_to_list(pilot) -> None:
    await pilot.press("escape")
    await pilot.pause()
