"""The result panel shows the trainer's per-class accuracy (Finished.per_class_accuracy), not its own."""

from __future__ import annotations

import math

from rich.console import Console
from textual.app import App, ComposeResult

from tests.ui.conftest import run
from tui_dl.app.widgets.results import ResultPanel
from tui_dl.core.training.events import Finished


class _Harness(App):
    def compose(self) -> ComposeResult:
        yield ResultPanel(id="result")


def _rendered(finished: Finished) -> str:
    async def body():
        app = _Harness()
        async with app.run_test(size=(80, 20)) as pilot:
            panel = app.query_one(ResultPanel)
            panel.show(finished)
            await pilot.pause()
            console = Console(width=80, record=True, color_system=None)
            console.print(panel.render())
            return console.export_text()
    return run(body())


def test_per_class_accuracy_comes_from_the_event():
    # 0.5 for class a although its row says 9/10: the panel shows what the trainer measured, it does not recount
    text = _rendered(Finished(status="completed", run_dir="r", epochs_run=1, steps=1, seconds=1.0,
                              train_images_per_second=1.0, test_accuracy=0.9, confusion=[[9, 1], [1, 9]],
                              per_class_accuracy=[0.5, 0.9], classes=["a", "b"]))
    assert " 50.0%" in text and " 90.0%" in text


def test_a_class_without_test_samples_shows_a_dash():
    text = _rendered(Finished(status="completed", run_dir="r", epochs_run=1, steps=1, seconds=1.0,
                              train_images_per_second=1.0, test_accuracy=1.0, confusion=[[10, 0], [0, 0]],
                              per_class_accuracy=[1.0, math.nan], classes=["a", "b"]))
    rows = [line for line in text.splitlines() if line.strip().startswith(("a ", "b ")) and "acc" not in line]
    assert "100.0%" in rows[0] and rows[1].rstrip().endswith("–") and "nan" not in text


def test_a_run_without_per_class_figures_shows_dashes_not_made_up_numbers():
    text = _rendered(Finished(status="completed", run_dir="r", epochs_run=1, steps=1, seconds=1.0,
                              train_images_per_second=1.0, test_accuracy=0.9, confusion=[[9, 1], [1, 9]],
                              classes=["a", "b"]))
    rows = [line for line in text.splitlines() if line.strip().startswith(("a ", "b ")) and "acc" not in line]
    assert len(rows) == 2 and all(row.rstrip().endswith("–") for row in rows) and "%" not in "".join(rows)
