"""Shared helpers of the reliability suite: run the CLI in this process or in a subprocess, count faults.

In-process runs (``cli``) go through ``tui_dl.cli.main`` exactly as ``tui-dl`` does, minus the interpreter
start and the 3-4 s torch import, so most fault injection (monkeypatching) happens there. Subprocesses
(``cli_subprocess``) are kept for what needs a real process: signals, kill -9, resource limits, and the
"no traceback on stderr" check of a real interpreter.
"""

from __future__ import annotations

import collections
import contextlib
import io
import json
import os
import subprocess
import sys
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

#: Faults injected in this session, by kind (printed in the terminal summary by conftest.py).
FAULTS: collections.Counter = collections.Counter()
#: Outcomes: every fault must end in a message, never a traceback, and never lose a trained model.
OUTCOMES: collections.Counter = collections.Counter()


def fault(kind: str, n: int = 1) -> None:
    FAULTS[kind] += n


def no_traceback(text: str) -> None:
    """Fails (and counts) when a traceback reached the student."""
    if "Traceback" in text:
        OUTCOMES["tracebacks"] += 1
        raise AssertionError(f"a traceback reached the student:\n{text[-3000:]}")


def cli(*args, cwd: Path | None = None) -> tuple[int, str, str]:
    """``tui-dl ARGS`` in this process: (exit code, stdout, stderr). An exception escaping main() is what
    a student would see as a traceback, so it fails the test with that traceback."""
    out, err = io.StringIO(), io.StringIO()
    from tui_dl.cli.main import main

    old = os.getcwd()
    try:
        if cwd is not None:
            os.chdir(cwd)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                rc = main([str(a) for a in args])
            except SystemExit as e:  # argparse
                rc = e.code if isinstance(e.code, int) else 2
            except BaseException:  # noqa: BLE001 - this is exactly what must never happen
                OUTCOMES["tracebacks"] += 1
                raise AssertionError("an exception escaped tui-dl main() (the student would see a traceback):\n"
                                     + traceback.format_exc() + "\nstderr so far:\n" + err.getvalue()) from None
    finally:
        os.chdir(old)
    no_traceback(err.getvalue())
    return rc, out.getvalue(), err.getvalue()


def env(home: Path | None = None) -> dict[str, str]:
    e = {**os.environ, "NO_COLOR": "1", "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    if home is not None:
        e["HOME"] = str(home)
    return e


def cli_subprocess(*args, timeout: float = 120, home: Path | None = None, preexec_fn=None,
                   python_code: str | None = None) -> subprocess.CompletedProcess:
    """``python -m tui_dl ARGS`` (or ``python -c CODE ARGS``) in a fresh interpreter."""
    cmd = [sys.executable, "-c", python_code] if python_code else [sys.executable, "-m", "tui_dl"]
    return subprocess.run(cmd + [str(a) for a in args], capture_output=True, text=True, cwd=ROOT,
                          timeout=timeout, env=env(home), preexec_fn=preexec_fn)


def jsonl(stdout: str) -> list[dict]:
    return [json.loads(line) for line in stdout.splitlines() if line.strip()]


LENET_LAYERS = """\
  - {type: Conv2d, out_channels: 6, kernel_size: 5, padding: 2}
  - {type: ReLU}
  - {type: MaxPool2d, kernel_size: 2}
  - {type: Conv2d, out_channels: 16, kernel_size: 5}
  - {type: ReLU}
  - {type: MaxPool2d, kernel_size: 2}
  - {type: Flatten}
  - {type: Linear, out_features: 120}
  - {type: ReLU}
  - {type: Linear, out_features: 84}
  - {type: ReLU}
  - {type: Linear, out_features: 10}
"""


def lenet_yaml(train: str, num_samples: int = 300, name: str = "LeNet") -> str:
    return (f"name: {name}\ninput: [1, 28, 28]\nlayers:\n{LENET_LAYERS}"
            f"data: {{name: synthetic-digits, num_samples: {num_samples}, val_split: 0.1}}\n"
            f"train: {{threads: 1, {train}}}\n")


MOONS_TRAIN = {"threads": "1", "batch_size": "16", "log_every": "1", "optimizer": "{name: adam, lr: 0.01}"}


def moons_yaml(train: str = "", name: str = "moons", num_samples: int = 400, data: str = "") -> str:
    """A tiny 2-16-2 net on 400 moons points (18 steps/epoch at batch 16): trains in milliseconds. ``train`` is
    flow-style YAML (``"epochs: 3, loss: mse"``) whose keys replace the defaults."""
    defaults = ", ".join(f"{k}: {v}" for k, v in MOONS_TRAIN.items() if f"{k}:" not in train)
    return (f"name: {name}\ninput: [2]\nlayers:\n  - {{type: Linear, out_features: 16}}\n  - {{type: Tanh}}\n"
            f"  - {{type: Linear, out_features: 2}}\n"
            f"data: {{name: moons, num_samples: {num_samples}, val_split: 0.1{', ' + data if data else ''}}}\n"
            f"train: {{{defaults}{', ' + train if train else ''}}}\n")


def write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def step_losses(events: list[dict]) -> list[tuple[int, float]]:
    return [(e["step"], e["loss"]) for e in events if e["event"] == "step"]


def metrics_steps(run_dir: Path) -> list[tuple[int, float]]:
    from tui_dl.core.runs.folder import read_metrics

    return [(e["step"], e["loss"]) for e in read_metrics(run_dir) if e["event"] == "step"]


def metrics_epochs(run_dir: Path) -> list[tuple]:
    from tui_dl.core.runs.folder import read_metrics

    return [(e["epoch"], e["step"], e["train_loss"], e["val_loss"], e["val_accuracy"])
            for e in read_metrics(run_dir) if e["event"] == "epoch"]


def summary(run_dir: Path) -> dict:
    return json.loads((Path(run_dir) / "summary.json").read_text(encoding="utf-8"))


def checkpoint_ok(where, *, finite: bool = True) -> dict:
    """The run's checkpoint loads safely (weights_only), rebuilds its model, and (by default) holds only finite
    weights. Counts a lost run and fails otherwise. Returns the checkpoint dict."""
    import torch

    from tui_dl.core.runs.checkpoint import load_checkpoint, model_from_checkpoint

    try:
        ck = load_checkpoint(where)
        model, _ = model_from_checkpoint(ck)
        if finite:
            bad = [k for k, v in model.state_dict().items() if v.is_floating_point() and not torch.isfinite(v).all()]
            assert not bad, f"non-finite weights kept in the checkpoint: {bad}"
    except BaseException:
        OUTCOMES["runs_lost"] += 1
        raise
    return ck


def inject_forward(monkeypatch, *, at_step: int, action, train_only: bool = True):
    """Make the model's forward pass misbehave from its ``at_step``-th training call on: ``action(output)``
    returns the replacement output or raises. Returns a dict with the call count."""
    import tui_dl.core.training.engine as T

    real = T.build_model
    state = {"calls": 0, "fired": 0}

    def build(spec, **kw):
        model = real(spec, **kw)

        def hook(module, inputs, output):
            if train_only and not module.training:
                return output
            state["calls"] += 1
            if state["calls"] >= at_step:
                state["fired"] += 1
                return action(output)
            return output

        model.register_forward_hook(hook)
        return model

    monkeypatch.setattr(T, "build_model", build)
    return state
