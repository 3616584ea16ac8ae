"""Build view: the table and totals follow every edit; errors show in place; f fixes; undo/redo."""

from __future__ import annotations

from textual.widgets import Input

from tests.ui.conftest import new_app, run, table_cells, wait_until
from tui_dl.app.widgets.detail_pane import TotalsBar
from tui_dl.app.widgets.field_form import FieldForm
from tui_dl.app.widgets.layer_stack import LayerStack
from tui_dl.app.widgets.summary_table import SummaryTable


def totals_text(app) -> str:
    bar = app.query_one(TotalsBar)
    return bar.render().plain


def outputs(app) -> list[str]:
    return table_cells(app.query_one(SummaryTable), 2)


async def select_layer(pilot, index: int) -> None:
    """Select layer ``index`` (1-based, top level) in the stack."""
    stack = pilot.app.query_one(LayerStack)
    stack.focus()
    stack.highlighted = index  # row 0 is the input row
    await pilot.pause()
    await wait_until(pilot, lambda: pilot.app.build_view.selection == (index - 1,))


async def set_field(pilot, name: str, text: str) -> Input:
    form = pilot.app.query_one("#layer-form", FieldForm)
    editor = form.editor(name)
    editor.focus()
    editor.value = text
    await pilot.pause()
    return editor


def test_lenet_table_and_totals(runs_dir):
    async def body():
        app = new_app(runs_dir=runs_dir)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            table = app.query_one(SummaryTable)
            assert table.row_count == 13  # input + 12 layers
            assert outputs(app)[:4] == ["1×28×28", "6×28×28", "6×28×28", "6×14×14"]
            assert table_cells(table, 3)[1] == "156"
            assert "61,706" in totals_text(app)
            assert "ready to train" in totals_text(app)
    run(body())


def test_add_edit_remove_layer_updates_table_and_totals(runs_dir):
    async def body():
        app = new_app(runs_dir=runs_dir)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            await select_layer(pilot, 8)  # Linear 400→120
            # edit: out_features 120 → 100 changes this layer and the next one
            await set_field(pilot, "out_features", "100")
            assert outputs(app)[8] == "100"
            total = 6 * 25 + 6 + 16 * 150 + 16 + 400 * 100 + 100 + 100 * 84 + 84 + 850
            assert f"{total:,}" in totals_text(app)
            # add: a Dropout after the selected layer, through the add-layer picker
            app.build_view.focus()
            await pilot.press("escape")
            await pilot.press("a")
            await pilot.pause()
            await pilot.press(*"dropout")
            await pilot.press("enter")
            await pilot.pause()
            types = table_cells(app.query_one(SummaryTable), 1)
            assert types[9] == "Dropout" and len(types) == 14
            assert f"{total:,}" in totals_text(app)  # dropout has no parameters
            # remove it again
            assert app.build_view.selection == (8,)
            await pilot.press("d")
            await pilot.pause()
            assert len(table_cells(app.query_one(SummaryTable), 1)) == 13
            # undo the delete, the add and the edit; redo one
            await pilot.press("ctrl+z")
            await pilot.pause()
            assert len(table_cells(app.query_one(SummaryTable), 1)) == 14
            await pilot.press("ctrl+z", "ctrl+z")
            await pilot.pause()
            assert "61,706" in totals_text(app)
            assert app.document.experiment.network.layers[7].params == {"out_features": 120}
            await pilot.press("ctrl+y")
            await pilot.pause()
            assert app.document.experiment.network.layers[7].params == {"out_features": 100}
    run(body())


def test_typing_coalesces_into_one_undo_step(runs_dir):
    async def body():
        app = new_app(runs_dir=runs_dir)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            await select_layer(pilot, 8)
            editor = await set_field(pilot, "out_features", "1")
            editor.value = "12"
            await pilot.pause()
            editor.value = "128"
            await pilot.pause()
            assert app.document.experiment.network.layers[7].params["out_features"] == 128
            await pilot.press("ctrl+z")
            await pilot.pause()
            assert app.document.experiment.network.layers[7].params["out_features"] == 120
            assert editor.value == "120"
    run(body())


