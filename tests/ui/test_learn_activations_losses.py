"""The activations, softmax and losses labs in the app: the cursor and the keys change what is read off."""

from __future__ import annotations

from tests.ui.conftest import new_app, run, wait_until
from tests.ui.learn_pilot import back_to_list, open_learn, type_into
from tui_dl.app.widgets.function_plot import FunctionPlot


def test_the_activations_cursor_reads_f_and_its_derivative(runs_dir):
    async def body():
        app = new_app(runs_dir=runs_dir)
        async with app.run_test(size=(100, 30)) as pilot:
            pane = await open_learn(pilot)  # the first lab
            assert app.learn_view.lab == "activations" and app.focused.id == "lab-list"
            text = pane.text()
            assert "at x = 0   f = 0.5   f′ = 0.25" in text
            assert "σ′(0) = σ(x)·(1 − σ(x)) = 0.5·(1 − 0.5) = 0.25" in text and "σ′(x) ≤ 0.25" in text
            f_plot = pane.query_one("#activations-f", FunctionPlot)
            assert f_plot.cursor == 0
            await pilot.press("right", "right", "right", "right")  # x: 0 → 1
            assert pane.values["x"] == "1" and pane.editor("x").value == "1"
            assert "at x = 1   f = 0.7311   f′ = 0.1966" in pane.text() and f_plot.cursor == 1
            await pilot.press("end")
            assert "at x = 6" in pane.text() and "f′ = 0.002467" in pane.text()
            await type_into(pilot, pane, "x", "-2")
            assert "σ(-2) = 1/(1 + e^2) = 0.1192" in pane.text()
    run(body())


def test_activations_m_picks_the_next_function_and_o_overlays_the_plots(runs_dir):
    async def body():
        app = new_app(runs_dir=runs_dir)
        async with app.run_test(size=(100, 30)) as pilot:
            pane = await open_learn(pilot, "activations")
            await pilot.press("m")  # Sigmoid → Tanh (the registry's order)
            assert pane.fn == "Tanh" and "tanh′(0) = 1 − tanh²(x) = 1 − 0² = 1" in pane.text()
            await pilot.press("m", "m")  # → ReLU → LeakyReLU
            assert pane.fn == "LeakyReLU"
            await type_into(pilot, pane, "args", "negative_slope=0.2")
            await type_into(pilot, pane, "x", "-1")
            assert "LeakyReLU(-1) = 0.2·(-1) = -0.2" in pane.text()
            await type_into(pilot, pane, "args", "slope=0.2")
            assert "LeakyReLU has no argument 'slope'" in str(pane.query_one(".lab-error").render())
            await type_into(pilot, pane, "args", "")
            df_plot = pane.query_one("#activations-df", FunctionPlot)
            assert df_plot.display
            await back_to_list(pilot)  # esc: out of the input, the lab's keys work again
            await pilot.press("o")
            assert not df_plot.display and len(pane.query_one("#activations-f", FunctionPlot).curves) == 2
    run(body())


def test_softmax_temperature_keys_flatten_and_sharpen(runs_dir):
    async def body():
        app = new_app(runs_dir=runs_dir)
        async with app.run_test(size=(80, 24)) as pilot:
            pane = await open_learn(pilot, "softmax")
            assert "p = 0.6652" in pane.text()
            await pilot.press("plus")
            assert pane.values["temperature"] == "2" and "T = 2" in pane.text()
            assert "p = 0.5065" in pane.text()  # flatter
            await pilot.press("minus", "minus")
            assert pane.values["temperature"] == "0.5" and "p = 0.8668" in pane.text()  # sharper
            await type_into(pilot, pane, "vector", "0 0")
            assert "p = 0.5000" in pane.text()
    run(body())


def test_the_losses_lab_follows_the_prediction(runs_dir):
    async def body():
        app = new_app(runs_dir=runs_dir)
        async with app.run_test(size=(100, 30)) as pilot:
            pane = await open_learn(pilot, "losses")
            text = pane.text()
            assert "CE = −(1·log 0.7) = 0.3567" in text and "p(true class) = 0.7" in text
            plot = pane.query_one("#losses-plot", FunctionPlot)
            await wait_until(pilot, lambda: plot.cursor == 0.7)
            await type_into(pilot, pane, "pred", "0.01 0.98 0.01")  # a confident mistake
            text = pane.text()
            assert "CE = −(1·log 0.01) = 4.605" in text and plot.cursor == 0.01
            await type_into(pilot, pane, "pred", "0.5 -1 0.5")
            assert "n/a: the prediction must be probabilities" in pane.text()
            await back_to_list(pilot)
            await pilot.press("plus")
            assert pane.values["gamma"] == "2.5"
    run(body())
