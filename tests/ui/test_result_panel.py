"""The result panel shows the trainer's per-class accuracy (Finished.per_class_accuracy), not its own."""

from __future__ import annotations

import math

import pytest

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


def _panel_lines(finished: Finished | None, size: tuple[int, int]) -> list[str]:
    """The panel's own rendered lines (right-stripped) in an app of ``size``: Textual's wrapping, not Rich's."""
    async def body():
        app = _Harness()
        async with app.run_test(size=size) as pilot:
            panel = app.query_one(ResultPanel)
            panel.show(finished)
            await pilot.pause()
            return [strip.text.rstrip() for strip in panel.render_lines(panel.region.reset_offset)]
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


# --------------------------------------------------------------------------- in the Train view (issue 13 item 7)

def _finished_10_classes(names=None, big=False):
    n = 10
    names = names or [str(i) for i in range(n)]
    diag = 1000 if big else 90
    # every class its own accuracy (98.0%, 96.0%, … 76.9% with big counts): each must be seen
    cm = [[diag - (37 if big else 3) * i if i == j else ((i * 7 + j * 3) % 5) * (i + 1) for j in range(n)]
          for i in range(n)]
    per_class = [row[i] / sum(row) for i, row in enumerate(cm)]
    return Finished(status="completed", run_dir="r", epochs_run=3, steps=150, seconds=4.5,
                    train_images_per_second=5000.0, best_epoch=3, best_val_loss=0.2, best_val_accuracy=0.95,
                    test_loss=0.21, test_accuracy=0.9412, per_class_accuracy=per_class, confusion=cm,
                    classes=names)


FASHION = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
           "Ankle boot"]


def _visible_text(app, widget) -> str:
    """What the screen shows of ``widget`` (its region, as drawn), one line per row."""
    region = widget.content_region
    strips = app.screen._compositor.render_strips()
    lines = ["".join(seg.text for seg in strips[y]) for y in range(region.y, region.bottom)]
    return "\n".join(line[region.x:region.right] for line in lines)


def _per_class_figures(f: Finished) -> list[str]:
    return [f"{100 * a:.1f}" for a in f.per_class_accuracy]


@pytest.mark.parametrize("size", [(80, 24), (100, 30)])
@pytest.mark.parametrize("names", [None, FASHION])
def test_a_10_class_result_is_readable_in_the_train_view(runs_dir, size, names):
    """Every class's accuracy shows in the pane as a number, with class names cut short; c zooms the whole
    matrix (counts), c again restores; the pane takes the focus and scrolls."""
    from tests.ui.conftest import new_app, wait_until

    finished = _finished_10_classes(names, big=True)

    async def body():
        app = new_app(runs_dir=runs_dir)
        async with app.run_test(size=size) as pilot:
            await wait_until(pilot, lambda: app.train_view and app.runs_view)
            from tui_dl.app.session import RunRecord

            rec = RunRecord(id=1, name="LeNet-5", status="completed")
            rec.finished = finished
            app.training.add_run(rec)
            await pilot.press("f4")
            await pilot.pause(0.3)
            box = app.query_one("#result-box")
            shown = _visible_text(app, box)
            for figure in _per_class_figures(finished):
                assert figure in shown, (figure, shown)
            if names:
                assert "T-s" in shown and "T-shirt/top" not in shown  # the names cut short
            # the pane takes the focus (tab reaches it) and scrolls with the keys
            box.focus()
            await pilot.pause()
            assert app.focused is box
            # zoomed: the whole matrix with its counts, every row
            await pilot.press("c")
            await pilot.pause(0.3)
            assert app.screen.maximized is box
            zoomed = _visible_text(app, box)
            assert "rows true, columns predicted" in zoomed
            for i, row in enumerate(finished.confusion):
                assert str(row[i]) in zoomed
            for figure in _per_class_figures(finished):
                assert figure in zoomed
            await pilot.press("c")
            await pilot.pause(0.3)
            assert app.screen.maximized is None
    run(body())


def test_a_chinese_placeholder_never_starts_a_line_with_closing_punctuation(chinese):
    """Textual folds Chinese (no spaces) at any cell: at 80×24 the Train view's result box showed a lone "。"
    on the second line. The panel wraps it by cells itself, keeping "。" with the character before it."""
    from tui_dl.core import i18n

    i18n.set_language("zh_CN")

    lines = [line for line in _panel_lines(None, (42, 8)) if line.strip()]
    assert len(lines) == 2 and "".join(lines) == "训练结束后，这里会显示测试准确率和混淆矩阵。", lines
    assert not lines[1].lstrip().startswith(("。", "，")), lines


def test_the_chinese_best_epoch_line_fills_its_lines(chinese):
    """"最高验证准确率 98.20%（第 2 轮，也是验证损失最低的一轮）" ended its first line after "（第 2" at 100×30: Textual
    moved the whole spaceless rest to the next line. Wrapped by cells, each line but the last is full."""
    from tui_dl.core import i18n
    from tui_dl.core.i18n import text_width

    i18n.set_language("zh_CN")
    f = Finished(status="completed", run_dir="r", epochs_run=2, steps=1, seconds=1.0, train_images_per_second=1.0,
                 test_accuracy=0.9767, test_loss=0.0629, best_epoch=2, best_val_accuracy=0.982, best_val_loss=0.0663,
                 highest_val_accuracy=0.982, highest_val_accuracy_epoch=2, monitor="val_loss", monitor_mode="min", confusion=[],
                 classes=[])

    lines = [line for line in _panel_lines(f, (52, 10)) if line.strip()]
    assert lines[0].startswith("测试准确率 97.67%") and "0.0629" in lines[0], lines
    best = lines[1:]
    assert len(best) == 2 and text_width(best[0]) >= 48 and "也是验证损失最低的一轮" in "".join(best), best
    assert not any(line.startswith(("，", "）")) for line in best), best