def test_kernel_size_5_to_7_updates_downstream_shapes(runs_dir):
    async def body():
        app = new_app(runs_dir=runs_dir)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            await select_layer(pilot, 1)
            await set_field(pilot, "kernel_size", "7")
            out = outputs(app)
            # (28 + 2·2 − 7)/1 + 1 = 26 → pool 13 → conv5 9 → pool 4 → 16·4·4 = 256
            assert out[1:8] == ["6×26×26", "6×26×26", "6×13×13", "16×9×9", "16×9×9", "16×4×4", "256"]
            assert app.document.experiment.network.layers[0].params["kernel_size"] == 7
            detail = app.query_one("#detail-pane").plain_text()
            assert "⌊(28+2·2−7)/1⌋+1 = 26" in detail
            assert "6·(1·7·7)+6 = 300" in detail
    run(body())


def test_invalid_value_is_refused_with_a_message(runs_dir):
    async def body():
        app = new_app(runs_dir=runs_dir)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            await select_layer(pilot, 1)
            before = app.document.experiment.to_dict()
            await set_field(pilot, "kernel_size", "0")
            row = app.query_one("#layer-form", FieldForm)._rows["kernel_size"]
            assert row.has_class("-invalid")
            assert "must be at least 1" in str(row.error.render())
            await set_field(pilot, "out_channels", "six")
            assert "expected an integer" in str(app.query_one("#layer-form", FieldForm)._rows["out_channels"]
                                               .error.render())
            assert app.document.experiment.to_dict() == before
    run(body())


def test_handout_bug_shows_error_in_place_and_f_fixes_it(runs_dir):
    async def body():
        app = new_app("tests/ui/data/handout_bug.yaml", runs_dir=runs_dir)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            table = app.query_one(SummaryTable)
            assert table_cells(table, 2)[4] == "✗ error"
            assert app.build_view.selection == (3,)  # opened at the first error
            stack_text = " ".join(app.query_one(LayerStack).get_option_at_index(4).prompt.plain.split())
            assert "✗ Linear 720→10 in_features is 720, but 360 features arrive" in stack_text
            assert "f: set in_features to 360" in stack_text
            assert "✗" in totals_text(app)
            await pilot.press("f")
            await pilot.pause()
            assert table_cells(table, 2)[4] == "10"
            assert app.document.experiment.network.layers[3].params["in_features"] == 360
            assert "ready to train" in totals_text(app) or "warning" in totals_text(app)
            await pilot.press("ctrl+z")
            await pilot.pause()
            assert table_cells(table, 2)[4] == "✗ error"
    run(body())


def test_insert_flatten_fix_and_move(runs_dir):
    async def body():
        app = new_app(runs_dir=runs_dir)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            await select_layer(pilot, 7)  # Flatten
            await pilot.press("d")
            await pilot.pause()
            first = table_cells(app.query_one(SummaryTable), 2)
            assert first[7] == "✗ error"  # Linear needs a flat vector
            await select_layer(pilot, 7)
            await pilot.press("f")  # inserts a Flatten before it
            await pilot.pause()
            assert [layer.type for layer in app.document.experiment.network.layers][6:8] == ["Flatten", "Linear"]
            # move the ReLU after the first conv down one place, then back up
            await select_layer(pilot, 2)
            await pilot.press("shift+down")
            await pilot.pause()
            assert [layer.type for layer in app.document.experiment.network.layers][:3] == \
                ["Conv2d", "MaxPool2d", "ReLU"]
            assert app.build_view.selection == (2,)
            await pilot.press("shift+up")
            await pilot.pause()
            assert [layer.type for layer in app.document.experiment.network.layers][:3] == \
                ["Conv2d", "ReLU", "MaxPool2d"]
            await pilot.press("c")  # duplicate
            await pilot.pause()
            assert [layer.type for layer in app.document.experiment.network.layers][:3] == \
                ["Conv2d", "ReLU", "ReLU"]
    run(body())


