"""Does reading torchvision's version from package metadata, instead of importing torchvision, lower a
headless run's peak memory?

    python -m benchmarks.explore.memory_versions [--model lenet|simplecnn] [--repeats N] [--data IDX]
    python -m benchmarks.explore.memory_versions --child PRESET [--set k=v ...] [--runs-dir D]
                                                 [--versions-from-metadata]

Peak RSS of a headless LeNet-5 run (``iter_training`` in a child process, 100 steps, through
:mod:`benchmarks.rss_launcher`): as is, and with ``summary.json``'s version record
(:func:`tui_dl.core.training.summary.versions`, which imports torchvision only to read its version) replaced
by ``importlib.metadata``. The ``--child`` form is the measured process: it prints the events as JSON lines.

Finding: none recorded; the engine still imports torchvision for its version string. For scale
(benchmarks/RESULTS.md): ``import torch`` alone peaks at 635 MiB, ``tui-dl --batch`` LeNet-5 for one epoch at
945 MiB.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile

from benchmarks.explore.engine_steps import IDX, PRESETS


def child(preset: str, sets: list[str], runs_dir: str, versions_from_metadata: bool) -> None:
    from tui_dl.core.config.experiment import load_experiment
    from tui_dl.core.training import loop
    from tui_dl.core.training.events import event_to_dict

    if versions_from_metadata:
        import platform
        from importlib.metadata import version

        import torch

        import tui_dl

        loop.versions = lambda: {"python": platform.python_version(), "torch": torch.__version__,
                                 "torchvision": version("torchvision"), "tui_dl": tui_dl.__version__}
    for ev in loop.iter_training(load_experiment(preset, sets), runs_dir=runs_dir):
        sys.stdout.write(json.dumps(event_to_dict(ev)) + "\n")


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m benchmarks.explore.memory_versions")
    p.add_argument("--model", default="lenet", choices=tuple(PRESETS))
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--data", default=IDX)
    p.add_argument("--child", metavar="PRESET", help="run PRESET headless in this process (the measured child)")
    p.add_argument("--set", dest="sets", action="append", default=[])
    p.add_argument("--runs-dir", default="runs")
    p.add_argument("--versions-from-metadata", action="store_true")
    a = p.parse_args(argv)
    if a.child:
        return child(a.child, a.sets, a.runs_dir, a.versions_from_metadata)
    from benchmarks.app_bench import run_peak_rss

    sets = ["data.name=idx", f"data.root={a.data}", "data.val_split=0", "train.epochs=1",
            "train.limit_batches=100", "train.checkpoints=false"]
    res = {"as is": [], "versions from metadata": []}
    for _ in range(a.repeats):
        for name, extra in (("as is", []), ("versions from metadata", ["--versions-from-metadata"])):
            with tempfile.TemporaryDirectory() as tmp:
                argv = [sys.executable, "-m", "benchmarks.explore.memory_versions", "--child", PRESETS[a.model],
                        "--runs-dir", tmp, *extra] + [x for s in sets for x in ("--set", s)]
                rc, rss, out, err = run_peak_rss(argv, 600)
                assert rc == 0, err
                res[name].append(rss)
    for n, v in res.items():
        print(f"  {n:<24} peak RSS {statistics.median(v):6.0f} MiB (all: {', '.join(f'{x:.0f}' for x in v)})")


if __name__ == "__main__":
    main()
