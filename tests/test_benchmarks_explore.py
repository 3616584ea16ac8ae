"""The explorations (benchmarks/explore): each one imports and answers --help, and what they time is the
engine's own step (no timing assertions: timed tests are not allowed here)."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

import benchmarks.explore as explore

MODULES = sorted(m.name for m in pkgutil.iter_modules(explore.__path__))
QUESTIONS = [m for m in MODULES if m not in ("engine_steps", "app_setup")]


@pytest.fixture(scope="module")
def digits():
    from tui_dl.core.data import load_dataset

    return load_dataset("synthetic-digits", num_samples=256, val_split=0.0, seed=0, input_shape=(1, 28, 28))


def test_every_exploration_is_listed_and_ends_with_its_finding():
    assert len(QUESTIONS) >= 10
    for name in QUESTIONS:
        assert f"    {name} " in explore.__doc__, name
        doc = importlib.import_module(f"benchmarks.explore.{name}").__doc__
        assert "?" in doc.splitlines()[0] + doc.splitlines()[1], name  # a question
        assert "\nFinding" in doc, name


@pytest.mark.parametrize("name", QUESTIONS)
def test_each_exploration_answers_help(name, capsys):
    mod = importlib.import_module(f"benchmarks.explore.{name}")
    with pytest.raises(SystemExit) as e:
        mod.main(["--help"])
    assert e.value.code == 0 and f"python -m benchmarks.explore.{name}" in capsys.readouterr().out


@pytest.mark.parametrize("changes,kind", [({"threads": 1}, "PlainStep"),
                                          ({"threads": 2, "split_batch": True}, "SplitStep")])
def test_the_step_loop_runs_the_engines_own_step(changes, kind, digits):
    from benchmarks.explore.engine_steps import StepLoop, engine_for
    from tui_dl.core.training import steps

    loop = StepLoop(engine_for("lenet", digits, **changes))
    try:
        assert type(loop.engine.step) is getattr(steps, kind)
        assert loop.run(3) > 0
        assert bool((loop.losses[:3] > 0).all()) and int(loop.correct[:3].sum()) >= 0
    finally:
        loop.close()


def test_step_phases_times_the_parts_of_the_plain_step(digits):
    import time

    from benchmarks.explore.engine_steps import StepLoop
    from benchmarks.explore.step_phases import timed_engine

    timers: dict = {}
    loop = StepLoop(timed_engine("lenet", digits, 1, time.perf_counter, timers))
    try:
        loop.run(2)
    finally:
        loop.close()
    assert set(timers) == {"step", "batch", "forward", "loss", "zero_grad", "optimizer.step"}
    assert all(len(v) == 2 for v in timers.values())
