"""``python -m benchmarks.headless_child PRESET [--set k=v ...] [--runs-dir D] [--versions-from-metadata]``:
iter_training, events as JSON lines on stdout. A stand-in for ``tui-dl --batch --jsonl`` used when the checkout
has no ``tui_dl.cli.batch``, and by experiments: ``--versions-from-metadata`` replaces train.py's ``_versions()``
(which imports torchvision only to read its version) with importlib.metadata, to measure the memory it saves."""

from __future__ import annotations

import argparse
import json
import sys

from tui_dl.core.training.events import event_to_dict
from tui_dl.core.config.experiment import load_experiment
from tui_dl.core.training.loop import iter_training

p = argparse.ArgumentParser()
p.add_argument("preset")
p.add_argument("--set", dest="sets", action="append", default=[])
p.add_argument("--runs-dir", default="runs")
p.add_argument("--versions-from-metadata", action="store_true")
a = p.parse_args()
if a.versions_from_metadata:
    import platform
    from importlib.metadata import version

    import torch

    import tui_dl
    import tui_dl.core.training.loop as T

    T._versions = lambda: {"python": platform.python_version(), "torch": torch.__version__,
                           "torchvision": version("torchvision"), "tui_dl": tui_dl.__version__}
exp = load_experiment(a.preset, a.sets)
for ev in iter_training(exp, runs_dir=a.runs_dir):
    sys.stdout.write(json.dumps(event_to_dict(ev)) + "\n")
