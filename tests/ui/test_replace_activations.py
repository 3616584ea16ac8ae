"""Build view: "replace every activation with…" (r) turns the ReLU LeNet into the sigmoid one in one key and one
undo step; Softmax outputs stay; the picker's choices come from the layer registry."""

from __future__ import annotations

from textual.widgets import OptionList

from tests.ui.conftest import new_app, run, table_cells, wait_until
from tui_dl.app.editing import count_activations, hidden_activation_kinds, replace_activations
from tui_dl.app.screens.activation_modal import ActivationModal
from tui_dl.app.widgets.summary_table import SummaryTable
from tui_dl.core.model.spec import LayerSpec, NetworkSpec


def test_replace_activations_reaches_inside_blocks_and_keeps_outputs():
    spec = NetworkSpec((8,), (LayerSpec("Linear", {"out_features": 8}), LayerSpec("LeakyReLU", {"inplace": True}),
                              LayerSpec("Residual", {}, (LayerSpec("Linear", {"out_features": 8}), LayerSpec("ReLU"))),
                              LayerSpec("Linear", {"out_features": 3}), LayerSpec("Softmax", {"dim": 1})))
    assert count_activations(spec) == {"LeakyReLU": 1, "ReLU": 1}
    new, n = replace_activations(spec, "Sigmoid")
    assert n == 2 and [layer.type for layer in new.layers] == ["Linear", "Sigmoid", "Residual", "Linear", "Softmax"]
    assert new.layers[2].layers[1].type == "Sigmoid" and new.layers[4].params == {"dim": 1}
    assert replace_activations(new, "Sigmoid") == (new, 0)
    assert "Softmax" not in hidden_activation_kinds() and {"ReLU", "Sigmoid", "Tanh"} <= set(hidden_activation_kinds())


def test_r_replaces_every_activation_in_one_undo_step(runs_dir):
    async def body():
        app = new_app(runs_dir=runs_dir)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            app.build_view.focus()
            await pilot.press("r")
            await wait_until(pilot, lambda: isinstance(app.screen, ActivationModal))
            lst = app.screen.query_one(OptionList)
            kinds = [lst.get_option_at_index(i).id for i in range(lst.option_count)]
            assert kinds == hidden_activation_kinds()
            lst.highlighted = kinds.index("Sigmoid")
            await pilot.press("enter")
            await wait_until(pilot, lambda: not isinstance(app.screen, ActivationModal))
            await pilot.pause()
            types = [layer.type for layer in app.document.experiment.network.layers]
            assert types.count("Sigmoid") == 4 and "ReLU" not in types
            assert table_cells(app.query_one(SummaryTable), 1).count("Sigmoid") == 4
            assert any("Replaced 4 activations with Sigmoid" in n.message for n in app._notifications)
            await pilot.press("ctrl+z")  # one undo step brings all four ReLUs back
            await pilot.pause()
            assert [layer.type for layer in app.document.experiment.network.layers].count("ReLU") == 4
            await pilot.press("r")
            await wait_until(pilot, lambda: isinstance(app.screen, ActivationModal))
            await pilot.press("escape")  # cancelled: nothing changes
            await wait_until(pilot, lambda: not isinstance(app.screen, ActivationModal))
            assert [layer.type for layer in app.document.experiment.network.layers].count("ReLU") == 4
    run(body())


def test_the_picker_shows_each_kind_s_whole_summary_when_there_is_room(runs_dir):
    """At 100 columns the descriptions were cut at 44 characters ("keeps positives, zer…") beside empty space;
    at 80 they are shortened to stay on one line each."""
    from tui_dl.core.model.layers import REGISTRY

    async def body():
        for width, whole in ((100, True), (80, False)):
            app = new_app(runs_dir=runs_dir)
            async with app.run_test(size=(width, 30)) as pilot:
                await pilot.pause()
                app.build_view.focus()
                await pilot.press("r")
                await wait_until(pilot, lambda: isinstance(app.screen, ActivationModal))
                lst = app.screen.query_one(OptionList)
                prompts = [lst.get_option_at_index(i).prompt.plain for i in range(lst.option_count)]
                if whole:
                    assert all(REGISTRY[k].summary in p for k, p in zip(hidden_activation_kinds(), prompts))
                assert all(len(p) <= lst.content_size.width for p in prompts), (width, prompts)

    run(body())
