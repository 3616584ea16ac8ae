"""The backprop and optimizers labs in the app: stepping, editing, and the work that loads torch (the autograd
check, the optimizer race) done on a worker thread, its answer shown when it arrives."""

from __future__ import annotations

import threading

from tests.ui.conftest import new_app, run, wait_until
from tests.ui.learn_pilot import back_to_list, open_learn, type_into
from tui_dl.core.labs.backprop import backprop
from tui_dl.app import lab_controller
from tui_dl.core.labs.values import num


def record_threads(monkeypatch) -> list[str]:
    """The thread each lab task runs on (a task on the UI thread would freeze the app while torch loads)."""
    seen: list[str] = []
    for name, task in list(lab_controller.TASKS.items()):
        def wrapped(payload, task=task, name=name):
            seen.append(f"{name}:{'ui' if threading.current_thread() is threading.main_thread() else 'worker'}")
            return task(payload)
        monkeypatch.setitem(lab_controller.TASKS, name, wrapped)
    return seen


def test_backprop_steps_through_the_stages_in_the_review_questions_order(runs_dir):
    async def body():
        app = new_app(runs_dir=runs_dir)
        async with app.run_test(size=(100, 30)) as pilot:
            pane = await open_learn(pilot, "backprop")
            text = pane.text()
            assert "④ forward pass" in text and "z1[1] = W1[1,1]·x1 + W1[1,2]·x2 + b1[1]" in text
            assert "= 0.69·1 + 0.52·0.5 + 0.57 = 1.52" in text and "δ2" not in text
            await pilot.press("right")
            assert pane.stage == 1 and "δ2 = ∂L/∂z2 = (y − t)·σ′(z2)" in pane.text()
            await pilot.press("right")
            assert "∂L/∂W1[1,1] = δ1[1]·x1" in pane.text()
            await pilot.press("right")
            text = pane.text()  # a long line: its numbers on a second line, under the formula
            assert "W1[1,1] ← W1[1,1] − η·∂L/∂W1[1,1]\n    = 0.69 − 0.5·(-0.00319) = 0.6916" in text
            await pilot.press("right")  # stays on the last stage
            assert pane.stage == 3
            await pilot.press("home")
            assert pane.stage == 0
    run(body())


def test_backprop_edits_activation_loss_and_lr_change_the_numbers(runs_dir):
    async def body():
        app = new_app(runs_dir=runs_dir)
        async with app.run_test(size=(100, 30)) as pilot:
            pane = await open_learn(pilot, "backprop")
            await type_into(pilot, pane, "W2", "1 1 1")
            await type_into(pilot, pane, "b2", "0")
            want = backprop([1, 0.5], [1], W2=[[1, 1, 1]], b2=[0])
            assert f"L = {num(want.loss_value)}" in pane.text()
            assert "z2 = W2[1,1]·a1[1] + W2[1,2]·a1[2] + W2[1,3]·a1[3] + b2" in pane.text()
            assert "1·0.8205 + 1·0.3122 + 1·0.4688 + 0" in pane.text()
            await back_to_list(pilot)
            await pilot.press("m")  # sigmoid → ReLU
            assert pane.activation == "ReLU" and "a1[1] = ReLU(z1[1]) = ReLU(1.52) = 1.52" in pane.text()
            await pilot.press("l")
            assert pane.loss == "bce" and "loss BCE" in pane.text()
            await pilot.press("right", "right", "right", "plus")  # the update, η 0.5 → 1
            assert pane.values["lr"] == "1" and "− 1·" in pane.text()
    run(body())


def test_backprop_check_with_autograd_runs_in_a_worker_and_take_the_update(runs_dir, monkeypatch):
    seen = record_threads(monkeypatch)

    async def body():
        app = new_app(runs_dir=runs_dir)
        async with app.run_test(size=(100, 30)) as pilot:
            pane = await open_learn(pilot, "backprop")
            await pilot.press("c")  # "checking…" until the worker answers (at once if torch is loaded already)
            await wait_until(pilot, lambda: "autograd agrees" in pane.text(), timeout=90)
            assert "✓ autograd agrees (torch, float64)" in pane.text() and seen == ["autograd:worker"]
            updated = pane.result.updated
            await pilot.press("u")
            assert pane.values["W1"].startswith(f"{updated.W1[0][0]:.6g}")
            assert "autograd agrees" not in pane.text()  # new numbers: the check is for the old ones
    run(body())


