"""Fixtures shared across test folders."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def insight_run(tmp_path_factory):
    """One small LeNet trained for 3 epochs on 3,000 synthetic digits with the real engine (about 6 s on one
    thread), shared by the tests of core/insight and `tui-dl attack`: ``(run folder, Finished event)``."""
    from tui_dl.core.config.experiment import experiment_from_data
    from tui_dl.core.training.events import Finished
    from tui_dl.core.training.loop import iter_training

    layers = [
        {"type": "Conv2d", "out_channels": 6, "kernel_size": 5, "padding": 2}, {"type": "ReLU"},
        {"type": "MaxPool2d", "kernel_size": 2},
        {"type": "Conv2d", "out_channels": 16, "kernel_size": 5}, {"type": "ReLU"},
        {"type": "MaxPool2d", "kernel_size": 2}, {"type": "Flatten"},
        {"type": "Linear", "out_features": 64}, {"type": "ReLU"},
        {"type": "Linear", "out_features": 10},
    ]
    exp = experiment_from_data({
        "name": "insight-lenet", "input": [1, 28, 28], "layers": layers,
        "data": {"name": "synthetic-digits", "num_samples": 3000, "val_split": 0.1},
        "train": {"epochs": 3, "batch_size": 64, "threads": 1, "optimizer": {"name": "adam", "lr": 0.003},
                  "seed": 0}}, "insight-test")
    run_dir = tmp_path_factory.mktemp("insight") / "run"
    events = list(iter_training(exp, run_dir=run_dir))
    finished = [e for e in events if isinstance(e, Finished)][0]
    assert finished.status == "completed", finished
    return run_dir, finished


def _private_folder(tmp_path_factory, variable: str):
    import os

    old = os.environ.get(variable)
    os.environ[variable] = str(tmp_path_factory.mktemp(variable.lower()))
    yield
    if old is None:
        os.environ.pop(variable, None)
    else:
        os.environ[variable] = old


@pytest.fixture(autouse=True, scope="session")
def _private_user_cache(tmp_path_factory):
    """Runs' cached CPU-step choices (core/training/strategy.py) go to a folder of the test session, never to
    the user's own cache."""
    yield from _private_folder(tmp_path_factory, "XDG_CACHE_HOME")


@pytest.fixture(autouse=True, scope="session")
def _private_user_config(tmp_path_factory):
    """The app's saved settings (the language chosen in the app) go to a folder of the test session."""
    yield from _private_folder(tmp_path_factory, "XDG_CONFIG_HOME")


@pytest.fixture(autouse=True)
def _english_each_test():
    """Each test starts and ends in English (the source language), whatever the one before it switched to."""
    from tui_dl.core import i18n

    i18n.set_language("en")
    yield
    i18n.set_language("en")


@pytest.fixture
def chinese():
    """Speak zh_CN for the test (while translations are being written as fragments, the catalog is compiled
    first, so what was just translated counts)."""
    import subprocess
    import sys
    from pathlib import Path

    from tui_dl.core import i18n

    root = Path(__file__).resolve().parent.parent
    if (root / "tui_dl" / "locale" / "zh_CN" / "fragments").is_dir():
        subprocess.run([sys.executable, str(root / "tools" / "i18n.py"), "compile"], check=True, cwd=root,
                       capture_output=True)
    i18n._load.cache_clear()
    i18n.set_language("zh_CN")
    yield
    i18n.set_language("en")
