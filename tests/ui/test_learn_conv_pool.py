"""The conv and pool labs in the app: the course's examples first, then every change (a key, a typed value)
changes what the board shows."""

from __future__ import annotations

from tests.ui.conftest import new_app, run
from tests.ui.learn_pilot import back_to_list, open_learn, type_into


def test_the_conv_lab_opens_on_the_course_example_and_steps_window_by_window(runs_dir):
    async def body():
        app = new_app(runs_dir=runs_dir)
        async with app.run_test(size=(100, 30)) as pilot:
            pane = await open_learn(pilot, "conv")
            text = pane.text()
            assert "19 25" in text and "37 43" in text
            assert "y[0,0] = 0×0 + 1×1 + 3×2 + 4×3 = 19" in text
            assert "⌊(3 + 2×0 − 2)/1⌋ + 1 = 2" in text and "window 1 of 4" in text
            await pilot.press("right")
            assert "window 2 of 4" in pane.text()
            first = next(ln for ln in pane.text().splitlines() if ln.startswith("y["))
            assert first == "y[0,1] = 1×0 + 2×1 + 4×2 + 5×3 = 25"
            await pilot.press("end")
            assert "window 4 of 4" in pane.text()
            await pilot.press("home")
            assert "window 1 of 4" in pane.text()
    run(body())


def test_conv_stride_two_changes_the_output_and_flags_the_dropped_row(runs_dir):
    async def body():
        app = new_app(runs_dir=runs_dir)
        async with app.run_test(size=(100, 30)) as pilot:
            pane = await open_learn(pilot, "conv")
            await pilot.press("plus")  # the stride: 1 → 2
            assert pane.values["stride"] == "2" and pane.editor("stride").value == "2"
            text = pane.text()
            assert "⌊(3 + 2×0 − 2)/2⌋ + 1 = 1" in text and "output 1×1" in text
            assert "37 43" not in text and "window 1 of 1" in text
            assert "⚠ stride 2 does not tile the rows" in text and "drops input row 2" in text
            # the same through the input: back to 1, the flag goes
            await type_into(pilot, pane, "stride", "1")
            assert "37 43" in pane.text() and "⚠" not in pane.text()
    run(body())


def test_conv_padding_cycles_narrow_same_wide_and_a_bad_input_is_named(runs_dir):
    async def body():
        app = new_app(runs_dir=runs_dir)
        async with app.run_test(size=(100, 30)) as pilot:
            pane = await open_learn(pilot, "conv")
            await pilot.press("m")
            assert pane.values["padding"] == "narrow" and "output 2×2" in pane.text()
            await pilot.press("m")
            assert pane.values["padding"] == "same"
            assert "output 3×3" in pane.text() and "padding same: rows 0 + 1, columns 0 + 1" in pane.text()
            await pilot.press("m")
            assert pane.values["padding"] == "wide" and "output 4×4" in pane.text()
            editor = await type_into(pilot, pane, "input", "0 1 2; 3 4")
            error = pane.query_one(".lab-error")
            assert error.display and "row 2 has 2 values but row 1 has 3" in str(error.render())
            assert editor.has_class("-invalid")
            assert "output 4×4" in pane.text()  # the last good result stays
            await type_into(pilot, pane, "input", "0 1 2; 3 4 5")
            assert not error.display and not editor.has_class("-invalid")
            await back_to_list(pilot)
            assert app.focused.id == "lab-list"
    run(body())


def test_the_pool_lab_shows_the_course_example_its_backward_pass_and_avg(runs_dir):
    async def body():
        app = new_app(runs_dir=runs_dir)
        async with app.run_test(size=(100, 30)) as pilot:
            pane = await open_learn(pilot, "pool")
            text = pane.text()
            assert "6 8" in text and "9 7" in text
            assert "y[0,0] = max(1, 3, 5, 6) = 6" in text
            assert "∂L/∂y[0,0] = 1 → x[1,1] (the window's max, 6)" in text
            await pilot.press("right")
            assert "∂L/∂y[0,1] = 1 → x[1,3] (the window's max, 8)" in pane.text()
            await pilot.press("m")  # average pooling
            text = pane.text()
            assert "average pooling" in text and "(2 + 4 + 7 + 8)/4 = 5.25" in text
            assert "3.75" in text and "max(" not in text
            await type_into(pilot, pane, "grad", "1 2; 3 4")
            assert "∂L/∂y[0,1] = 2 → 2/4 = 0.5 to each of the window's 4 inputs" in pane.text()
    run(body())