def test_the_optimizers_lab_races_in_a_worker_and_its_keys_rerun_the_race(runs_dir, monkeypatch):
    seen = record_threads(monkeypatch)

    async def body():
        app = new_app(runs_dir=runs_dir)
        async with app.run_test(size=(100, 30)) as pilot:
            pane = await open_learn(pilot, "optimizers")
            await wait_until(pilot, lambda: pane.race is not None, timeout=90)  # "racing…" until then
            assert seen == ["race:worker"]
            text = pane.text()
            assert "the bowl 0.1·x² + 2·y²" in text and "step 1/200" in text
            gd = next(ln for ln in text.splitlines() if ln.startswith("g gd"))
            assert gd.split()[-1] == "47"  # steps to f ≤ 0.001, as `tui-dl lab optimizers --surface bowl` says
            assert "gd step 1: θ ← θ − η·g" in text and "g = ∇f(-5, -2) = (-1, -8)" in text
            await pilot.press("end")
            assert "step 200/200" in pane.text() and "gd step 200: θ ← θ − η·g" in pane.text()
            await pilot.press("left")
            assert "step 199/200" in pane.text() and "gd step 199" in pane.text()
            await pilot.press("n")
            assert "sgd step 199: θ ← θ − η·(g + noise)" in pane.text()
            first = pane.race
            await pilot.press("minus")  # every η halved: a new race
            assert "η ×0.5" in pane.text()
            await wait_until(pilot, lambda: pane.race is not first, timeout=60)
            assert pane.race.paths["gd"].lr == first.paths["gd"].lr / 2
            await pilot.press("shift+right")
            assert pane.values["start"] == "-4.4, -2"
            await pilot.press("b")
            assert pane.values["beta"] == "0.99"
            await wait_until(pilot, lambda: pane.race.start == (-4.4, -2.0) and
                             pane.race.paths["momentum"].hyper["beta"] == 0.99, timeout=60)
            await pilot.press("m")  # the next surface
            await wait_until(pilot, lambda: pane.race.surface.name == "rosenbrock", timeout=60)
            assert pane.values["start"] == "-1.2, 1"
            await pilot.press("v", "v")  # torch → textbook → both: the course's rules race beside torch's
            await wait_until(pilot, lambda: "momentum_textbook" in pane.race.paths and not pane.pending, timeout=60)
            assert "momentumᵗ" in pane.text() and "both · η ×1" in pane.text()
            await type_into(pilot, pane, "steps", "0")
            assert "steps is a whole number" in str(pane.query_one(".lab-error").render())
    run(body())


def test_the_lab_says_racing_until_the_worker_answers_and_drops_a_stale_answer(runs_dir, monkeypatch):
    gate = threading.Event()
    race = lab_controller.TASKS["race"]

    def slow(payload):
        gate.wait(60)
        return race(payload)

    monkeypatch.setitem(lab_controller.TASKS, "race", slow)

    async def body():
        app = new_app(runs_dir=runs_dir)
        async with app.run_test(size=(80, 24)) as pilot:
            pane = await open_learn(pilot, "optimizers")
            await wait_until(pilot, lambda: pane.serial >= 1 and not pane._timer)
            await pilot.pause(0.2)
            assert pane.race is None and "racing… (torch loads the first time)" in pane.text()
            await pilot.press("minus")  # a new race before the first answered: the first answer is stale
            gate.set()
            await wait_until(pilot, lambda: pane.race is not None and not pane.pending, timeout=90)
            assert "racing…" not in pane.text() and "η ×0.5" in pane.text()
            assert pane.race.paths["gd"].lr == 0.2  # the bowl's gd η 0.4, halved: the second race's answer
    run(body())