def test_residual_inner_layers_are_indented_and_editable(runs_dir):
    async def body():
        app = new_app("tests/ui/data/resnet_small.yaml", runs_dir=runs_dir)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            table = app.query_one(SummaryTable)
            idx = table_cells(table, 0)
            inner = [i for i in idx if "." in i]
            assert inner, idx
            first_inner = inner[0]
            row = idx.index(first_inner)
            assert table_cells(table, 1)[row].startswith("Conv2d") or table_cells(table, 1)[row] != ""
            path = tuple(int(x) - 1 for x in first_inner.split("."))
            stack = app.query_one(LayerStack)
            stack.focus()
            stack.highlighted = row
            await wait_until(pilot, lambda: app.build_view.selection == path)
            layer = app.document.experiment.network.get_layer(path)
            assert layer.type == "Conv2d"
            await set_field(pilot, "out_channels", "24")
            assert app.document.experiment.network.get_layer(path).params["out_channels"] == 24
            # the label in the stack shows the nesting
            assert stack.get_option_at_index(row).prompt.plain.startswith(f"{first_inner:>4}   ")
    run(body())


def test_input_shape_is_editable(runs_dir):
    async def body():
        app = new_app(runs_dir=runs_dir)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            stack = app.query_one(LayerStack)
            stack.focus()
            stack.highlighted = 0
            await pilot.pause()
            form = app.query_one("#layer-form", FieldForm)
            editor = form.editor("input")
            editor.focus()
            editor.value = "3, 32, 32"
            await pilot.pause()
            assert app.document.experiment.network.input_shape == (3, 32, 32)
            assert outputs(app)[1] == "6×32×32"
            assert app.query_one(SummaryTable).row_count == 13
    run(body())


def test_the_input_shape_hint_keeps_its_brackets(runs_dir):
    """The help text is shown as text, not Rich markup ("[features]" was swallowed as a style tag)."""
    async def body():
        app = new_app(runs_dir=runs_dir)
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            stack = app.query_one(LayerStack)
            stack.focus()
            stack.highlighted = 0
            await pilot.pause()
            app.query_one("#layer-form", FieldForm).editor("input").focus()
            await pilot.pause()
            hint = app.query_one("#layer-form .form-hint")
            assert "shape of one sample: [features] or [channels, height, width]" in hint.render().plain
            assert "[features]" in app.export_screenshot()
    run(body())


def test_deleting_many_layers_shows_one_toast(runs_dir):
    """Deleting the 12 layers of LeNet stacked 12 toasts over the view."""
    async def body():
        app = new_app(runs_dir=runs_dir)
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            await select_layer(pilot, 1)
            for _ in range(12):
                await pilot.press("d")
            await wait_until(pilot, lambda: not app.document.experiment.network.layers)
            await pilot.pause()
            assert [n.message for n in app._notifications] == ["Deleted Linear (12 edits: ctrl+z undoes each)"]
            # once the toast has gone, the next edit's toast counts from one again
            app.clear_notifications()
            await pilot.press("ctrl+z")
            await pilot.pause()
            await select_layer(pilot, 1)
            await pilot.press("d")
            await pilot.pause()
            assert [n.message for n in app._notifications] == ["Deleted Linear (ctrl+z undoes)"]
    run(body())


def test_works_at_80x24(runs_dir):
    async def body():
        app = new_app(runs_dir=runs_dir)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            assert app.screen.has_class("-narrow")
            assert not app.query_one("#palette-col").display or app.query_one("#palette-col").size.width == 0
            table = app.query_one(SummaryTable)
            assert table.size.width >= 40
            await pilot.press("a")
            await pilot.pause()
            await pilot.press(*"relu", "enter")
            await pilot.pause()
            assert app.query_one(SummaryTable).row_count == 14
    run(body())
