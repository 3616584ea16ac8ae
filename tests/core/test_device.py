"""The device probe the app runs in a subprocess: ``python -m tui_dl.core.device`` prints what the app parses."""

from __future__ import annotations

import json
import subprocess
import sys

from tui_dl.core.config.schema import DATASETS
from tui_dl.core.device import probe


def test_probe_returns_the_device_and_the_dataset_lines():
    info = probe()
    assert set(info) == {"device", "datasets"}
    assert isinstance(info["device"], str) and info["device"]
    assert set(info["datasets"]) <= set(DATASETS) and "mnist" in info["datasets"]
    assert all(isinstance(v, str) and v for v in info["datasets"].values())


def test_the_module_prints_one_json_line_the_app_parses():
    out = subprocess.run([sys.executable, "-m", "tui_dl.core.device"], capture_output=True, text=True, check=True,
                         timeout=120)
    info = json.loads(out.stdout.strip().splitlines()[-1])  # exactly as the app's probe worker reads it
    assert isinstance(info["device"], str) and info["device"]
    assert info["datasets"]["mnist"].startswith("MNIST")


def test_a_device_that_cannot_be_resolved_is_reported_not_raised(monkeypatch):
    import tui_dl.core.device as D

    def broken(pref="auto"):
        raise RuntimeError("driver gone")

    monkeypatch.setattr(D, "resolve_device", broken)
    assert "device check failed" in D.probe()["device"]
